"""The phase interleave of transposed convolutions ``via_conv`` and of the gradient penalty,
forward + backward, at shapes from the book's models, imperatively and in a hybridized block
(as the models run it): one 6-axis transpose (MXNet's generic loop), two transposes of at
most 4 axes (which MXNet hands to oneDNN; the route without the C++ operators) and the C++
operator ``d2gan_interleave_phases`` (``d2gan.nn.conv_transpose.interleave_phases``). The
values are equal to the bit (``tests/test_interleave_phases.py``); this prints the time of
each and the ratio. A second table times the crop that follows a 4x4 stride-2 transposed
convolution (one row and column off each edge): the operator's crop in the same pass vs the
operator followed by a ``slice``.

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
    from d2gan.nn import native
    from d2gan.nn.conv_transpose import interleave_by_transposes, interleave_phases
    op = native.available()
    print(f'{"(N, s, C, R0, R1)":<24}{"mode":<12}{"6-axis ms":>10}{"transposes":>11}'
          f'{"speed-up":>9}' + (f'{"C++ op":>8}{"speed-up":>9}' if op else ''))
    for n, s, c, r0, r1 in SHAPES:
        x = nd.random.normal(shape=(n, s * s * c, r0, r1))
        x.attach_grad()
        routes = [lambda F, v: six_axis(F, v, s, c),                   # noqa: E731
                  lambda F, v: interleave_by_transposes(F, v, s, c)]   # noqa: E731
        if op:
            routes.append(lambda F, v: interleave_phases(F, v, s, c))  # noqa: E731
        for mode, wrap in (('imperative', lambda f: lambda v: f(nd, v)), ('hybridized', block)):
            t = [best_ms(wrap(route), [x], 50) for route in routes]
            print(f'{str((n, s, c, r0, r1)):<24}{mode:<12}{t[0]:10.3f}{t[1]:11.3f}'
                  f'{t[0] / t[1]:9.2f}' + (f'{t[2]:8.3f}{t[0] / t[2]:9.2f}' if op else ''))
    print('ms per forward + backward; speed-up: over the 6-axis transpose'
          + ('' if op else ' (the C++ operator is not available here)'))
    if op:
        crop_table(interleave_phases)


def crop_table(interleave_phases):
    from mxnet import nd
    print(f'\n{"(N, s, C, R0, R1)":<24}{"op + slice ms":>14}{"op crop ms":>11}{"speed-up":>9}')
    for n, s, c, r0, r1 in SHAPES:
        x = nd.random.normal(shape=(n, s * s * c, r0, r1))
        x.attach_grad()
        sliced = block(lambda F, v: F.slice(interleave_phases(F, v, s, c),  # noqa: E731
                                            begin=(None, None, 1, 1), end=(None, None, -1, -1)))
        cropped = block(lambda F, v: interleave_phases(F, v, s, c, (1, 1, 1, 1)))  # noqa: E731
        t = [best_ms(route, [x], 50) for route in (sliced, cropped)]
        print(f'{str((n, s, c, r0, r1)):<24}{t[0]:14.3f}{t[1]:11.3f}{t[0] / t[1]:9.2f}')
    print('ms per forward + backward, hybridized')


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
