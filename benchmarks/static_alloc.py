"""Static against dynamic graph memory for the steps' networks: images/s and peak memory.

``d2gan.train.step.GRAPH_FLAGS`` hybridizes the steps' networks with ``static_alloc=True``
(StyleGAN2's step keeps dynamic memory). This script measures what that buys, per book model
at a ``model_settings`` setting: each variant in a fresh process (``model_table.run_isolated``),
``rounds`` times with the two variants interleaved (this VM's speed drifts by 20-30 % between
hours, so only interleaved runs compare), and reports the median images/s of each, their ratio, and the process's peak
resident memory (``ru_maxrss``).

    python benchmarks/static_alloc.py                       # every chapter row, 3 rounds
    python benchmarks/static_alloc.py --models stargan --setting paper --rounds 1 --iters 1
    python benchmarks/static_alloc.py --save                # benchmarks/results/static_alloc.json
    python benchmarks/static_alloc.py --setting paper --models stylegan2 --rounds 1 --iters 1 --save
                                                  # ... /static_alloc_paper.json
"""
import argparse
import json
import os
import resource
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from model_settings import SETTINGS  # noqa: E402
from model_table import build_step, run_isolated  # noqa: E402
from results import save_results  # noqa: E402
from scale_throughput import time_steps  # noqa: E402

VARIANTS = ('dynamic', 'static')


def row(model, setting, variant, iters, warmup):
    """One variant's images/s and peak memory (MiB), in this process."""
    step, batch, spec = build_step(model, setting)
    step.hybridize(static_alloc=variant == 'static')     # whatever the step's own default
    return {'images_per_s': time_steps(step, batch, warmup, iters, spec['batch']),
            'peak_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def compare(model, setting, rounds, iters, warmup):
    """``{variant: [row per round]}``, the variants' order alternating between rounds."""
    runs = {v: [] for v in VARIANTS}
    for r in range(rounds):
        for variant in (VARIANTS if r % 2 == 0 else VARIANTS[::-1]):
            runs[variant].append(run_isolated(__file__, '--row',
                                              [model, setting, variant, iters, warmup]))
    return runs


def summary(runs):
    """Median images/s of each variant, static / dynamic, and the largest peak memory of each."""
    med = {v: statistics.median(r['images_per_s'] for r in runs[v]) for v in VARIANTS}
    peak = {v: max(r['peak_mib'] for r in runs[v]) for v in VARIANTS}
    return {'dynamic': med['dynamic'], 'static': med['static'],
            'ratio': med['static'] / med['dynamic'],
            'peak_mib_dynamic': peak['dynamic'], 'peak_mib_static': peak['static']}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--models', default=None, help='default: every model with the setting')
    p.add_argument('--setting', default='chapter', choices=('chapter', 'paper'))
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--iters', type=int, default=10)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--save', action='store_true',
                   help='keep the rows in benchmarks/results/static_alloc.json '
                        '(static_alloc_paper.json for --setting paper)')
    p.add_argument('--row', default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.row:
        print(json.dumps(row(*json.loads(args.row))))
        return None
    models = ([m.strip() for m in args.models.split(',')] if args.models
              else [m for m in SETTINGS if args.setting in SETTINGS[m]])
    unknown = [m for m in models if args.setting not in SETTINGS.get(m, {})]
    if unknown:
        raise SystemExit(f'error: no {args.setting} setting for {unknown}; valid: '
                         f'{", ".join(m for m in SETTINGS if args.setting in SETTINGS[m])}')
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'{os.cpu_count()} CPU cores, load average {load:.2f} at start; {args.rounds} '
          f'interleaved rounds of {args.iters} iterations per variant', flush=True)
    print(f'{"model":<10} {"dynamic":>9} {"static":>9} {"ratio":>6} {"MiB dyn":>8} '
          f'{"MiB static":>10}', flush=True)
    rows = []
    for model in models:
        runs = compare(model, args.setting, args.rounds, args.iters, args.warmup)
        rows.append(dict(model=model, setting=args.setting, runs=runs, **summary(runs)))
        r = rows[-1]
        print(f'{model:<10} {r["dynamic"]:9.2f} {r["static"]:9.2f} {r["ratio"]:6.3f} '
              f'{r["peak_mib_dynamic"]:8.0f} {r["peak_mib_static"]:10.0f}', flush=True)
    if args.save:
        name = 'static_alloc' + ('' if args.setting == 'chapter' else '_' + args.setting)
        print('saved', save_results(name, {'rounds': args.rounds, 'iters': args.iters,
                                           'rows': rows}, load))
    return rows


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
