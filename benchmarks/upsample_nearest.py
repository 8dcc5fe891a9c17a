"""Nearest up-sampling by 2, forward + backward, hybridized: MXNet's ``UpSampling`` vs the C++
operator ``d2gan_upsample2x`` (``d2gan.nn.upsample``), at the decoders' sizes, in one run.
Equal values and gradients: ``tests/test_upsample.py``.

    python benchmarks/upsample_nearest.py
"""
import d2gan  # noqa: F401  (thread defaults before mxnet loads)
from mxnet import nd

from timing import best_ms, hybrid_block, require_native

# StarGAN v2's decoder (chapter: batch 8), PGGAN's generator (batch 16), U-GAT-IT's (batch 1)
SHAPES = [(8, 64, 8, 8), (8, 32, 16, 16), (16, 128, 16, 16), (1, 64, 32, 32)]


def main():
    require_native()
    print(f'{"shape":<20}{"UpSampling ms":>15}{"d2gan_upsample2x ms":>21}{"ratio":>7}')
    for shape in SHAPES:
        x = nd.random.normal(shape=shape)
        x.attach_grad()
        t_mx = best_ms(hybrid_block(
            lambda F, v: F.UpSampling(v, scale=2, sample_type='nearest')), [x])
        t_ours = best_ms(hybrid_block(lambda F, v: F.d2gan_upsample2x(v)), [x])
        print(f'{str(shape):<20}{t_mx:15.3f}{t_ours:21.3f}{t_mx / t_ours:7.2f}', flush=True)


if __name__ == '__main__':
    main()
