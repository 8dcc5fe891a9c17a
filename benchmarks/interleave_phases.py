"""The phase interleave of transposed convolutions ``via_conv`` and of the gradient penalty:
``d2gan.nn.conv_transpose.interleave_phases`` (transposes of at most 4 axes, which MXNet hands
to oneDNN) vs the one 6-axis transpose it replaced (MXNet's generic loop), forward + backward,
at shapes from the book's models, imperatively and in a hybridized block (as the models run
it). The values are equal to the bit
(``tests/test_interleave_phases.py``); this prints the time of each and the ratio.

    python benchmarks/interleave_phases.py
"""
from timing import best_ms

# (N, s, C, R0, R1): input (N, s*s*C, R0, R1) -> output (N, C, s R0, s R1)
SHAPES = [(16, 2, 32, 16, 16), (16, 2, 64, 8, 8), (1, 2, 64, 64, 64), (4, 2, 128, 32, 32),
          (16, 2, 3, 16, 16)]


def six_axis(F, y, s, c):
    """The replaced form: one transpose of 6 axes."""
    y = F.reshape(y, shape=(0, -4, s, -1, -2))
    y = F.reshape(y, shape=(0, 0, -4, s, -1, -2))
    return F.reshape(F.transpose(y, axes=(0, 3, 4, 1, 5, 2)), shape=(0, 0, -3, -3))


def block(fn):
    from mxnet.gluon import nn

    class Wrapped(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            return fn(F, x)

    net = Wrapped()
    net.hybridize()
    return net


def main():
    from mxnet import nd
    from d2gan.nn.conv_transpose import interleave_phases
    print(f'{"(N, s, C, R0, R1)":<24}{"mode":<12}{"6-axis ms":>10}{"d2gan ms":>10}{"speed-up":>10}')
    for n, s, c, r0, r1 in SHAPES:
        x = nd.random.normal(shape=(n, s * s * c, r0, r1))
        x.attach_grad()
        old = lambda F, v: six_axis(F, v, s, c)                    # noqa: E731
        new = lambda F, v: interleave_phases(F, v, s, c)           # noqa: E731
        for mode, wrap in (('imperative', lambda f: lambda v: f(nd, v)), ('hybridized', block)):
            t_old, t_new = best_ms(wrap(old), [x], 50), best_ms(wrap(new), [x], 50)
            print(f'{str((n, s, c, r0, r1)):<24}{mode:<12}{t_old:10.3f}{t_new:10.3f}'
                  f'{t_old / t_new:10.2f}')
    print('ms per forward + backward')


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
