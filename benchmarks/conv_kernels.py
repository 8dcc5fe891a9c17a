"""Single convolution layers, forward + backward, in MXNet and in PyTorch: is a model's gap to
PyTorch in the convolutions themselves or around them?

Both frameworks hand a float32 convolution on CPU to oneDNN, but each bundles its own version
(MXNet 1.9.1 an older one, PyTorch 2.x a recent one with newer AVX-512 kernels). This times the
same layers -- shapes from the book's models at the chapter's and the paper's settings -- with
the same input, output gradient and weights, and prints ms per forward + backward (input and
weight gradients) and the GFLOP/s reached, each framework in its own process, next to the
machine's peak measured in the same run (``model_table.peak_gflops``).

    python benchmarks/conv_kernels.py --torch-python /path/to/venv-with-torch/bin/python
    python benchmarks/conv_kernels.py --save        # benchmarks/results/conv_kernels.json
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from results import save_results  # noqa: E402

# name: (batch, in channels, out channels, height = width of the input, kernel, stride,
#        transposed); padding keeps the size (k // 2), transposed doubles it
LAYERS = {
    'CycleGAN paper residual 3x3 (256 ch, 64 px)': (1, 256, 256, 64, 3, 1, False),
    'CycleGAN paper stem 7x7 (3->64, 256 px)': (1, 3, 64, 256, 7, 1, False),
    'CycleGAN paper up 3x3 s2 transposed (256->128, 64 px)': (1, 256, 128, 64, 3, 2, True),
    'StarGAN paper 4x4 s2 (128 px, 64->128, batch 16)': (16, 64, 128, 64, 4, 2, False),
    'StyleGAN2 paper 3x3 (512 ch, 32 px, batch 4)': (4, 512, 512, 32, 3, 1, False),
    'chapter 3x3 (64 ch, 32 px, batch 16)': (16, 64, 64, 32, 3, 1, False),
    'chapter 3x3 (32 ch, 16 px, batch 16)': (16, 32, 32, 16, 3, 1, False),
}


def geometry(spec):
    n, cin, cout, size, k, stride, transposed = spec
    pad = (k - 1) // 2 if transposed else k // 2
    if transposed:
        out = (size - 1) * stride - 2 * pad + k + (stride - 1)       # output_padding = stride - 1
    else:
        out = (size + 2 * pad - k) // stride + 1
    return pad, out


def flops(spec):
    """Multiply-adds x 2 of the forward pass, x 3 for forward + both gradients."""
    n, cin, cout, size, k, stride, transposed = spec
    _, out = geometry(spec)
    positions = n * (size * size if transposed else out * out)
    return 3 * 2 * positions * cin * cout * k * k


def time_mxnet(spec, reps):
    import mxnet as mx
    from mxnet import autograd, nd
    n, cin, cout, size, k, stride, transposed = spec
    pad, out = geometry(spec)
    mx.random.seed(0)
    x = nd.random.normal(shape=(n, cin, size, size))
    w = nd.random.normal(shape=(cin, cout, k, k) if transposed else (cout, cin, k, k)) * 0.05
    x.attach_grad()
    w.attach_grad()
    g = nd.random.normal(shape=(n, cout, out, out))

    def step():
        with autograd.record():
            if transposed:
                y = nd.Deconvolution(x, w, kernel=(k, k), stride=(stride, stride), pad=(pad, pad),
                                     adj=(stride - 1, stride - 1), num_filter=cout, no_bias=True)
            else:
                y = nd.Convolution(x, w, kernel=(k, k), stride=(stride, stride), pad=(pad, pad),
                                   num_filter=cout, no_bias=True)
        y.backward(g)

    return _best_ms(step, nd.waitall, reps)


def _best_ms(step, sync, reps, trials=3):
    for _ in range(2):
        step()
    sync()
    best = float('inf')
    for _ in range(trials):
        t = time.perf_counter()
        for _ in range(reps):
            step()
        sync()
        best = min(best, (time.perf_counter() - t) / reps * 1000)
    return best


TORCH_CODE = r'''
import json, sys, time
import torch
payload = json.loads(sys.argv[1])
torch.set_num_threads(payload['threads'])
result = {}
for name, (n, cin, cout, size, k, stride, transposed, pad, out) in payload['layers'].items():
    torch.manual_seed(0)
    x = torch.randn(n, cin, size, size, requires_grad=True)
    shape = (cin, cout, k, k) if transposed else (cout, cin, k, k)
    w = (torch.randn(*shape) * 0.05).requires_grad_()
    g = torch.randn(n, cout, out, out)
    def step():
        if transposed:
            y = torch.nn.functional.conv_transpose2d(x, w, stride=stride, padding=pad,
                                                     output_padding=stride - 1)
        else:
            y = torch.nn.functional.conv2d(x, w, stride=stride, padding=pad)
        y.backward(g)
    for _ in range(2):
        step()
    best = float('inf')
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(payload['reps']):
            step()
        best = min(best, (time.perf_counter() - t) / payload['reps'] * 1000)
    result[name] = best
result['version'] = torch.__version__
print(json.dumps(result))
'''


def time_torch(python, reps, threads):
    layers = {name: list(spec) + list(geometry(spec)) for name, spec in LAYERS.items()}
    payload = json.dumps({'layers': layers, 'reps': reps, 'threads': threads})
    try:
        out = subprocess.run([python, '-c', TORCH_CODE, payload], capture_output=True,
                             text=True, check=True).stdout
    except (subprocess.CalledProcessError, OSError) as e:
        print(f'PyTorch not measured: {getattr(e, "stderr", e)}'.strip()[-300:])
        return {}
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--torch-python', default=os.environ.get('D2GAN_TORCH_PYTHON',
                                                            sys.executable))
    p.add_argument('--save', action='store_true',
                   help='keep the results in benchmarks/results/conv_kernels.json')
    args = p.parse_args(argv)
    threads = int(os.environ.get('OMP_NUM_THREADS') or os.cpu_count())
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'{os.cpu_count()} CPU cores, {threads} threads, load average {load:.2f} at start')
    from model_table import peak_gflops
    peak = peak_gflops()
    print(f'peak: {peak:.1f} GFLOP/s')
    theirs = time_torch(args.torch_python, args.reps, threads)
    rows = []
    print(f'{"layer":<56}{"GFLOP":>7}{"MXNet ms":>10}{"torch ms":>10}{"MXNet GF/s":>11}'
          f'{"torch GF/s":>11}{"ratio":>7}')
    for name, spec in LAYERS.items():
        ours = time_mxnet(spec, args.reps)
        pt = theirs.get(name)
        gflop = flops(spec) / 1e9
        rows.append({'layer': name, 'shape': spec, 'gflop': gflop, 'mxnet_ms': ours,
                     'torch_ms': pt})
        print(f'{name:<56}{gflop:7.2f}{ours:10.1f}' + (f'{pt:10.1f}' if pt else f'{"-":>10}')
              + f'{gflop / ours * 1000:11.1f}'
              + (f'{gflop / pt * 1000:11.1f}{pt / ours:7.2f}' if pt else ''), flush=True)
    print('ms per forward + backward (input and weight gradients); ratio = torch ms / MXNet ms '
          '(> 1: MXNet faster)')
    if args.save:
        print('saved', save_results('conv_kernels', {'torch_version': theirs.get('version'),
                                                     'peak_gflops': peak, 'rows': rows}, load))
    return rows


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
