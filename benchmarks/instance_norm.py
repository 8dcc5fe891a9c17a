"""Instance normalisation, forward + backward, at the book's shapes: the library's route (the C++
operator ``d2gan_rows_norm``, :mod:`d2gan.nn.native`) vs the ``LayerNorm`` route it replaced
and vs PyTorch's ``instance_norm``, in one run. Values and gradients of the two MXNet routes are
equal to 1e-6 (``tests/test_rows_norm.py``); this prints the time of each and the ratios.
A second table times the *affine* instance norm (:class:`d2gan.nn.AffineInstanceNorm`, with a
scale and a shift per channel) as the library runs it, one operator each way
(``d2gan_rows_norm_affine``), against the two it replaced (``d2gan_rows_norm``, then
``d2gan_rows_affine``); equal to float rounding (``tests/test_rows_norm_affine.py``).

    python benchmarks/instance_norm.py
"""
import sys

from timing import best_ms, hybrid_block, require_native, torch_cells
from torch_runner import run_torch

# (N, C, H, W) from the book's models: the chapter settings (StarGAN: batch 16, 32 px, 16 to 64
# channels; CycleGAN and U-GAT-IT: batch 1, 64 px, 16 to 64 channels; StarGAN v2: batch 8), then
# larger ones (the 256 px papers, batch 16 at 64 px)
SHAPES = [(16, 16, 32, 32), (16, 64, 8, 8), (1, 16, 64, 64), (1, 64, 16, 16), (8, 32, 16, 16),
          (16, 64, 64, 64), (16, 256, 16, 16), (1, 64, 256, 256), (1, 256, 64, 64)]

TORCH = '''
import json, sys, time, torch
torch.set_num_threads(int(json.loads(sys.argv[1])['threads']))
out = {}
for shape in json.loads(sys.argv[1])['shapes']:
    x = torch.randn(shape, requires_grad=True)
    def step():
        torch.nn.functional.instance_norm(x, eps=1e-5).sum().backward()
    for _ in range(3):
        step()
    best = float('inf')
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(10):
            step()
        best = min(best, (time.perf_counter() - start) / 10 * 1000)
    out[str(tuple(shape))] = best
print(json.dumps(out))
'''


def layer_norm_route(F, x, epsilon=1e-5):
    """The replaced form: MXNet's fused ``LayerNorm`` on the rows ``(N C, H W)``."""
    from d2gan.nn.norm import normalize_rows_layernorm
    return F.reshape_like(normalize_rows_layernorm(F, F.reshape(x, (-3, -1)), epsilon), x)


def two_operator_affine(F, x, gamma, beta):
    """The replaced affine route: the rows normalised, then scaled and shifted per channel."""
    rows = F.d2gan_rows_norm(F.reshape(x, (-3, -1)), eps=1e-5)
    return F.reshape_like(F.d2gan_rows_affine(rows, gamma, beta), x)


def one_operator_affine(F, x, gamma, beta):
    """:class:`d2gan.nn.AffineInstanceNorm`'s route."""
    return F.reshape_like(F.d2gan_rows_norm_affine(F.reshape(x, (-3, -1)), gamma, beta,
                                                   eps=1e-5), x)


def main():
    import os
    import d2gan  # noqa: F401  (OpenMP settings before MXNet loads)
    from mxnet import nd
    from d2gan.nn.norm import normalize_instances
    require_native()
    torch_ms = run_torch(TORCH, {'shapes': SHAPES, 'threads': os.cpu_count()}) or {}
    print(f'{"(N, C, H, W)":<22}{"LayerNorm ms":>13}{"d2gan ms":>10}{"PyTorch ms":>11}'
          f'{"speed-up":>10}{"d2gan/PyTorch":>15}')
    for shape in SHAPES:
        x = nd.random.normal(shape=shape)
        x.attach_grad()
        reps = 10 if shape[0] * shape[1] * shape[2] * shape[3] > 2e6 else 30
        t_old = best_ms(hybrid_block(layer_norm_route), [x], reps)
        t_new = best_ms(hybrid_block(lambda F, v: normalize_instances(F, v, 1e-5)), [x], reps)
        t_torch = torch_ms.get(str(shape))
        torch_col, ratio = torch_cells(t_torch, t_new, 2)
        print(f'{str(shape):<22}{t_old:13.2f}{t_new:10.2f}{torch_col}{t_old / t_new:10.2f}{ratio}')
    print('ms per forward + backward (hybridized, static allocation); d2gan/PyTorch > 1: d2gan '
          'faster')
    sys.stdout.flush()
    print()
    print(f'{"affine (N, C, H, W)":<22}{"two ops ms":>11}{"one op ms":>10}{"speed-up":>10}')
    for shape in SHAPES:
        x, gamma, beta = (nd.random.normal(shape=s) for s in (shape, shape[1:2], shape[1:2]))
        for a in (x, gamma, beta):
            a.attach_grad()
        reps = 10 if shape[0] * shape[1] * shape[2] * shape[3] > 2e6 else 30
        t_two = best_ms(hybrid_block(two_operator_affine), [x, gamma, beta], reps)
        t_one = best_ms(hybrid_block(one_operator_affine), [x, gamma, beta], reps)
        print(f'{str(shape):<22}{t_two:11.2f}{t_one:10.2f}{t_two / t_one:10.2f}')
    print('ms per forward + backward of an affine instance norm (gradients of x, gamma, beta)')


if __name__ == '__main__':
    main()
