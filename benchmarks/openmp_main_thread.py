"""What one ``asnumpy()`` of a oneDNN-layout array in the main thread costs every later iteration.

Reading a convolution's output from Python reorders it out of oneDNN's blocked layout on the
calling thread, with an OpenMP loop. If the main thread may use several OpenMP threads, that
loop starts a second OpenMP team beside the one of MXNet's engine, GNU libgomp then counts more
threads than cores and stops spin-waiting between operators, and every later operator of the
process gets slower. ``import d2gan`` makes the main thread serial (``d2gan._env``). This
script times a StyleGAN2 training iteration (the book's digit setting) after such a read, in a
fresh process each, with the main thread serial (d2gan's default) and with it given back
``OMP_NUM_THREADS`` threads (the behaviour before), and prints both and their ratio.

    python benchmarks/openmp_main_thread.py [--iters 40] [--save]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from results import save_results  # noqa: E402

CHILD = r'''
import ctypes, json, os, sys, time
import numpy as np
import d2gan
from mxnet import nd
if sys.argv[1] == 'parallel':                  # the behaviour before d2gan made it serial
    ctypes.CDLL('libgomp.so.1').omp_set_num_threads(int(os.environ['OMP_NUM_THREADS']))
x = nd.random.normal(shape=(4, 8, 32, 32))
w = nd.random.normal(shape=(16, 8, 3, 3))
nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1), num_filter=16, no_bias=True).asnumpy()
step = d2gan.build_gan('stylegan2', channel_max=32, mapping_layers=2, pl_weight=0,
                       style_mixing=0, r1_gamma=0.01, mbstd_group_size=32)
batch = nd.array(np.random.default_rng(0).uniform(-1, 1, (32, 1, 32, 32)).astype('float32'))
iters = int(sys.argv[2])
for _ in range(5):
    step.train_step(batch)
nd.waitall()
start = time.perf_counter()
for _ in range(iters):
    step.train_step(batch)
nd.waitall()
print(json.dumps({'seconds_per_iteration': (time.perf_counter() - start) / iters}))
'''


def time_mode(mode, iters):
    out = subprocess.run([sys.executable, '-c', CHILD, mode, str(iters)], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])['seconds_per_iteration']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=40)
    parser.add_argument('--save', action='store_true', help='write benchmarks/results/')
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    serial, parallel = time_mode('serial', args.iters), time_mode('parallel', args.iters)
    print(f'StyleGAN2 iteration after one asnumpy() of a convolution output, '
          f'OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS", os.cpu_count())}:')
    print(f'  main thread serial (d2gan):   {serial:.3f} s')
    print(f'  main thread parallel (before): {parallel:.3f} s   ratio {parallel / serial:.2f}x')
    if args.save:
        print('saved', save_results('openmp_main_thread', {'serial_s': serial,
                                                           'parallel_s': parallel,
                                                           'ratio': parallel / serial}, load))


if __name__ == '__main__':
    main()
