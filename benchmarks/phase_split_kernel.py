"""The phase-split kernel of transposed convolutions ``via_conv`` and of the gradient penalty's
conv input-gradient, ``d2gan.nn.conv_transpose.phase_split_kernel``: its three constructions --
transposes, padding and a flip (``split_by_transposes``), one 0/1 matrix product plus one
transpose (``split_by_placement``; without the C++ operators the library picks between these
two by ``PLACEMENT_MIN_PAIRS``) and the C++ operator ``d2gan_phase_split_kernel`` (what the
library uses where it is available) -- forward + backward, hybridized, at weight shapes of the
book's models. The values are equal to the bit (``tests/test_interleave_phases.py``); this
prints the time of each and the operator's speed-up over the faster of the other two.

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
    from d2gan.nn import native
    from d2gan.nn.conv_transpose import (PLACEMENT_MIN_PAIRS, phase_split_kernel,
                                         split_by_placement, split_by_transposes)
    op = native.available()
    print(f'{"(n_in, n_out, k, s)":<24}{"transposes ms":>14}{"placement ms":>14}'
          f'{"speed-up":>10}  {"without C++":<12}' + (f'{"C++ op":>8}{"speed-up":>10}' if op
                                                      else ''))
    for shape in SHAPES:
        n_in, n_out, k, _ = shape
        w = nd.random.normal(shape=(n_in, n_out, k, k))
        w.attach_grad()
        reps = max(3, min(50, int(2e7 / w.size)))
        t_old = best_ms(block(split_by_transposes, shape), [w], reps)
        t_new = best_ms(block(split_by_placement, shape), [w], reps)
        used = 'placement' if n_in * n_out >= PLACEMENT_MIN_PAIRS else 'transposes'
        line = f'{str(shape):<24}{t_old:14.3f}{t_new:14.3f}{t_old / t_new:10.2f}  {used:<12}'
        if op:
            t_op = best_ms(block(phase_split_kernel, shape), [w], reps)
            line += f'{t_op:8.3f}{min(t_old, t_new) / t_op:10.2f}'
        print(line)
    print('ms per forward + backward (hybridized); the C++ speed-up is over the faster of the '
          'other two' if op else 'ms per forward + backward (hybridized); the C++ operators are '
          'not available here')


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
