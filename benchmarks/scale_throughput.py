"""Training throughput at scale (images/s): DCGAN, Pix2Pix and CycleGAN steps.

For each model, at one equal global batch, in one run (so that the ratios compare like with
like on a loaded machine):

* d2gan imperative vs ``hybridize()`` (one process, all cores);
* the same networks in PyTorch CPU (eager), from the model's own benchmark script
  (``dcgan_throughput.py``, ``pix2pix_throughput.py``, ``cyclegan_throughput.py``), in a
  subprocess (the interpreter in ``$D2GAN_TORCH_PYTHON``, else this one); skipped when
  PyTorch or the script is missing;
* data parallelism: 2 contexts in one process (``kvstore='device'``), and 2 worker processes
  with ``dist_sync`` (1 scheduler + 1 server on 127.0.0.1, started by :mod:`d2gan.launch`),
  each worker with half the batch and half the cores.

    python benchmarks/scale_throughput.py                       # all three models
    python benchmarks/scale_throughput.py --models dcgan --iters 5 --no-workers
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from results import save_results  # noqa: E402

# model -> recipe config, global batch, batch kind ('images' or a pair), timed iterations
SETTINGS = {
    'dcgan': dict(config=dict(image_size=32, channels=1, ngf=64, ndf=64), batch=64,
                  kind='images', iters=20),
    'pix2pix': dict(config=dict(image_size=64, ngf=32, ndf=32, pool_size=0), batch=4,
                    kind='pair', iters=20),
    'cyclegan': dict(config=dict(image_size=64, ngf=16, ndf=32, n_blocks=6, pool_size=0),
                     batch=4, kind='pair', iters=12),
}


def make_batch(setting, batch_size):
    import mxnet as mx
    cfg = setting['config']
    shape = (batch_size, cfg.get('channels', 3), cfg['image_size'], cfg['image_size'])
    mx.random.seed(0)
    if setting['kind'] == 'images':
        return mx.nd.random.uniform(-1, 1, shape=shape)
    return mx.nd.random.uniform(-1, 1, shape=shape), mx.nd.random.uniform(-1, 1, shape=shape)


def time_steps(step, batch, warmup, iters, global_batch):
    """Images/s of ``iters`` calls of ``step.train_step(batch)`` after ``warmup`` calls."""
    import mxnet as mx
    for _ in range(warmup):
        step.train_step(batch)
    mx.nd.waitall()
    t = time.perf_counter()
    for _ in range(iters):
        step.train_step(batch)
    mx.nd.waitall()
    return iters * global_batch / (time.perf_counter() - t)


def d2gan_throughput(name, setting, hybridize, devices=None, warmup=2):
    import d2gan
    import mxnet as mx
    mx.random.seed(0)
    step = d2gan.build_gan(name, devices=devices, hybridize=hybridize, **setting['config'])
    batch = make_batch(setting, setting['batch'])
    return time_steps(step, batch, warmup, setting['iters'], setting['batch'])


def torch_throughput(name, setting, warmup=2):
    """PyTorch images/s from the model's own benchmark script, or None (why in the 2nd item)."""
    threads = int(os.environ.get('OMP_NUM_THREADS') or os.cpu_count())
    cfg, b, iters = setting['config'], setting['batch'], setting['iters']
    try:
        if name == 'dcgan':
            import dcgan_throughput as bench
            result = bench.torch_throughput(SimpleNamespace(
                image_size=cfg['image_size'], channels=cfg['channels'], ngf=cfg['ngf'],
                batch_size=b, warmup=warmup, iters=iters))
        elif name == 'pix2pix':
            import pix2pix_throughput as bench
            result = bench.torch_throughput(dict(image_size=cfg['image_size'], batch_size=b,
                                                 ngf=cfg['ngf'], iters=iters, warmup=warmup),
                                            threads)
        else:
            import cyclegan_throughput as bench
            result = bench.torch_throughput(dict(
                image_size=cfg['image_size'], batch_size=b, ngf=cfg['ngf'], ndf=cfg['ndf'],
                blocks=cfg['n_blocks'], iters=iters, warmup=warmup), threads)
    except ImportError as e:
        return None, f'no PyTorch runner ({e})'
    except (AttributeError, TypeError) as e:
        return None, f'PyTorch runner has another interface ({e})'
    if result is None:
        return None, 'PyTorch is not installed'
    return result['images_per_s'], f'PyTorch {result["version"]}'


def workers_throughput(name, setting, num_workers=2, timeout=600):
    """Images/s of ``num_workers`` dist_sync workers on this machine (rank 0's clock)."""
    from d2gan.launch import launch
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'result.json')
        code = launch([sys.executable, os.path.abspath(__file__), '--worker', name,
                       '--iters', str(setting['iters']), '--result', out],
                      num_workers=num_workers, num_servers=1, timeout=timeout)
        if code != 0 or not os.path.exists(out):
            return None
        with open(out) as f:
            return json.load(f)['images_per_s']


def worker_main(name, iters, result):
    """Inside a launched worker: time the hybridized step on this worker's share of a batch."""
    import d2gan
    import mxnet as mx
    setting = dict(SETTINGS[name], iters=iters)
    par = d2gan.train.distributed.Parallel('dist_sync')
    mx.random.seed(0)
    step = par.prepare(d2gan.build_gan(name, **setting['config']))
    local = setting['batch'] // par.num_workers
    speed = time_steps(step, make_batch(setting, local), 2, iters, setting['batch'])
    if par.is_root:
        with open(result, 'w') as f:
            json.dump({'images_per_s': speed, 'workers': par.num_workers}, f)


def tiny(setting):
    """A much smaller version of a setting (16x16 or 32x32 for the U-Net, width 8, batch 8):
    only checks that it runs."""
    size = 16 if setting['kind'] == 'images' else 32
    config = dict(setting['config'], image_size=size, ngf=8, ndf=8)
    if 'n_blocks' in config:
        config['n_blocks'] = 2
    return dict(setting, config=config, batch=8)


def d2gan_throughput_isolated(name, setting, hybridize, contexts=1):
    """:func:`d2gan_throughput` in a fresh process: a measurement never inherits the threads or
    OpenMP state of the ones before it (in one long process CycleGAN measured 6.1 images/s
    after DCGAN and Pix2Pix, 11.1 alone)."""
    payload = json.dumps([name, setting, hybridize, contexts])
    out = subprocess.run([sys.executable, os.path.abspath(__file__), '--d2gan-run', payload],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f'd2gan {name} failed:\n{out.stderr[-3000:]}')
    return float(out.stdout.strip().splitlines()[-1])


def d2gan_run_main(payload):
    """Inside the fresh process of :func:`d2gan_throughput_isolated`: print the images/s."""
    import mxnet as mx
    name, setting, hybridize, contexts = json.loads(payload)
    devices = [mx.cpu(i) for i in range(contexts)] if contexts > 1 else None
    print(d2gan_throughput(name, setting, hybridize, devices))


def measure(name, iters=None, workers=True, contexts=True, small=False):
    """One model's row: every variant's images/s (each in a fresh process) and the ratios."""
    setting = tiny(SETTINGS[name]) if small else dict(SETTINGS[name])
    if iters:
        setting['iters'] = iters
    row = {'model': name, 'batch': setting['batch'], 'iters': setting['iters'],
           'imperative': d2gan_throughput_isolated(name, setting, hybridize=False),
           'hybridized': d2gan_throughput_isolated(name, setting, hybridize=True)}
    row['torch'], row['torch_note'] = torch_throughput(name, setting)
    if contexts:
        row['2 contexts'] = d2gan_throughput_isolated(name, setting, True, contexts=2)
    if workers:
        row['2 workers'] = workers_throughput(name, setting)
    return row


def format_table(rows):
    cols = ['imperative', 'hybridized', 'torch', '2 contexts', '2 workers']
    head = (f'{"model":<9}{"batch":>6}' + ''.join(f'{c:>12}' for c in cols)
            + f'{"hyb/imp":>9}{"d2gan/pt":>10}{"2w/1w":>8}')
    lines = [head, '-' * len(head)]
    fmt = lambda v: f'{v:12.1f}' if isinstance(v, float) else f'{"-":>12}'  # noqa: E731
    ratio = lambda a, b, w: f'{a / b:{w}.2f}' if a and b else f'{"-":>{w}}'  # noqa: E731
    for r in rows:
        best = max(r['imperative'], r['hybridized'])
        lines.append(f'{r["model"]:<9}{r["batch"]:>6}' + ''.join(fmt(r.get(c)) for c in cols)
                     + ratio(r['hybridized'], r['imperative'], 9)
                     + ratio(best, r.get('torch'), 10)
                     + ratio(r.get('2 workers'), r['hybridized'], 8))
    notes = [f'{r["model"]}: torch = {r["torch_note"]}' for r in rows]
    return '\n'.join(lines + ['images/s of full training iterations (D and G updates); '
                              'ratios from the same run'] + notes)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--models', default='dcgan,pix2pix,cyclegan')
    p.add_argument('--iters', type=int, default=None, help="timed iterations (model's default)")
    p.add_argument('--no-workers', action='store_true', help='skip the 2-worker dist_sync run')
    p.add_argument('--no-contexts', action='store_true', help='skip the 2-context run')
    p.add_argument('--tiny', action='store_true',
                   help='small images, width 8, batch 8: only checks that everything runs')
    p.add_argument('--json', default=None, help='also write the rows to this file')
    p.add_argument('--save', action='store_true',
                   help='keep the results in benchmarks/results/scale_throughput.json, where '
                        'chapter 9 reads them')
    p.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    p.add_argument('--result', default=None, help=argparse.SUPPRESS)
    p.add_argument('--d2gan-run', default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.d2gan_run:
        return d2gan_run_main(args.d2gan_run)
    if args.worker:
        return worker_main(args.worker, args.iters, args.result)
    names = [m.strip() for m in args.models.split(',') if m.strip()]
    unknown = sorted(set(names) - set(SETTINGS))
    if unknown:
        raise SystemExit(f'unknown model(s) {unknown}; valid: {", ".join(SETTINGS)}')
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'{os.cpu_count()} CPU cores, load average {load:.2f} at start', flush=True)
    rows = [measure(n, args.iters, not args.no_workers, not args.no_contexts, args.tiny)
            for n in names]
    print(format_table(rows))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)
    if args.save:
        if args.tiny:
            raise SystemExit('error: --tiny runs only check that everything runs; not saved')
        print('saved', save_results('scale_throughput', {'rows': rows}, load))
    return rows


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
