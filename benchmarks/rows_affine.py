"""A per-(example, channel) scale and shift of normalised rows (AdaIN's and AdaILN's styles),
forward + backward into the rows, the scales and the shifts, at the book's shapes: the library's
route (the C++ operator ``d2gan_rows_affine``, :func:`d2gan.nn.channel_ops.affine_rows`) vs
MXNet's broadcast operators (StarGAN v2's AdaIN before it), the ``batch_dot`` route (U-GAT-IT's
before it) and PyTorch's broadcast product, in one run. Equal to float rounding
(``tests/test_channel_ops.py``); this prints the time of each and the ratios.

    python benchmarks/rows_affine.py
"""
import sys

from timing import best_ms, hybrid_block, require_native, torch_cells
from torch_runner import run_torch

# (rows, row length) = (N C, H W): StarGAN v2's chapter generator (batch 8, 64 to 256
# channels, 32 to 8 px), U-GAT-IT's chapter AdaILN / ILN (batch 1, 64 to 256 channels at
# 16 px), then the papers' (StarGAN v2 at 256 px, batch 8; U-GAT-IT at 256 px, batch 1)
SHAPES = [(8 * 64, 32 * 32), (8 * 256, 8 * 8), (1 * 256, 16 * 16), (1 * 64, 64 * 64),
          (8 * 512, 32 * 32), (1 * 256, 64 * 64), (8 * 64, 128 * 128)]

TORCH = '''
import json, sys, time, torch
torch.set_num_threads(int(json.loads(sys.argv[1])['threads']))
out = {}
for rows, length in json.loads(sys.argv[1])['shapes']:
    x = torch.randn(rows, length, requires_grad=True)
    a = torch.randn(rows, 1, requires_grad=True)
    b = torch.randn(rows, 1, requires_grad=True)
    def step():
        (x * a + b).sum().backward()
    for _ in range(3):
        step()
    best = float('inf')
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(10):
            step()
        best = min(best, (time.perf_counter() - start) / 10 * 1000)
    out[str((rows, length))] = best
print(json.dumps(out))
'''


def broadcast_route(F, rows, scale, shift):
    """The replaced form in StarGAN v2's AdaIN: broadcast product and sum."""
    return F.broadcast_add(F.broadcast_mul(rows, F.reshape(scale, (-1, 1))),
                           F.reshape(shift, (-1, 1)))


def main():
    import os
    import d2gan  # noqa: F401  (OpenMP settings before MXNet loads)
    from mxnet import nd
    from d2gan.nn.channel_ops import affine_rows, affine_rows_batch_dot
    require_native()
    torch_ms = run_torch(TORCH, {'shapes': SHAPES, 'threads': os.cpu_count()}) or {}
    print(f'{"(N C, H W)":<18}{"broadcast ms":>13}{"batch_dot ms":>13}{"d2gan ms":>10}'
          f'{"PyTorch ms":>11}{"vs broadcast":>13}{"vs batch_dot":>13}{"d2gan/PyTorch":>15}')
    for shape in SHAPES:
        inputs = [nd.random.normal(shape=s) for s in (shape, shape[:1], shape[:1])]
        for x in inputs:
            x.attach_grad()
        reps = 10 if shape[0] * shape[1] > 2e6 else 30
        t_bc = best_ms(hybrid_block(broadcast_route), inputs, reps)
        t_bd = best_ms(hybrid_block(affine_rows_batch_dot), inputs, reps)
        t_new = best_ms(hybrid_block(affine_rows), inputs, reps)
        t_torch = torch_ms.get(str(shape))
        torch_col, ratio = torch_cells(t_torch, t_new)
        print(f'{str(shape):<18}{t_bc:13.3f}{t_bd:13.3f}{t_new:10.3f}{torch_col}'
              f'{t_bc / t_new:13.2f}{t_bd / t_new:13.2f}{ratio}')
    print('ms per forward + backward (hybridized, static allocation); d2gan/PyTorch > 1: d2gan '
          'faster')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
