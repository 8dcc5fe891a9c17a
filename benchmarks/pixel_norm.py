"""PGGAN's pixel norm on feature maps, forward + backward, at the book's and the paper's
shapes: the library's route (two 1x1 convolutions, :func:`d2gan.nn.channel_ops.pixel_norm`)
vs the ``L2Normalization`` channel mode it replaced, both hybridized, in one run. Equal to
float rounding (``tests/test_channel_ops.py``); this prints the time of each and the ratio.

    python benchmarks/pixel_norm.py
"""
import d2gan  # noqa: F401  (thread defaults before mxnet loads)
from mxnet import nd

from d2gan.nn.channel_ops import pixel_norm
from timing import best_ms, hybrid_block

# (N, C, H, W): the chapter's generator (fmap_max 32, 32 px, batch 16) at 32 and 8 px, then
# the paper's (fmap_base 8192, batch 4) at 16 px (512 channels) and 128 px (64 channels)
SHAPES = [(16, 32, 32, 32), (16, 32, 8, 8), (4, 512, 16, 16), (4, 64, 128, 128)]


def by_l2normalization(F, x, channels, epsilon=1e-8):
    """The replaced route: ``L2Normalization`` over the channels, times ``sqrt(C)``."""
    return F.L2Normalization(x, mode='channel', eps=epsilon * channels) * (channels ** 0.5)


def main():
    print(f'{"shape":<20}{"L2Normalization ms":>20}{"1x1 convs ms":>14}{"speed-up":>10}')
    for shape in SHAPES:
        x = nd.random.normal(shape=shape)
        x.attach_grad()
        old = hybrid_block(by_l2normalization, shape[1])
        new = hybrid_block(pixel_norm, shape[1])
        t_old = best_ms(old, [x])
        t_new = best_ms(new, [x])
        print(f'{str(shape):<20}{t_old:20.3f}{t_new:14.3f}{t_old / t_new:10.2f}', flush=True)


if __name__ == '__main__':
    main()
