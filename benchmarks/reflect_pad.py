"""Reflection padding, forward + backward, at the book's shapes: the library's route (the C++
operator ``d2gan_reflect_pad``, :mod:`d2gan.nn.native`) vs MXNet's ``pad`` it replaced and vs
PyTorch's ``ReflectionPad2d``, in one run. Values are equal and gradients equal to 1e-6
(``tests/test_reflect_pad.py``); this prints the time of each and the ratios.

    python benchmarks/reflect_pad.py
"""
import sys

from timing import best_ms, hybrid_block, require_native, torch_cells
from torch_runner import run_torch

# (N, C, H, W, pad) of CycleGAN's and U-GAT-IT's pads: the chapter settings (batch 1, 64 px:
# the 7x7 stem on the image, the residual blocks at 16 px, U-GAT-IT's discriminator layers),
# then the papers' (256 px, batch 1)
SHAPES = [(1, 3, 64, 64, 3), (1, 64, 16, 16, 1), (1, 32, 32, 32, 1), (1, 16, 64, 64, 3),
          (1, 3, 256, 256, 3), (1, 64, 256, 256, 3), (1, 256, 64, 64, 1), (1, 128, 128, 128, 1)]

TORCH = '''
import json, sys, time, torch
torch.set_num_threads(int(json.loads(sys.argv[1])['threads']))
out = {}
for shape in json.loads(sys.argv[1])['shapes']:
    x = torch.randn(shape[:4], requires_grad=True)
    pad = torch.nn.ReflectionPad2d(shape[4])
    def step():
        pad(x).sum().backward()
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


def main():
    import os
    import d2gan  # noqa: F401  (OpenMP settings before MXNet loads)
    from mxnet import nd
    from d2gan.nn.padding import reflect_pad, reflect_pad_mxnet
    require_native()
    torch_ms = run_torch(TORCH, {'shapes': SHAPES, 'threads': os.cpu_count()}) or {}
    print(f'{"(N, C, H, W), pad":<26}{"MXNet pad ms":>13}{"d2gan ms":>10}{"PyTorch ms":>11}'
          f'{"speed-up":>10}{"d2gan/PyTorch":>15}')
    for shape in SHAPES:
        x = nd.random.normal(shape=shape[:4])
        x.attach_grad()
        reps = 10 if shape[0] * shape[1] * shape[2] * shape[3] > 2e6 else 30
        t_old = best_ms(hybrid_block(reflect_pad_mxnet, shape[4]), [x], reps)
        t_new = best_ms(hybrid_block(reflect_pad, shape[4]), [x], reps)
        t_torch = torch_ms.get(str(shape))
        torch_col, ratio = torch_cells(t_torch, t_new)
        label = f'{shape[:4]}, {shape[4]}'
        print(f'{label:<26}{t_old:13.3f}{t_new:10.3f}{torch_col}{t_old / t_new:10.2f}{ratio}')
    print('ms per forward + backward (hybridized, static allocation); d2gan/PyTorch > 1: d2gan '
          'faster')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
