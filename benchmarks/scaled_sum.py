"""A residual block's rescaled sum ``(a + b) * scale``, forward + backward, hybridized: MXNet's
``elemwise_add`` then ``_mul_scalar`` vs the C++ operator ``d2gan_scaled_sum``
(``d2gan.nn.scaled_sum``), at StarGAN v2's sizes, in one run -- on free-standing arrays and on
two 3x3 convolutions' outputs (as in the blocks, where oneDNN may hand over its own layout:
the 2x2 average pool, for one, is about free after a convolution, and a C++ pool that is
6-12x faster than ``Pooling`` alone made StarGAN v2 slower). Equal values and gradients:
``tests/test_scaled_sum.py``.

    python benchmarks/scaled_sum.py
"""
import math

import d2gan  # noqa: F401  (thread defaults before mxnet loads)
from mxnet import nd

from timing import best_ms, hybrid_block, require_native

# StarGAN v2 at the chapter's setting (batch 8, dim_in 16 .. 64) and at the paper's (batch 2)
SHAPES = [(8, 16, 32, 32), (8, 32, 16, 16), (8, 64, 8, 8), (2, 64, 256, 256)]
SCALE = 1 / math.sqrt(2)


def main():
    require_native()
    print(f'{"shape":<20}{"add, *s ms":>12}{"d2gan ms":>10}{"ratio":>7}'
          f'{"conv+conv, add, *s":>20}{"conv+conv, d2gan":>18}{"ratio":>7}')
    for shape in SHAPES:
        a, b = nd.random.normal(shape=shape), nd.random.normal(shape=shape)
        w1, w2 = (nd.random.normal(shape=(shape[1], shape[1], 3, 3)) * 0.1 for _ in range(2))
        for x in (a, b, w1, w2):
            x.attach_grad()
        c = shape[1]

        def convs(F, u, v, k1, k2):
            return [F.Convolution(x, k, kernel=(3, 3), pad=(1, 1), num_filter=c, no_bias=True)
                    for x, k in ((u, k1), (v, k2))]

        t_mx = best_ms(hybrid_block(lambda F, u, v: (u + v) * SCALE), [a, b])
        t_ours = best_ms(hybrid_block(
            lambda F, u, v: F.d2gan_scaled_sum(u, v, scale=repr(SCALE))), [a, b])
        t_conv_mx = best_ms(hybrid_block(
            lambda F, *xs: (lambda p, q: (p + q) * SCALE)(*convs(F, *xs))), [a, b, w1, w2])
        t_conv_ours = best_ms(hybrid_block(
            lambda F, *xs: F.d2gan_scaled_sum(*convs(F, *xs), scale=repr(SCALE))),
            [a, b, w1, w2])
        print(f'{str(shape):<20}{t_mx:12.3f}{t_ours:10.3f}{t_mx / t_ours:7.2f}'
              f'{t_conv_mx:20.3f}{t_conv_ours:18.3f}{t_conv_mx / t_conv_ours:7.2f}', flush=True)


if __name__ == '__main__':
    main()
