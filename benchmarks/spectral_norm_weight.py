"""Spectral normalisation's weight ``W / sigma``, forward + backward, hybridized, at the
weight shapes of the book's spectrally normalised layers: the route of MXNet operators (the
weight reshaped to a matrix, the power-iteration step, ``sigma`` from a matrix-vector product,
``W`` times ``1 / sigma`` as a ``FullyConnected``, the weight gradients added) vs the C++
operator ``d2gan_spectral_norm`` (step, ``sigma`` and ``W / sigma`` in one operator,
``d2gan.nn.spectral_norm``), in one run. Equal values and gradients:
``tests/test_spectral_norm.py``.

    python benchmarks/spectral_norm_weight.py
"""
import d2gan  # noqa: F401  (thread defaults before mxnet loads)
from mxnet import nd

from timing import best_ms, hybrid_block, require_native

# (out, in, k, k): SPADE / U-GAT-IT / hinge-SN layers from the chapter's widths to the paper's
# (U-GAT-IT's 256-pixel global critic ends with 1024 -> 2048 channels, 4x4)
SHAPES = [(32, 32, 3, 3), (64, 64, 3, 3), (128, 128, 3, 3), (512, 512, 3, 3), (1, 512, 4, 4),
          (2048, 1024, 4, 4)]


def main():
    from d2gan.nn.spectral_norm import divide_by_sigma, divide_by_sigma_mxnet
    require_native()
    print(f'{"weight":<20}{"MXNet ops ms":>14}{"d2gan_spectral_norm ms":>24}{"ratio":>7}')
    for shape in SHAPES:
        w = nd.random.normal(shape=shape)
        u = nd.random.normal(shape=(shape[0],))
        w.attach_grad()
        t_mx, t_ours = (best_ms(hybrid_block(lambda F, ww, uu: route(F, ww, uu, shape)), [w, u])
                        for route in (divide_by_sigma_mxnet, divide_by_sigma))
        print(f'{str(shape):<20}{t_mx:14.3f}{t_ours:24.3f}{t_mx / t_ours:7.2f}', flush=True)


if __name__ == '__main__':
    main()
