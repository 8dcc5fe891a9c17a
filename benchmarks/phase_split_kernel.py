"""The phase-split kernel of transposed convolutions ``via_conv`` and of the gradient penalty's
conv input-gradient, ``d2gan.nn.conv_transpose.phase_split_kernel``: its two constructions --
transposes, padding and a flip (``split_by_transposes``, what the library used for every size
before) and one 0/1 matrix product plus one transpose (``split_by_placement``) -- forward +
backward, hybridized, at weight shapes of the book's models, and which one the library picks
(``PLACEMENT_MIN_PAIRS``). The values are equal to the bit (``tests/test_interleave_phases.py``);
this prints the time of each and the ratio.

    python benchmarks/phase_split_kernel.py
"""
from timing import best_ms

# (n_in, n_out, k, s) of the weight (n_in, n_out, k, k): the discriminators' stride-2 convolutions
# whose input gradient the penalty takes (StarGAN at 128 px: 64 to 2048 channels; the chapter's:
# 16 to 128), the generators' up-sampling (via_conv) and the RGB layers
SHAPES = [(2048, 1024, 4, 2), (1024, 512, 4, 2), (256, 128, 4, 2), (128, 64, 4, 2),
          (64, 32, 4, 2), (32, 16, 4, 2), (64, 3, 4, 2), (128, 64, 3, 2)]


def block(fn, shape):
    from mxnet.gluon import nn

    class Wrapped(nn.HybridBlock):
        def hybrid_forward(self, F, w):
            n_in, n_out, k, s = shape
            return fn(F, w, n_in, n_out, k, k, s)

    net = Wrapped()
    net.hybridize(static_alloc=True)
    return net


def main():
    from mxnet import nd
    from d2gan.nn.conv_transpose import (PLACEMENT_MIN_PAIRS, split_by_placement,
                                         split_by_transposes)
    print(f'{"(n_in, n_out, k, s)":<24}{"transposes ms":>14}{"placement ms":>14}'
          f'{"speed-up":>10}  library uses')
    for shape in SHAPES:
        n_in, n_out, k, _ = shape
        w = nd.random.normal(shape=(n_in, n_out, k, k))
        w.attach_grad()
        reps = max(3, min(50, int(2e7 / w.size)))
        t_old = best_ms(block(split_by_transposes, shape), [w], reps)
        t_new = best_ms(block(split_by_placement, shape), [w], reps)
        used = 'placement' if n_in * n_out >= PLACEMENT_MIN_PAIRS else 'transposes'
        print(f'{str(shape):<24}{t_old:14.3f}{t_new:14.3f}{t_old / t_new:10.2f}  {used}')
    print('ms per forward + backward (hybridized)')


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
