"""U-GAT-IT's CAM weights folded into its 1x1 convolution, forward + backward, hybridized:
MXNet's slices and broadcast products (the route before the operator: ``slice_axis``; the
fallback: ``split``) vs the C++ operator ``d2gan_cam_fold`` (``d2gan.nn.cam_fold``), at the CAM
sizes of U-GAT-IT's paper networks (generator 256 channels, local discriminator 512, global
2048), in one run -- the fold alone, and the whole CAM block (pools, logits, fold, 1x1
convolution, heatmap) on a batch-1 feature map with each route. Equal values and gradients:
``tests/test_cam_fold.py``.

    python benchmarks/cam_fold.py
"""
from unittest import mock

import d2gan  # noqa: F401  (thread defaults before mxnet loads)
import mxnet as mx
from mxnet import nd

from timing import best_ms, hybrid_block, require_native

# (name, channels, side of the feature map at 256 px)
SIZES = [('G', 256, 64), ('D local', 512, 32), ('D global', 2048, 8)]


def fold_by_slices(F, weight, gap, gmp, c):
    return (F.broadcast_mul(F.slice_axis(weight, axis=1, begin=0, end=c),
                            F.reshape(gap, (1, -1, 1, 1))) +
            F.broadcast_mul(F.slice_axis(weight, axis=1, begin=c, end=2 * c),
                            F.reshape(gmp, (1, -1, 1, 1))))


def cam_block(c, x, native_on):
    """The CAM block on ``x``, its graph built with or without the operator: a function that
    returns the sum of its three outputs."""
    from d2gan.models.ugatit import CAM
    cam = CAM(c, spectral_norm=c > 256, slope=0.2 if c > 256 else 0.0)
    cam.initialize(mx.init.Normal(0.02))
    cam.hybridize(static_alloc=True, static_shape=True)
    with mock.patch('d2gan.nn.cam_fold.native.available', return_value=native_on):
        cam(x)                                  # builds the graph with the chosen route
    return lambda x: sum(o.sum() for o in cam(x))


def main():
    require_native()
    from d2gan.nn.cam_fold import cam_fold, cam_fold_mxnet
    print(f'{"CAM":<10}{"C":>6}{"slices ms":>11}{"split ms":>10}{"d2gan ms":>10}{"ratio":>7}'
          f'{"block, split ms":>17}{"block, d2gan ms":>17}{"ratio":>7}')
    for name, c, side in SIZES:
        weight = nd.random.normal(shape=(c, 2 * c, 1, 1))
        gap, gmp = nd.random.normal(shape=(1, c)), nd.random.normal(shape=(1, c))
        for a in (weight, gap, gmp):
            a.attach_grad()
        inputs = [weight, gap, gmp]
        t_slices = best_ms(hybrid_block(fold_by_slices, c), inputs, reps=5)
        t_split = best_ms(hybrid_block(cam_fold_mxnet), inputs, reps=5)
        t_ours = best_ms(hybrid_block(cam_fold), inputs, reps=5)
        x = nd.random.normal(shape=(1, c, side, side))
        x.attach_grad()
        block_split = best_ms(cam_block(c, x, False), [x], reps=5)
        block_ours = best_ms(cam_block(c, x, True), [x], reps=5)
        print(f'{name:<10}{c:6d}{t_slices:11.2f}{t_split:10.2f}{t_ours:10.2f}'
              f'{min(t_slices, t_split) / t_ours:7.1f}{block_split:17.2f}{block_ours:17.2f}'
              f'{block_split / block_ours:7.1f}', flush=True)
    print('ratio: the faster MXNet route / the operator; blocks: a batch-1 feature map of the '
          'size at 256 px')




if __name__ == '__main__':
    main()
