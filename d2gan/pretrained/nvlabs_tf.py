"""NVlabs/stylegan2 (TensorFlow) variable names -> the keys of stylegan2-ada-pytorch.

Why: NVIDIA's StyleGAN2 networks were first released as TensorFlow pickles
(``stylegan2-ffhq-config-f.pkl`` and the other ``config-f`` networks); stylegan2-ada-pytorch
reimplemented the same networks, and d2gan converts *its* keys (:mod:`.nvlabs`). The two
differ only in names and layouts, which this module translates, so that a TF pickle (read by
:mod:`.tf_pickle`) converts through the same format, ``nvlabs-stylegan2-generator``.

The correspondence (as the PyTorch reference's own ``legacy.py`` documents it):

=========================================  ==================================================
TensorFlow (``G_main`` / ``D_stylegan2``)  stylegan2-ada-pytorch
=========================================  ==================================================
``mapping/Dense{i}/weight`` ``[in, out]``  ``mapping.fc{i}.weight`` ``(out, in)``
``dlatent_avg``                            ``mapping.w_avg``
``synthesis/4x4/Const/const[0]``           ``synthesis.b4.const``
``synthesis/{R}x{R}/Conv0_up``             ``synthesis.bR.conv0`` (kernel flipped: TF's
                                           up-sampling convolution is a transposed one)
``synthesis/{R}x{R}/Conv1``, ``4x4/Conv``  ``synthesis.bR.conv1``
``.../mod_weight``, ``mod_bias``           ``...affine.weight`` (transposed), ``affine.bias``
                                           (+ 1: TF adds the 1 at run time)
``synthesis/noise{k}[0, 0]``               ``...noise_const`` (layer ``k`` in order)
``{R}x{R}/FromRGB``, ``Conv0``,            D's ``bR.fromrgb``, ``conv0``, ``conv1``,
``Conv1_down``, ``Skip``                   ``skip``
``4x4/Conv``, ``4x4/Dense0``, ``Output``   ``b4.conv``, ``b4.fc``, ``b4.out``
=========================================  ==================================================

Convolutions ``[k, k, in, out]`` become ``(out, in, k, k)``. Every variable must find its place
(``lod`` aside, the progressive-growing counter these networks keep at 0): a leftover one --
a label embedding, the ``orig`` or ``resnet`` generator's layers -- is an error naming it.
"""
import re

import numpy as np

from .errors import PretrainedError
from .tf_layout import tf_conv


class _Taker:
    """Takes TF variables by name, remembering which were used."""

    def __init__(self, state, fmt):
        self.state, self.fmt, self.used = state, fmt, {'lod'}

    def __call__(self, key):
        if key not in self.state:
            raise PretrainedError(f'{self.fmt}: variable {key!r} not found in the TensorFlow '
                                  f'network (its variables begin {", ".join(sorted(self.state)[:4])}'
                                  ' ...)')
        self.used.add(key)
        return np.asarray(self.state[key])

    def leftover(self, what):
        rest = sorted(set(self.state) - self.used)
        if rest:
            raise PretrainedError(f'{self.fmt}: the TensorFlow {what} holds variables d2gan has '
                                  f'no place for: {", ".join(rest[:8])} (a conditional network, '
                                  "or not the 'skip' generator / 'resnet' discriminator?)")


def _resolutions(state, pattern):
    found = sorted({int(m.group(1)) for k in state for m in [re.fullmatch(pattern, k)] if m})
    return found


def tf_generator(state, fmt):
    """The stylegan2-ada-pytorch state dict of a TF ``G_main`` (``Gs`` or ``G``)."""
    take, out = _Taker(state, fmt), {}
    layers = len(_resolutions(state, r'mapping/Dense(\d+)/weight'))
    for i in range(layers):
        out[f'mapping.fc{i}.weight'] = take(f'mapping/Dense{i}/weight').T
        out[f'mapping.fc{i}.bias'] = take(f'mapping/Dense{i}/bias')
    out['mapping.w_avg'] = take('dlatent_avg')
    out['synthesis.b4.const'] = take('synthesis/4x4/Const/const')[0]

    def layer(ours, theirs, noise=None, flip=False):
        weight = take(f'{theirs}/weight')
        out[f'{ours}.weight'] = tf_conv(weight[::-1, ::-1] if flip else weight)
        out[f'{ours}.bias'] = take(f'{theirs}/bias')
        out[f'{ours}.affine.weight'] = take(f'{theirs}/mod_weight').T
        out[f'{ours}.affine.bias'] = take(f'{theirs}/mod_bias') + 1
        if noise is not None:
            out[f'{ours}.noise_strength'] = take(f'{theirs}/noise_strength')
            out[f'{ours}.noise_const'] = take(f'synthesis/noise{noise}')[0, 0]

    for res in [4] + _resolutions(state, r'synthesis/(\d+)x\d+/Conv1/weight'):
        ours, theirs = f'synthesis.b{res}', f'synthesis/{res}x{res}'
        k = 2 * int(np.log2(res)) - 4                 # noise images: one per layer, in order
        if res == 4:
            layer(f'{ours}.conv1', f'{theirs}/Conv', noise=0)
        else:
            layer(f'{ours}.conv0', f'{theirs}/Conv0_up', noise=k - 1, flip=True)
            layer(f'{ours}.conv1', f'{theirs}/Conv1', noise=k)
        layer(f'{ours}.torgb', f'{theirs}/ToRGB')
    take.leftover('generator')
    return out


def tf_discriminator(state, fmt):
    """The stylegan2-ada-pytorch state dict of a TF ``D_stylegan2`` (residual)."""
    take, out = _Taker(state, fmt), {}

    def conv(ours, theirs, bias=True):
        out[f'{ours}.weight'] = tf_conv(take(f'{theirs}/weight'))
        if bias:
            out[f'{ours}.bias'] = take(f'{theirs}/bias')

    for res in _resolutions(state, r'(\d+)x\d+/Conv1_down/weight'):
        ours, theirs = f'b{res}', f'{res}x{res}'
        if f'{theirs}/FromRGB/weight' in state:
            conv(f'{ours}.fromrgb', f'{theirs}/FromRGB')
        conv(f'{ours}.conv0', f'{theirs}/Conv0')
        conv(f'{ours}.conv1', f'{theirs}/Conv1_down')
        conv(f'{ours}.skip', f'{theirs}/Skip', bias=False)
    conv('b4.conv', '4x4/Conv')
    for ours, theirs in (('b4.fc', '4x4/Dense0'), ('b4.out', 'Output')):
        out[f'{ours}.weight'] = take(f'{theirs}/weight').T
        out[f'{ours}.bias'] = take(f'{theirs}/bias')
    take.leftover('discriminator')
    return out


__all__ = ['tf_generator', 'tf_discriminator']
