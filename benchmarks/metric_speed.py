"""Feature-extraction speed of the metric extractors on CPU (images/s).

* the digit classifier (``d2gan.metrics.DigitFeatures``, 32x32 grey) -- what the book uses;
* gluon-cv's Inception-v3 at 299x299 (random weights: the speed is the same as with the real
  ImageNet weights, which cannot be downloaded here), a few batches only.

Also times the metric arithmetic itself: FID's matrix square root (``scipy.linalg.sqrtm`` of a
d x d product, as in pytorch-fid) at d=64 and d=2048, and KID at d=2048.

    python benchmarks/metric_speed.py [--batch-size 200] [--inception-batches 3]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import d2gan  # noqa: E402  (sets the thread count before mxnet loads)
import mxnet as mx  # noqa: E402
from d2gan import metrics  # noqa: E402


def images_per_second(extractor, images, repeats):
    extractor(images)  # warm-up: graph construction, memory planning
    mx.nd.waitall()
    start = time.perf_counter()
    for _ in range(repeats):
        extractor(images)  # returns numpy, so the work is finished
    return repeats * len(images) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-size', type=int, default=200)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--inception-batch-size', type=int, default=16)
    parser.add_argument('--inception-batches', type=int, default=3)
    args = parser.parse_args()
    print(f'CPU threads: OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS")}, '
          f'{os.cpu_count()} cores')
    rng = np.random.default_rng(0)

    digits = metrics.get_extractor('digits')
    X = metrics.real_digits('heldout')[:args.batch_size]
    speed = images_per_second(digits, X, args.repeats)
    print(f'digit classifier (32x32, d={digits.feature_dim}), batch {len(X)}: '
          f'{speed:,.0f} images/s')

    inception = metrics.InceptionV3Features(random_weights=True)
    X = rng.uniform(-1, 1, (args.inception_batch_size, 1, 32, 32)).astype('float32')
    speed = images_per_second(inception, X, args.inception_batches)
    print(f'Inception-v3 (resize to 299x299, d=2048), batch {len(X)}: {speed:,.1f} images/s '
          f'-> {50000 / speed / 60:,.0f} min for the usual 50,000 samples')

    for d, n in ((64, 2000), (2048, 4000)):
        feats = rng.standard_normal((n, d))
        a, b = metrics.gaussian_stats(feats[:n // 2]), metrics.gaussian_stats(feats[n // 2:])
        start = time.perf_counter()
        metrics.frechet_distance(*a, *b)
        print(f'Fréchet distance, d={d}: {time.perf_counter() - start:.3f} s')
    feats = rng.standard_normal((2000, 2048))
    start = time.perf_counter()
    metrics.kernel_inception_distance(feats[:1000], feats[1000:], num_subsets=10,
                                      subset_size=1000)
    print(f'KID, d=2048, subsets of 1000: {(time.perf_counter() - start) * 10:.1f} s '
          'per 100 subsets (timed on 10)')


if __name__ == '__main__':
    main()
