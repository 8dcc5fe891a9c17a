"""One Adam step on one parameter array, at the sizes of the book's networks: MXNet's
``adam_update`` vs the C++ operator ``d2gan_adam_update`` (what ``d2gan.train.adam.FusedAdam``
runs) vs PyTorch's ``Adam`` (the default, and ``fused=True``), in one run. Equal to float
rounding (``tests/test_fused_adam.py``).

Then a whole ``trainer.step`` of book models at the chapter's setting, every trainer: FusedAdam
as it runs (MXNet's updater hands it up to ``AGGREGATE`` parameters, one operator call updates
them and one ``amp_multicast`` copies the new weights back) against one parameter at a time (the
operator and a copy per array, MXNet's ``adam_update`` under ``MIN_SIZE``), alternated in one
process. The figures are wall time per step with the queue drained: operators and Python.

    python benchmarks/adam_update.py
"""
import sys
import time

from timing import require_native
from torch_runner import run_torch

# parameters: DCGAN's generator (chapter), Pix2Pix's chapter G + D, Pix2Pix's paper G
SIZES = [370_112, 8_010_980, 54_413_955]

TORCH = '''
import json, sys, time, torch
torch.set_num_threads(int(json.loads(sys.argv[1])['threads']))
out = {}
for size in json.loads(sys.argv[1])['sizes']:
    row = {}
    for name, options in (('default', {}), ('fused', {'fused': True})):
        p = torch.nn.Parameter(torch.randn(size))
        p.grad = torch.randn(size) * 0.01
        opt = torch.optim.Adam([p], lr=2e-4, betas=(0.5, 0.999), **options)
        for _ in range(3):
            opt.step()
        best = float('inf')
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(10):
                opt.step()
            best = min(best, (time.perf_counter() - start) / 10 * 1000)
        row[name] = best
    out[str(size)] = row
print(json.dumps(out))
'''


def best_ms(fn, reps=10, trials=3):
    from mxnet import nd
    for _ in range(3):
        fn()
    nd.waitall()
    best = float('inf')
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        nd.waitall()
        best = min(best, (time.perf_counter() - start) / reps * 1000)
    return best


# models whose trainers ``trainer_steps`` times: few large arrays, many small ones, many of both
STEP_MODELS = ('wgan-gp', 'attgan', 'stylegan2')


def trainer_steps(model, steps=20, trials=5):
    """``(name, trainer, arrays, values, ms one at a time, ms together)`` per trainer of
    ``model``'s step at the chapter's setting."""
    import mxnet as mx
    from model_table import build_step
    step, batch, _ = build_step(model, 'chapter')
    step.train_step(batch)
    rows = []
    for name, trainer in step.trainers.items():
        params = [p for p in trainer._params if p.grad_req != 'null']
        for p in params:
            p.grad()[:] = 1e-3
        times = {0: float('inf'), 1: float('inf')}
        for _ in range(trials):
            for together in (0, 1):
                for updater in trainer._updaters:
                    updater.aggregate_updates = bool(together)
                mx.nd.waitall()
                start = time.perf_counter()
                for _ in range(steps):
                    for p in params:                 # the gradients count as new each step
                        for data in p.list_data():
                            data._fresh_grad = True
                    trainer.step(1)
                mx.nd.waitall()
                times[together] = min(times[together],
                                      (time.perf_counter() - start) / steps * 1000)
        rows.append((name, trainer, len(params), sum(p.data().size for p in params),
                     times[0], times[1]))
    return rows


def main():
    import os
    import d2gan  # noqa: F401  (OpenMP settings before MXNet loads)
    from mxnet import nd
    require_native()
    torch_ms = run_torch(TORCH, {'sizes': SIZES, 'threads': os.cpu_count()}) or {}
    print(f'{"parameters":>12}{"MXNet ms":>10}{"d2gan ms":>10}'
          f'{"PyTorch ms":>11}{"fused ms":>10}{"vs MXNet":>10}{"d2gan/PyTorch":>15}')
    hyper = dict(lr=2e-4, beta1=0.5, beta2=0.999, epsilon=1e-8, wd=0.0, rescale_grad=1.0)
    for size in SIZES:
        weight, grad = nd.random.normal(shape=(size,)), nd.random.normal(0, 0.01, shape=(size,))
        mean, var = nd.zeros((size,)), nd.zeros((size,))
        t_mx = best_ms(lambda: nd.adam_update(weight, grad, mean, var, out=weight, **hyper))
        t_new = best_ms(lambda: nd.d2gan_adam_update(weight, grad, mean, var, out=weight,
                                                     **hyper))
        row = torch_ms.get(str(size), {})
        t_torch, t_fused = row.get('default'), row.get('fused')
        cols = ''.join(f'{t:11.2f}' if t else f'{"-":>11}' for t in (t_torch,))
        cols += f'{t_fused:10.2f}' if t_fused else f'{"-":>10}'
        ratio = f'{t_torch / t_new:15.2f}' if t_torch else f'{"-":>15}'
        print(f'{size:12,d}{t_mx:10.2f}{t_new:10.2f}{cols}{t_mx / t_new:10.2f}'
              f'{ratio}')
    print('ms per update of one array (d2gan: the operator alone, without FusedAdam\'s copy of the '
          'new weight); d2gan/PyTorch against PyTorch\'s default Adam (the twins\' optimizer)')
    sys.stdout.flush()
    print()
    print(f'{"model":<11}{"trainer":>8}{"arrays":>8}{"values":>10}{"one by one ms":>15}'
          f'{"together ms":>13}{"speed-up":>10}')
    for model in STEP_MODELS:
        for name, trainer, arrays, values, alone, together in trainer_steps(model):
            print(f'{model:<11}{name:>8}{arrays:>8}{values:>10,d}{alone:15.3f}{together:13.3f}'
                  f'{alone / together:10.2f}')
    print('ms per trainer.step (best of 5 x 20 steps, gradients fixed), FusedAdam handed its '
          'parameters together vs one at a time')


if __name__ == '__main__':
    main()
