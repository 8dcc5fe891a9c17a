"""VGG-19 perceptual loss (Johnson et al., 2016), as SPADE and pix2pixHD use it.

``L_VGG(x, y) = sum_i w_i * mean |phi_i(x) - phi_i(y)|`` over the VGG-19 activations
``relu1_1, relu2_1, relu3_1, relu4_1, relu5_1`` with ``w = 1/32, 1/16, 1/8, 1/4, 1``
(NVlabs/SPADE ``VGGLoss``); ``y``'s features are constants. It compares images by what an
ImageNet classifier sees in them -- edges, textures, parts -- rather than pixel by pixel.

The network is gluon-cv's VGG-19 definition (loaded by
:func:`d2gan.nn.pretrained.gluoncv_model_module`) with its ImageNet weights read from a
*local* file: nothing is downloaded at run time. A missing file raises
:class:`VGGWeightsNotFoundError` saying where it was looked for and how to get it.
Unlike the reference, which feeds ``[-1, 1]`` images straight in, the images are mapped to
``[0, 1]`` and normalised with the ImageNet mean and std the weights were trained with.
"""
import os

import mxnet as mx
from mxnet import gluon

from .nn.pretrained import IMAGENET_MEAN, IMAGENET_STD, gluoncv_model_module

#: gluon-cv's ImageNet weights for VGG-19 (``model_store.py``: SHA-1 and file name).
VGG19_SHA1 = 'ad2f660d101905472b83590b59708b71ea22b2e5'
VGG19_FILE = f'vgg19-{VGG19_SHA1[:8]}.params'
#: ``features[a:b]`` of VGG-19 that end in relu1_1, relu2_1, relu3_1, relu4_1, relu5_1
SLICES = ((0, 2), (2, 7), (7, 12), (12, 21), (21, 30))
LAYER_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)


class VGGWeightsNotFoundError(FileNotFoundError):
    """The VGG-19 weight file is not on disk (nothing is downloaded at run time)."""


def default_vgg19_weights():
    """``$D2GAN_VGG19_WEIGHTS`` if set, else ``$MXNET_HOME/models/vgg19-ad2f660d.params``."""
    if os.environ.get('D2GAN_VGG19_WEIGHTS'):
        return os.path.abspath(os.path.expanduser(os.environ['D2GAN_VGG19_WEIGHTS']))
    home = os.environ.get('MXNET_HOME', os.path.join('~', '.mxnet'))
    return os.path.abspath(os.path.expanduser(os.path.join(home, 'models', VGG19_FILE)))


def vgg19_weights_available(weights=None):
    """Whether the VGG-19 weight file (``weights`` or the default location) exists."""
    return os.path.isfile(weights or default_vgg19_weights())


def _missing(path):
    return VGGWeightsNotFoundError(
        f'VGG-19 weights not found at {path}. The perceptual (VGG) loss needs gluon-cv\'s '
        f'ImageNet weights ({VGG19_FILE}, SHA-1 {VGG19_SHA1}); nothing is downloaded at run '
        'time. On a machine with internet access run `python -c "from gluoncv.model_zoo import '
        'get_model; get_model(\'vgg19\', pretrained=True)"`, which saves the file to '
        f'~/.mxnet/models/{VGG19_FILE}, and copy it to {path} (or pass weights=PATH, or set '
        'D2GAN_VGG19_WEIGHTS). Or train without the VGG loss (lambda_vgg=0).')


class VGG19Features(gluon.HybridBlock):
    """Images in ``[-1, 1]`` -> the 5 activations relu1_1 ... relu5_1 of VGG-19."""

    def __init__(self, vgg, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.slices = gluon.nn.HybridSequential(prefix='')
            for a, b in SLICES:
                part = gluon.nn.HybridSequential(prefix='')
                for k in range(a, b):
                    part.add(vgg.features[k])
                self.slices.add(part)
            self.mean = self.params.get_constant(
                'mean', mx.nd.array(IMAGENET_MEAN).reshape((1, 3, 1, 1)))
            self.std = self.params.get_constant(
                'std', mx.nd.array(IMAGENET_STD).reshape((1, 3, 1, 1)))

    def hybrid_forward(self, F, x, mean, std):
        x = F.broadcast_div(F.broadcast_sub((x + 1) / 2, mean), std)
        outs = []
        for part in self.slices:
            x = part(x)
            outs.append(x)
        return outs


class VGGLoss:
    """``loss(fake, real) -> (N,)``: the weighted L1 distance of VGG-19 features, per image.

    Parameters
    ----------
    weights : str or None
        gluon-cv's VGG-19 ImageNet weight file; ``None`` looks in :func:`default_vgg19_weights`.
    random_weights : bool
        Random VGG weights (shape tests only: the loss then means nothing).
    """

    def __init__(self, weights=None, device=None, random_weights=False):
        self.device = device or mx.cpu()
        vgg = gluoncv_model_module('vgg').vgg19(pretrained=False)
        self.weights = None
        if random_weights:
            vgg.initialize(mx.init.Xavier(), ctx=self.device)
        else:
            self.weights = os.path.abspath(os.path.expanduser(
                weights if weights is not None else default_vgg19_weights()))
            if not os.path.isfile(self.weights):
                raise _missing(self.weights)
            try:
                vgg.load_parameters(self.weights, ctx=self.device)
            except (AssertionError, ValueError, RuntimeError, mx.base.MXNetError) as e:
                raise ValueError(f'{self.weights} does not hold VGG-19 weights that fit '
                                 f"gluon-cv's definition: {e}") from e
        self.net = VGG19Features(vgg)
        for constant in (self.net.mean, self.net.std):
            constant.initialize(ctx=self.device)
        for param in self.net.collect_params().values():
            param.grad_req = 'null'   # a fixed feature extractor
        self.net.hybridize()

    def __call__(self, fake, real):
        fake_features = self.net(fake)
        real_features = self.net(real.detach())
        total = 0
        for w, f, r in zip(LAYER_WEIGHTS, fake_features, real_features):
            total = total + w * (f - r.detach()).abs().reshape((f.shape[0], -1)).mean(axis=1)
        return total

    def __repr__(self):
        return f'VGGLoss(weights={self.weights!r})'
