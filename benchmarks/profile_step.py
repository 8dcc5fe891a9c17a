"""Where a book model's training iteration spends its time: MXNet's profiler, per operator.

Runs ``iters`` iterations of ``model``'s step at a ``model_settings`` setting under
``mx.profiler`` and prints the operators that take the most time, as a share of all operator
time, grouped so that the causes read at a glance (convolutions, normalisation, padding,
layout, ...). This is how the model table's slow rows are explained.

    python benchmarks/profile_step.py cyclegan              # the chapter's setting
    python benchmarks/profile_step.py stargan --setting paper --iters 1 --top 25
    python benchmarks/profile_step.py --save     # every model, each in a fresh process,
                                                 # kept in benchmarks/results/profiles.json
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from model_settings import SETTINGS  # noqa: E402

GROUPS = {
    'convolution': ('Convolution', 'Deconvolution', 'FullyConnected', 'dot', 'batch_dot'),
    'normalisation': ('LayerNorm', 'BatchNorm', 'InstanceNorm', 'GroupNorm', 'L2Normalization',
                      'd2gan_rows_norm', 'd2gan_rows_affine', 'd2gan_instance_layer_norm'),
    'padding': ('Pad', 'd2gan_reflect_pad'),
    'layout': ('transpose', 'Reshape', 'reshape', 'slice', 'Concat', 'concat', 'reverse',
               'SliceChannel', 'split', 'expand_dims', 'repeat', 'tile', 'broadcast_to'),
    'optimizer': ('adam_update', 'd2gan_adam_update', 'sgd', 'rmsprop'),
}


def group_of(op):
    name = op[len('_backward_'):] if op.startswith('_backward_') else op
    for group, prefixes in GROUPS.items():
        if any(name.startswith(p) for p in prefixes):
            return group
    return 'element-wise and other'


def parse_operators(table):
    """``{operator: total ms}`` from the 'operator' block of ``mx.profiler.dumps()``."""
    lines, ops, inside = table.splitlines(), {}, False
    for line in lines:
        if line.strip() == 'operator':
            inside = True
            continue
        if inside:
            parts = line.split()
            if not parts and ops:
                break
            if len(parts) == 6 and parts[0] not in ('Name', '----'):
                try:
                    ops[parts[0]] = float(parts[2])
                except ValueError:
                    pass
    return ops


def operator_ms(step, batch, iters, **config):
    """``{operator: total ms}`` of ``iters`` calls of ``step.train_step(batch)`` under MXNet's
    profiler (``config``: extra ``mx.profiler.set_config`` switches; default: profile all)."""
    import mxnet as mx
    # the profiler (re)creates its file when it dumps, so it must never be os.devnull: with
    # that name it replaced /dev/null with a regular file and broke the machine's shell
    mx.profiler.set_config(**(config or {'profile_all': True}), aggregate_stats=True,
                           filename=os.path.join(tempfile.mkdtemp(), 'profile.json'))
    mx.profiler.set_state('run')
    for _ in range(iters):
        step.train_step(batch)
    mx.nd.waitall()
    mx.profiler.set_state('stop')
    return parse_operators(mx.profiler.dumps(reset=True))


def profile(model, setting, iters, warmup=2):
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    import mxnet as mx
    from model_table import build_step
    step, batch, _ = build_step(model, setting)
    for _ in range(warmup):
        step.train_step(batch)
    mx.nd.waitall()
    ops = operator_ms(step, batch, iters)
    return {op: ms / iters for op, ms in ops.items()}


def report(model, setting, per_iter, top):
    total = sum(per_iter.values())
    groups = {}
    for op, ms in per_iter.items():
        groups[group_of(op)] = groups.get(group_of(op), 0.0) + ms
    lines = [f'{model} ({setting}): {total:.1f} ms of operator time per iteration',
             '  by kind: ' + ', '.join(f'{g} {100 * ms / total:.0f}%' for g, ms in
                                       sorted(groups.items(), key=lambda kv: -kv[1]))]
    for op, ms in sorted(per_iter.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f'  {op:<32}{ms:9.2f} ms {100 * ms / total:6.1f}%')
    return '\n'.join(lines)


def by_kind(per_iter):
    """``{kind: share of operator time (%)}`` of one profile, largest first."""
    total = sum(per_iter.values())
    kinds = {}
    for op, ms in per_iter.items():
        kinds[group_of(op)] = kinds.get(group_of(op), 0.0) + 100 * ms / total
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))


def profile_isolated(model, setting, iters):
    """:func:`profile` in a fresh process (as ``model_table.py`` measures its rows)."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), model, '--setting', setting,
                          '--iters', str(iters), '--json'], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f'profiling {model} {setting} failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def save_all(setting, iters, top):
    """Profile every model at ``setting`` and keep the results in ``results/profiles.json``."""
    from results import save_results
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    profiles = {}
    for model in SETTINGS:
        if setting in SETTINGS[model]:
            profiles[model] = profile_isolated(model, setting, iters)
            print(report(model, setting, profiles[model], top), flush=True)
    print('saved', save_results('profiles', {'setting': setting, 'iters': iters,
                                             'ms_per_iteration': profiles}, load))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('model', nargs='?', choices=sorted(SETTINGS))
    p.add_argument('--setting', default='chapter', choices=('chapter', 'paper'))
    p.add_argument('--iters', type=int, default=10)
    p.add_argument('--top', type=int, default=12)
    p.add_argument('--json', action='store_true', help='print the per-operator ms as JSON')
    p.add_argument('--save', action='store_true',
                   help='profile every model and keep the results in '
                        'benchmarks/results/profiles.json, where chapter 9 reads them')
    args = p.parse_args(argv)
    if args.save:
        return save_all(args.setting, args.iters, args.top)
    if args.model is None:
        p.error('name a model, or use --save to profile them all')
    if args.setting not in SETTINGS[args.model]:
        raise SystemExit(f'error: {args.model} has no {args.setting!r} setting')
    per_iter = profile(args.model, args.setting, args.iters)
    print(json.dumps(per_iter) if args.json else report(args.model, args.setting, per_iter,
                                                        args.top))


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
