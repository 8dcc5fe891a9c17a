"""Every book model's full training iteration: d2gan vs PyTorch CPU, and both vs the machine.

For each model and setting of ``model_settings.SETTINGS`` (the chapter's and the paper's), in
one run:

* d2gan: ``build_gan(model, **config)``, random data of the recipe's batch kind, ``warmup``
  then ``iters`` calls of ``train_step`` (D and G updates as the chapter runs them), in a fresh
  process per row;
* PyTorch: the same networks and iteration in a PyTorch twin (``torch_twins_*.py``), in its own
  process (the two OpenMP runtimes never share one); the twin reports its networks' parameter
  counts, which must equal d2gan's (printed as the architecture check);
* the FLOPs per training image (``flop_count.py``: convolutions and matrix products from the
  layer shapes of every network call of one iteration, x3 for calls with gradients), the
  GFLOP/s each framework reaches, and that as a fraction of the machine's **peak**: a large
  float32 GEMM (oneDNN) timed at the start and at the end of the same run (the higher kept).

    python benchmarks/model_table.py                               # everything (~30 min on 2 cores)
    python benchmarks/model_table.py --models cyclegan,stargan --settings chapter
    python benchmarks/model_table.py --torch-python /path/to/venv-with-torch/bin/python
    python benchmarks/model_table.py --models attgan --settings chapter --rounds 7

PyTorch is looked for in ``--torch-python`` (default: ``$D2GAN_TORCH_PYTHON``, else this
interpreter); without it the PyTorch columns are empty. Run it on an otherwise idle machine:
MXNet's OpenMP threads spin, and any other busy process slows it several times over.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from model_settings import SETTINGS  # noqa: E402
from results import save_results  # noqa: E402
from tables import ratio_range  # noqa: E402

TWIN_FILES = ('torch_twins_dcgan.py', 'torch_twins_editing.py', 'torch_twins_style.py')
# timed iterations after the warm-up: a few seconds at the chapter's settings (StyleGAN2: one
# whole lazy-regularisation period of 16); one at the paper's, where one takes 10-60 s here
ITERS = {'chapter': 10, 'paper': 1}
WARMUP = {'chapter': 2, 'paper': 1}
ITERS_OF = {('dcgan', 'chapter'): 20, ('stylegan2', 'chapter'): 16, ('cyclegan', 'chapter'): 20}
# rounds per row: each a fresh d2gan process and a fresh PyTorch process, the order alternating.
# On a shared 2-core machine one process's iterations run 10-20 % faster or slower than the
# next's (AttGAN chapter, 20 iterations each: 40-47 ms over four processes), so a single run
# per side can move a ratio by a fifth; the table reports each side's median. The paper rows
# keep one round: an iteration takes 10-60 s, and three would triple the run's half hour.
ROUNDS = {'chapter': 3, 'paper': 1}


def peak_gflops(n=2048, reps=10, trials=3):
    """GFLOP/s of an ``n x n`` float32 matrix product (the machine's practical peak): the best
    of ``trials`` timings of ``reps`` products, computed by oneDNN (``FullyConnected``).

    Not ``nd.dot``: MXNet's CPU wheel sends ``dot`` to its bundled BLAS, which reaches less
    than a quarter of what oneDNN (and PyTorch's ``matmul``) reach on AVX-512 cores."""
    import mxnet as mx
    a, b = mx.nd.random.uniform(shape=(n, n)), mx.nd.random.uniform(shape=(n, n))

    def product():
        return mx.nd.FullyConnected(a, b, no_bias=True, num_hidden=n)

    product().wait_to_read()
    best = 0.0
    for _ in range(trials):
        t = time.perf_counter()
        for _ in range(reps):
            c = product()
        c.wait_to_read()
        best = max(best, 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9)
    return best


def make_batch(model, config, batch):
    """Random data of ``model``'s batch kind, shaped by its config."""
    import mxnet as mx
    from d2gan.registry import RECIPES
    defaults = RECIPES.parameters(model)
    cfg = {k: v for k, v in defaults.items() if not isinstance(v, type)}
    cfg.update(config)
    size, kind = cfg['image_size'], RECIPES.info(model)['batch_kind']
    channels = cfg.get('channels', 3) or 3
    mx.random.seed(0)
    uniform = lambda c: mx.nd.random.uniform(-1, 1, shape=(batch, c, size, size))  # noqa: E731
    if kind == 'images':
        return uniform(channels)
    if kind in ('paired', 'unpaired'):
        return uniform(channels), uniform(channels)
    if kind == 'labelled':
        classes = cfg.get('num_domains') or cfg.get('num_classes')
        return uniform(channels), mx.nd.array(mx.nd.random.randint(
            0, classes, shape=(batch,)).asnumpy().astype('float32'))
    if kind == 'attributes':
        return uniform(channels), mx.nd.random.randint(0, 2, shape=(batch, len(cfg['attrs'])))\
            .astype('float32')
    if kind == 'semantic':
        labels = mx.nd.random.randint(0, cfg['num_classes'], shape=(batch, size, size))
        maps = mx.nd.one_hot(labels, cfg['num_classes']).transpose((0, 3, 1, 2))
        if cfg.get('use_instance', True):
            edges = mx.nd.random.randint(0, 2, shape=(batch, 1, size, size)).astype('float32')
            maps = mx.nd.concat(maps, edges, dim=1)
        return maps, uniform(3)
    raise ValueError(f'no random data for batch kind {kind!r}')


def prepare(model, step):
    """Put a step where the setting times it: PGGAN at full resolution (lod 0)."""
    if model == 'pggan':
        step.nimg = 10 ** 12


def trainable_counts(step):
    """``{network: trainable parameters}`` of the step's networks (EMA copies excluded)."""
    counts = {}
    for name, net in step.networks.items():
        n = sum(p.data().size for p in net.collect_params().values() if p.grad_req != 'null')
        if n:
            counts[name] = n
    return counts


def build_step(model, setting):
    """``(step, batch, spec)``: ``model``'s step at ``setting`` (seed 0, prepared as the table
    times it) and one batch of its data."""
    import d2gan
    import mxnet as mx
    spec = SETTINGS[model][setting]
    mx.random.seed(0)
    step = d2gan.build_gan(model, **spec['config'])
    prepare(model, step)
    return step, make_batch(model, spec['config'], spec['batch']), spec


def run_isolated(script, flag, args):
    """Run ``script FLAG JSON(args)`` in a fresh process and return the JSON its last line
    prints: a row never inherits another model's threads, memory or OpenMP state (one long
    process measured StarGAN 3x slower than a fresh one)."""
    out = subprocess.run([sys.executable, os.path.abspath(script), flag, json.dumps(args)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f'{os.path.basename(script)} {flag} {args} failed:\n'
                           f'{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def d2gan_row(model, setting, iters, warmup):
    import mxnet as mx
    from flop_count import count_iteration_flops
    step, batch, spec = build_step(model, setting)
    flops, _ = count_iteration_flops(step, batch)          # also the first warm-up call
    for _ in range(max(warmup - 1, 0)):
        step.train_step(batch)
    mx.nd.waitall()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(iters):
        step.train_step(batch)
    mx.nd.waitall()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {'images_per_s': iters * spec['batch'] / wall, 'cpu_s_per_iter': cpu / iters,
            'flops_per_image': flops / spec['batch'], 'params': trainable_counts(step)}


def d2gan_row_isolated(model, setting, iters, warmup):
    """:func:`d2gan_row` in a fresh process (:func:`run_isolated`)."""
    return run_isolated(__file__, '--d2gan-row', [model, setting, iters, warmup])


def twin_models(python):
    """``{model: twin file}`` of the PyTorch twins ``python`` can run (empty without torch)."""
    found = {}
    for name in TWIN_FILES:
        path = os.path.join(HERE, name)
        if not os.path.exists(path):
            continue
        try:
            out = subprocess.run([python, path, '--list'], capture_output=True, text=True,
                                 check=True, timeout=120).stdout
        except (subprocess.SubprocessError, OSError):
            continue
        for line in out.split():
            found.setdefault(line.strip(), path)
    return found


def torch_row(python, path, model, setting, iters, warmup, threads):
    payload = dict(model=model, setting=setting, iters=iters, warmup=warmup, threads=threads)
    try:
        out = subprocess.run([python, path, json.dumps(payload)], capture_output=True,
                             text=True, check=True).stdout
    except subprocess.CalledProcessError as e:
        return {'error': (e.stderr.strip().splitlines() or ['failed'])[-1]}
    return json.loads(out.strip().splitlines()[-1])


def median_run(runs):
    """The run of ``runs`` (dicts with ``images_per_s``) with the median speed (the lower
    middle one for an even count), with every run's images/s added as ``runs``."""
    ordered = sorted(runs, key=lambda r: r['images_per_s'])
    return dict(ordered[(len(ordered) - 1) // 2], runs=[r['images_per_s'] for r in runs])


def timed_row(model, setting, iters, warmup, rounds, torch_python=None, twin=None, threads=1):
    """One table row: ``rounds`` fresh d2gan processes and as many PyTorch ones (when ``twin``
    is given), alternating which goes first, each side summarised by :func:`median_run`."""
    ours, theirs = [], []
    for i in range(rounds):
        sides = [lambda: ours.append(d2gan_row_isolated(model, setting, iters, warmup))]
        if twin:
            sides.append(lambda: theirs.append(torch_row(torch_python, twin, model, setting,
                                                         iters, warmup, threads)))
        for run in (sides if i % 2 == 0 else sides[::-1]):
            run()
    row = {'model': model, 'setting': setting, 'batch': SETTINGS[model][setting]['batch'],
           'rounds': rounds, 'd2gan': median_run(ours)}
    if twin:
        failed = [t for t in theirs if 'error' in t]
        row['torch'] = failed[0] if failed else median_run(theirs)
    row['arch'] = arch_check(row['d2gan']['params'], (row.get('torch') or {}).get('params'))
    return row


def arch_check(ours, theirs):
    if not theirs:
        return '-'
    if ours == theirs:
        return 'equal'
    diff = {k: (ours.get(k), theirs.get(k)) for k in sorted(set(ours) | set(theirs))
            if ours.get(k) != theirs.get(k)}
    return f'DIFFER {diff}'


def format_table(rows, peak):
    head = (f'{"model":<10}{"setting":<8}{"batch":>6}{"d2gan im/s":>11}{"torch im/s":>11}'
            f'{"d2gan/pt":>9}{"rounds":>14}{"GFLOP/im":>9}{"d2gan GF/s":>11}{"%peak":>6}'
            f'{"pt %peak":>9}  arch')
    lines = [f'peak: {peak:.1f} GFLOP/s (2048x2048 float32 GEMM, oneDNN FullyConnected)', head,
             '-' * len(head)]
    for r in rows:
        ours, theirs = r['d2gan'], r.get('torch') or {}
        gf = ours['flops_per_image'] / 1e9
        achieved = ours['images_per_s'] * gf
        pt = theirs.get('images_per_s')
        ratio = f'{ours["images_per_s"] / pt:9.2f}' if pt else f'{"-":>9}'
        pt_s = f'{pt:11.2f}' if pt else f'{"-":>11}'
        pt_peak = f'{100 * pt * gf / peak:8.1f}%' if pt else f'{"-":>9}'
        spread = ratio_range(r)
        spread = (f'{spread[0]:.2f}-{spread[1]:.2f} x{r["rounds"]}' if spread and r['rounds'] > 1
                  else '-')
        lines.append(f'{r["model"]:<10}{r["setting"]:<8}{r["batch"]:>6}'
                     f'{ours["images_per_s"]:11.2f}{pt_s}{ratio}{spread:>14}{gf:9.3f}'
                     f'{achieved:11.1f}'
                     f'{100 * achieved / peak:5.1f}%{pt_peak}  {r["arch"]}')
    lines.append('images/s of full training iterations, the median of the rounds (fresh '
                 'processes, d2gan and PyTorch alternating); rounds: the lowest and highest '
                 'ratio of one round\'s pair; FLOPs: convolutions and matrix products, x3 for '
                 'passes with gradients (flop_count.py)')
    for r in rows:
        lines.append(f'{r["model"]} {r["setting"]}: {SETTINGS[r["model"]][r["setting"]]["label"]}'
                     + (f'; torch: {r["torch"]["error"]}' if r.get('torch', {}).get('error')
                        else ''))
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--models', default=','.join(SETTINGS))
    p.add_argument('--settings', default='chapter,paper')
    p.add_argument('--iters', type=int, default=None, help='timed iterations (default: per row)')
    p.add_argument('--rounds', type=int, default=None,
                   help='fresh processes per side and row (default: 3 at the chapter setting, '
                        '1 at the paper)')
    p.add_argument('--warmup', type=int, default=None,
                   help='warm-up iterations (default: 2 at the chapter setting, 1 at the paper)')
    p.add_argument('--torch-python', default=os.environ.get('D2GAN_TORCH_PYTHON',
                                                            sys.executable))
    p.add_argument('--json', default=None, help='also write the rows to this file')
    p.add_argument('--save', action='store_true',
                   help='keep the results in benchmarks/results/model_table.json, where '
                        'chapter 9 reads them')
    p.add_argument('--d2gan-row', default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.d2gan_row:
        print(json.dumps(d2gan_row(*json.loads(args.d2gan_row))))
        return None
    models = [m.strip() for m in args.models.split(',') if m.strip()]
    unknown = sorted(set(models) - set(SETTINGS))
    if unknown:
        raise SystemExit(f'error: unknown model(s) {unknown}; valid: {", ".join(SETTINGS)}')
    settings = [s.strip() for s in args.settings.split(',') if s.strip()]
    threads = int(os.environ.get('OMP_NUM_THREADS') or os.cpu_count())
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'{os.cpu_count()} CPU cores, {threads} threads, load average {load:.2f} at start',
          flush=True)
    # the peak is what the cores can do: a neighbour's load on a shared machine can only lower
    # one measurement (one run here measured 96 GFLOP/s at the start against 205 in the run
    # before), so it is measured before and after the rows and the higher one kept
    peaks = [peak_gflops()]
    twins = twin_models(args.torch_python)
    rows = []
    for model in models:
        for setting in settings:
            if setting not in SETTINGS[model]:
                continue
            iters = args.iters or ITERS_OF.get((model, setting), ITERS[setting])
            warmup = WARMUP[setting] if args.warmup is None else args.warmup
            row = timed_row(model, setting, iters, warmup, args.rounds or ROUNDS[setting],
                            args.torch_python, twins.get(model), threads)
            rows.append(row)
            print(f'{model} {setting}: {json.dumps(row, default=str)}', flush=True)
    peaks.append(peak_gflops())
    peak = max(peaks)
    print(format_table(rows, peak))
    print('peak GFLOP/s measured before and after the rows: '
          + ', '.join(f'{x:.1f}' for x in peaks))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'peak_gflops': peak, 'rows': rows}, f, indent=1)
    if args.save:
        labels = {m: {s: SETTINGS[m][s]['label'] for s in SETTINGS[m]} for m in models}
        print('saved', save_results('model_table', {'peak_gflops': peak, 'peak_runs': peaks,
                                                    'threads': threads, 'labels': labels,
                                                    'rows': rows}, load))
    return rows


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
