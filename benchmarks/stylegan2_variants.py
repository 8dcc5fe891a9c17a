"""StyleGAN (v1, AdaIN) vs StyleGAN2 (v2) layers, and path length regularization, over seeds.

The StyleGAN chapter trains one generator for about nine minutes, and its own curve shows how
much a run depends on its random initialisation (the low-diversity phase ends at very different
times). One run per variant could not say whether a difference between variants is real, so
this script trains each variant from several initial seeds, with **the chapter's protocol**:
its configuration (``CONFIG``), 4,000 training digits, batch 32, chunks of 2 epochs (8 kimg)
whose loop seeds are the chunk numbers, and after each chunk the FID and pixel spread of 1,000
G_ema samples against the held-out digits (the book's digit features). At the end it also
measures the perceptual path length in W and each block's feature peak ratio
(``max |x| / mean |x|`` of a map, large where StyleGAN's droplets appear). Seed 2 of ``v2`` is
exactly the chapter's run, so its curve must equal the chapter's.

    python benchmarks/stylegan2_variants.py --save            # 3 variants x 3 seeds (~110 min)
    python benchmarks/stylegan2_variants.py --variants v1 --seeds 0 --chunks 2

The chapter reads ``benchmarks/results/stylegan2_variants.json`` (written by ``--save``).
Training minutes are comparable between rows only on an otherwise idle machine.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import d2gan  # noqa: E402  (before mxnet: thread settings)
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

from results import save_results  # noqa: E402

# the StyleGAN chapter's configuration (chapters/10_style_gans/stylegan.ipynb checks it)
CONFIG = dict(image_size=32, channels=1, z_dim=128, w_dim=128, mapping_layers=2,
              channel_base=2048, channel_max=32, mbstd_group_size=32, r1_gamma=0.01,
              pl_weight=0, style_mixing=0)
VARIANTS = {'v2': {}, 'v1': {'layer': 'v1'}, 'v2+pl': {'pl_weight': 2.0}}
LABELS = {'v2': 'StyleGAN2 layers (modulated conv)', 'v1': 'StyleGAN layers (AdaIN)',
          'v2+pl': 'StyleGAN2 layers + path length reg. (weight 2)'}


def train_variant(variant, seed, data, evaluate, chunks, epochs_per_chunk):
    """One run: the chapter's loop from ``mx.random.seed(seed)``; a dict of its measurements."""
    from d2gan.models.stylegan2 import feature_peak_ratio
    mx.random.seed(seed)
    step = d2gan.build_gan('stylegan2', **{**CONFIG, **VARIANTS[variant]})
    timer, curve = d2gan.Timer(), []
    for chunk in range(chunks):
        timer.start()
        d2gan.train_gan(step, data, epochs_per_chunk, seed=chunk)
        timer.stop()
        curve.append({'kimg': step.images_seen / 1000, 'minutes': timer.seconds / 60,
                      **evaluate(step)})
        print(f'  {variant} seed {seed}: {json.dumps(curve[-1])}', flush=True)
    z = step.noise(64, step.latent_dim, 5)
    with mx.autograd.predict_mode():
        maps = step.G_ema.synthesis.features(step.G_ema.map(z))
    peaks = {str(block.resolution): feature_peak_ratio(x)
             for block, x in zip(step.G_ema.synthesis.blocks, maps)}
    return {'variant': variant, 'seed': seed, 'curve': curve, 'fid': curve[-1]['fid'],
            'pixel_spread': curve[-1]['pixel_spread'], 'minutes': timer.seconds / 60,
            'kimg': curve[-1]['kimg'], 'peak_ratio': peaks,
            'ppl_w': evaluate.path_length(step)}


class Evaluator:
    """The chapter's measurements of a step's G_ema: FID and pixel spread of ``num`` samples
    (seed 1) against the held-out digits; perceptual path length in W (``ppl_num`` paths)."""

    def __init__(self, num, ppl_num, quick):
        from d2gan import metrics
        self.metrics = metrics
        self.features = metrics.DigitFeatures(
            config=dict(epochs=1, train_limit=1000) if quick else None)
        self.reference = metrics.reference_stats('heldout', self.features)
        self.num, self.ppl_num = num, ppl_num

    def __call__(self, step):
        samples = step.sample(self.num, seed=1).asnumpy()
        fid = self.metrics.evaluate(samples, self.reference, self.features, ('fid',))['fid']
        return {'fid': float(fid), 'pixel_spread': float(samples.std(axis=0).mean())}

    def path_length(self, step):
        return self.metrics.perceptual_path_length(step.G_ema, self.features, num=self.ppl_num)


def summarize(runs):
    """Per variant: mean and standard deviation over seeds of the final FID, pixel spread, PPL
    in W and training minutes, and the seeds' FIDs."""
    table = {}
    for variant in VARIANTS:
        rows = [r for r in runs if r['variant'] == variant]
        if not rows:
            continue
        entry = {'label': LABELS[variant], 'seeds': [r['seed'] for r in rows],
                 'fids': [r['fid'] for r in rows]}
        for key in ('fid', 'pixel_spread', 'ppl_w', 'minutes'):
            values = np.array([r[key] for r in rows])
            entry[key] = float(values.mean())
            entry[key + '_std'] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        table[variant] = entry
    return table


def _kept_runs(args):
    """``{(variant, seed): run}`` from ``--keep FILE`` (an earlier ``--json`` of the same
    protocol), so that an interrupted sweep does not train its finished runs again."""
    if not args.keep:
        return {}
    with open(args.keep) as f:
        earlier = json.load(f)
    protocol = {'config': CONFIG, 'chunks': args.chunks, 'train_digits': args.train,
                'epochs_per_chunk': args.epochs_per_chunk, 'num_samples': args.num}
    for key, value in protocol.items():
        if earlier.get(key) != value:
            raise SystemExit(f'error: {args.keep} has {key}={earlier.get(key)!r}, this run '
                             f'{value!r}: its runs are not comparable')
    return {(r['variant'], r['seed']): r for r in earlier['runs']}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--variants', default=','.join(VARIANTS))
    p.add_argument('--seeds', default='0,1,2', help='initial seeds (2 is the chapter\'s)')
    p.add_argument('--chunks', type=int, default=11, help='chunks of training (the chapter: 11)')
    p.add_argument('--epochs-per-chunk', type=int, default=2)
    p.add_argument('--train', type=int, default=4000, help='training digits (the chapter: 4000)')
    p.add_argument('--num', type=int, default=1000, help='samples per FID (the chapter: 1000)')
    p.add_argument('--ppl-num', type=int, default=1000, help='paths for the PPL in W')
    p.add_argument('--keep', default=None,
                   help='a --json file of an interrupted sweep: its runs are not trained again')
    p.add_argument('--quick', action='store_true', help='a small digit classifier (for tests)')
    p.add_argument('--json', default=None,
                   help='also write the results to this file (after every run)')
    p.add_argument('--save', action='store_true',
                   help='keep the results in benchmarks/results/stylegan2_variants.json, where '
                        'the StyleGAN chapter reads them')
    args = p.parse_args(argv)
    variants = [v.strip() for v in args.variants.split(',') if v.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise SystemExit(f'error: unknown variant(s) {unknown}; valid: {", ".join(VARIANTS)}')
    try:
        seeds = [int(s) for s in args.seeds.split(',') if s.strip()]
    except ValueError:
        raise SystemExit(f'error: --seeds must be integers separated by commas, got '
                         f'{args.seeds!r}') from None
    if not seeds or not variants:
        raise SystemExit('error: give at least one variant and one seed')
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'{os.cpu_count()} CPU cores, load average {load:.2f} at start', flush=True)
    from d2gan import metrics
    data = d2gan.ArrayBatches(metrics.real_digits('train')[:args.train], 32)
    evaluate = Evaluator(args.num, args.ppl_num, args.quick)
    runs, kept = [], _kept_runs(args)
    for seed in seeds:
        for variant in variants:
            if (variant, seed) in kept:
                print(f'  {variant} seed {seed}: kept from {args.keep}', flush=True)
                runs.append(kept[variant, seed])
            else:
                runs.append(train_variant(variant, seed, data, evaluate, args.chunks,
                                          args.epochs_per_chunk))
            payload = {'config': CONFIG, 'variants': VARIANTS, 'chunks': args.chunks,
                       'epochs_per_chunk': args.epochs_per_chunk, 'train_digits': args.train,
                       'num_samples': args.num, 'runs': runs, 'summary': summarize(runs)}
            if args.json:             # after every run: a long sweep keeps what it measured
                with open(args.json, 'w') as f:
                    json.dump(payload, f, indent=1)
    for variant, entry in payload['summary'].items():
        print(f'{variant:6s} FID {entry["fid"]:.1f} +- {entry["fid_std"]:.1f} '
              f'(seeds {entry["seeds"]}: {", ".join(f"{f:.1f}" for f in entry["fids"])}), '
              f'spread {entry["pixel_spread"]:.3f}, PPL W {entry["ppl_w"]:.1f}, '
              f'{entry["minutes"]:.1f} min')
    if args.save:
        print('saved', save_results('stylegan2_variants', payload, load))
    return payload


if __name__ == '__main__':
    main()
