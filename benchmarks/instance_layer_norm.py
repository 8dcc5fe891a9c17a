"""U-GAT-IT's (Ada)ILN layer, forward + backward into ``x``, ``rho`` and the per-example scale
and shift, at the book's and the paper's shapes: the C++ operator ``d2gan_instance_layer_norm``
(what the library runs) vs the graph-operator route it replaced
(``_instance_layer_mix_moments``: the moments as matrix products, the mixing as broadcast
operators on ``(N, C)``) and PyTorch's formula as UGATIT-pytorch writes it, in one run. Equal
to float rounding (``tests/test_instance_layer_norm.py``); this prints the time of each and
the ratios.

    python benchmarks/instance_layer_norm.py
"""
import sys

from timing import best_ms, hybrid_block, require_native, torch_cells
from torch_runner import run_torch

# (N, C, H, W): U-GAT-IT's chapter generator (light, ngf 16, 64 px: AdaILN at 64 channels and
# 16 px, ILN at 32 channels and 32 px, 16 at 64 px), then the paper's (ngf 64, 256 px)
SHAPES = [(1, 64, 16, 16), (1, 32, 32, 32), (1, 16, 64, 64),
          (1, 256, 64, 64), (1, 128, 128, 128), (1, 64, 256, 256)]

TORCH = '''
import json, sys, time, torch
torch.set_num_threads(int(json.loads(sys.argv[1])['threads']))
out = {}
for n, c, h, w in json.loads(sys.argv[1])['shapes']:
    x = torch.randn(n, c, h, w, requires_grad=True)
    rho = torch.rand(1, c, 1, 1, requires_grad=True)
    gamma = torch.rand(n, c, requires_grad=True)
    beta = torch.randn(n, c, requires_grad=True)
    def step():
        in_mean = torch.mean(x, dim=[2, 3], keepdim=True)
        in_var = torch.var(x, dim=[2, 3], keepdim=True, unbiased=False)
        ln_mean = torch.mean(x, dim=[1, 2, 3], keepdim=True)
        ln_var = torch.var(x, dim=[1, 2, 3], keepdim=True, unbiased=False)
        out_in = (x - in_mean) / torch.sqrt(in_var + 1e-5)
        out_ln = (x - ln_mean) / torch.sqrt(ln_var + 1e-5)
        y = rho * out_in + (1 - rho) * out_ln
        y = y * gamma.unsqueeze(2).unsqueeze(3) + beta.unsqueeze(2).unsqueeze(3)
        y.sum().backward()
    for _ in range(3):
        step()
    best = float('inf')
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(10):
            step()
        best = min(best, (time.perf_counter() - start) / 10 * 1000)
    out[str((n, c, h, w))] = best
print(json.dumps(out))
'''


def main():
    import os
    import d2gan  # noqa: F401  (OpenMP settings before MXNet loads)
    from mxnet import nd
    from d2gan.models.ugatit import _instance_layer_mix, _instance_layer_mix_moments
    require_native()
    torch_ms = run_torch(TORCH, {'shapes': SHAPES, 'threads': os.cpu_count()}) or {}
    print(f'{"(N, C, H, W)":<20}{"graph ops ms":>13}{"d2gan ms":>10}{"PyTorch ms":>11}'
          f'{"vs graph ops":>13}{"d2gan/PyTorch":>15}')
    for shape in SHAPES:
        n, c = shape[:2]
        inputs = [nd.random.normal(shape=shape), nd.random.uniform(shape=(1, c, 1, 1)),
                  nd.random.uniform(0.5, 1.5, shape=(n, c)), nd.random.normal(shape=(n, c))]
        for x in inputs:
            x.attach_grad()
        reps = 10 if n * c * shape[2] * shape[3] > 2e6 else 30
        t_old = best_ms(hybrid_block(_instance_layer_mix_moments, c, 1e-5), inputs, reps)
        t_new = best_ms(hybrid_block(_instance_layer_mix, c, 1e-5), inputs, reps)
        t_torch = torch_ms.get(str(shape))
        torch_col, ratio = torch_cells(t_torch, t_new)
        print(f'{str(shape):<20}{t_old:13.3f}{t_new:10.3f}{torch_col}{t_old / t_new:13.2f}'
              f'{ratio}')
    print('ms per forward + backward (hybridized, static allocation); d2gan/PyTorch > 1: d2gan '
          'faster')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
