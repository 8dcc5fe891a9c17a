"""relu, sigmoid and tanh, forward + backward, hybridized: MXNet's elementwise operators
(``F.relu`` / ``F.sigmoid`` / ``F.tanh``) vs ``F.Activation`` (oneDNN's kernels, what the
networks use), at shapes of the book's models, in one run. Equal to one float32 rounding
(``tests/test_activation_kernels.py``); this prints the time of each and the ratio.

    python benchmarks/activations.py
"""
import d2gan  # noqa: F401  (thread defaults before mxnet loads)
from mxnet import nd

from timing import best_ms, hybrid_block

# STGAN's STU at the chapter's widths (batch 16), U-GAT-IT's chapter and paper blocks (batch 1)
SHAPES = [(16, 16, 16, 16), (16, 32, 8, 8), (1, 64, 16, 16), (1, 256, 64, 64)]
ACTS = ('relu', 'sigmoid', 'tanh')


def main():
    print(f'{"shape":<20}' + ''.join(f'{a + " F." + a:>22}{"Activation":>12}{"ratio":>7}'
                                    for a in ACTS))
    for shape in SHAPES:
        x = nd.random.normal(shape=shape)
        x.attach_grad()
        cells = []
        for act in ACTS:
            t_op = best_ms(hybrid_block(lambda F, v, a=act: getattr(F, a)(v)), [x])
            t_act = best_ms(hybrid_block(lambda F, v, a=act: F.Activation(v, act_type=a)), [x])
            cells.append(f'{t_op:22.3f}{t_act:12.3f}{t_op / t_act:7.2f}')
        print(f'{str(shape):<20}' + ''.join(cells), flush=True)


if __name__ == '__main__':
    main()
