"""The gradient penalty's leaky ReLU, forward + backward, hybridized: the mask-array route
(``m = BlockGrad((x > 0) (1 - slope) + slope)``, then ``elemwise_mul``) vs the C++ operators
``d2gan_leaky`` (``x * m``) and ``d2gan_leaky_mul`` (``dy * m``, the input gradient), with
MXNet's ``LeakyReLU`` (oneDNN) as the floor, at the shapes of the book's critics, in one run.
Equal values and gradients: ``tests/test_penalty.py::test_leaky_operators_equal_the_mask_route``.

    python benchmarks/leaky_mul.py
"""
import d2gan  # noqa: F401  (thread defaults before mxnet loads)
import numpy as np
from mxnet import nd

from timing import best_ms, hybrid_block, require_native

# WGAN-GP's critic at the chapter's batch (80) and PGGAN's / StarGAN v2's at theirs
SHAPES = [(80, 64, 16, 16), (80, 128, 8, 8), (16, 64, 32, 32), (8, 128, 32, 32)]
SLOPE = float(np.float32(0.2))
ATTRS = {'slope': repr(SLOPE), 'gain': '1.0'}


def mask_route(F, v):
    return F.elemwise_mul(v, F.BlockGrad((v > 0) * (1 - SLOPE) + SLOPE))


def main():
    require_native()
    print(f'{"shape":<20}{"mask x*m":>10}{"d2gan_leaky":>13}{"ratio":>7}'
          f'{"mask dy*m":>11}{"leaky_mul":>11}{"ratio":>7}{"LeakyReLU":>11}')
    for shape in SHAPES:
        x = nd.random.normal(shape=shape)
        dy = nd.random.normal(shape=shape)
        x.attach_grad()
        dy.attach_grad()
        t_mask = best_ms(hybrid_block(mask_route), [x])
        t_leaky = best_ms(hybrid_block(lambda F, v: F.d2gan_leaky(v, **ATTRS)), [x])
        t_mask_grad = best_ms(hybrid_block(
            lambda F, d, v: F.elemwise_mul(d, F.BlockGrad((v > 0) * (1 - SLOPE) + SLOPE))),
            [dy, x])
        t_mul = best_ms(hybrid_block(
            lambda F, d, v: F.d2gan_leaky_mul(d, F.BlockGrad(v), **ATTRS)), [dy, x])
        t_floor = best_ms(hybrid_block(
            lambda F, v: F.LeakyReLU(v, act_type='leaky', slope=SLOPE)), [x])
        print(f'{str(shape):<20}{t_mask:10.3f}{t_leaky:13.3f}{t_mask / t_leaky:7.2f}'
              f'{t_mask_grad:11.3f}{t_mul:11.3f}{t_mask_grad / t_mul:7.2f}{t_floor:11.3f}',
              flush=True)


if __name__ == '__main__':
    main()
