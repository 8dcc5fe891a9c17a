"""Feature extractors for the metrics: ``extractor(images) -> (features, probs)``.

An extractor maps a batch of images (NCHW in ``[-1, 1]``, NDArray or numpy) to numpy arrays:
``features`` ``(N, d)`` for FID/KID and ``probs`` ``(N, k)`` class probabilities for IS.

* :class:`InceptionV3Features` -- the pool3 (2048-d) features and 1000-class softmax of
  Inception-v3 as defined in gluon-cv's model zoo, with ImageNet weights read from a local file.
  These are **not** the TensorFlow 2015 Inception weights that published FIDs use (pytorch-fid's
  ``pt_inception-2015-12-05``), so its numbers rank models the same way in spirit but are not
  comparable with papers' numbers.
* :class:`~d2gan.metrics.digit_classifier.DigitFeatures` -- a small CNN trained here on the real
  MNIST digits; works offline and is what the book uses ("digit FID").
"""
import os

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon

from ..data.download import sha1_of
from ..nn.pretrained import IMAGENET_MEAN, IMAGENET_STD, gluoncv_model_module

#: gluon-cv's ImageNet weights for Inception-v3 (``model_store.py``: SHA-1 and file name).
INCEPTION_SHA1 = 'a5050dbcbfc54908fc1b7700698eb7ffbc150417'
INCEPTION_FILE = f'inceptionv3-{INCEPTION_SHA1[:8]}.params'


class InceptionWeightsNotFoundError(FileNotFoundError):
    """The Inception-v3 weight file is not on disk (nothing is downloaded at run time)."""


class FeatureExtractor:
    """Base class: batches in, numpy ``(features, probs)`` out, in predict mode, no gradients."""

    name = 'extractor'
    feature_dim = None
    num_classes = None

    def __init__(self, device=None):
        self.device = device or mx.cpu()

    def network(self, x):
        """``x`` (prepared NDArray) -> ``(features, probs)`` NDArrays."""
        raise NotImplementedError

    def prepare(self, images):
        return _as_nd(images, self.device)

    def __call__(self, images):
        x = self.prepare(images)
        with autograd.predict_mode():
            features, probs = self.network(x)
        return features.asnumpy(), probs.asnumpy()

    def __repr__(self):
        return f'{type(self).__name__}(d={self.feature_dim}, classes={self.num_classes})'


def _as_nd(images, device):
    if isinstance(images, mx.nd.NDArray):
        x = images.as_in_context(device).astype('float32', copy=False)
    else:
        x = mx.nd.array(np.asarray(images, np.float32), ctx=device)
    if x.ndim != 4:
        raise ValueError(f'expected images of shape (N, C, H, W), got {x.shape}')
    return x


def default_inception_weights():
    """Where the Inception-v3 weights are looked for when none are passed.

    ``$D2GAN_INCEPTION_WEIGHTS`` if set, else gluon-cv's own cache
    ``$MXNET_HOME/models/inceptionv3-a5050dbc.params`` (``MXNET_HOME`` defaults to ``~/.mxnet``).
    """
    if os.environ.get('D2GAN_INCEPTION_WEIGHTS'):
        return os.path.abspath(os.path.expanduser(os.environ['D2GAN_INCEPTION_WEIGHTS']))
    home = os.environ.get('MXNET_HOME', os.path.join('~', '.mxnet'))
    return os.path.abspath(os.path.expanduser(os.path.join(home, 'models', INCEPTION_FILE)))


def _missing_weights(path):
    return InceptionWeightsNotFoundError(
        f'Inception-v3 weights not found at {path}. FID/KID/IS with Inception need gluon-cv\'s '
        f'ImageNet weights ({INCEPTION_FILE}, SHA-1 {INCEPTION_SHA1}); nothing is downloaded at '
        'run time. On a machine with internet access run '
        '`python -c "from gluoncv.model_zoo import get_model; '
        'get_model(\'inceptionv3\', pretrained=True)"`, which saves the file to '
        f'~/.mxnet/models/{INCEPTION_FILE}, and copy it to {path} (or pass weights=PATH, or '
        'set D2GAN_INCEPTION_WEIGHTS). Offline, use the digit extractor '
        "(d2gan.metrics.get_extractor('digits')).")


def gluoncv_inception_v3():
    """gluon-cv's Inception-v3 (``get_model('inceptionv3', pretrained=False)``), uninitialised."""
    return gluoncv_model_module('inception').inception_v3(pretrained=False)


class _InceptionFeatures(gluon.HybridBlock):
    """Resize to 299, ImageNet normalisation, pool3 features and softmax, in one graph."""

    def __init__(self, net, size, **kwargs):
        super().__init__(**kwargs)
        self.net, self.size = net, size
        with self.name_scope():
            self.mean = self.params.get_constant(
                'mean', mx.nd.array(IMAGENET_MEAN).reshape((1, 3, 1, 1)))
            self.std = self.params.get_constant(
                'std', mx.nd.array(IMAGENET_STD).reshape((1, 3, 1, 1)))

    def hybrid_forward(self, F, x, mean, std):
        x = F.contrib.BilinearResize2D(x, height=self.size, width=self.size,
                                       align_corners=False)
        x = F.broadcast_div(F.broadcast_sub((x + 1) / 2, mean), std)
        features = F.flatten(self.net.features(x))
        return features, F.softmax(self.net.output(features))


class InceptionV3Features(FeatureExtractor):
    """Inception-v3 pool3 features (2048-d) and 1000-class probabilities.

    Parameters
    ----------
    weights : str or None
        Path of the gluon-cv ImageNet weight file; ``None`` looks in
        :func:`default_inception_weights`. A missing file raises
        :class:`InceptionWeightsNotFoundError` naming the path and how to get the file.
    random_weights : bool
        Skip the weights and initialise randomly (speed benchmarks and shape tests only:
        the features mean nothing).
    size : int
        Side the images are resized to (bilinear), 299 as for FID.
    """

    name = 'inception'
    feature_dim = 2048
    num_classes = 1000

    def __init__(self, weights=None, device=None, random_weights=False, size=299,
                 check_sha1=False):
        super().__init__(device)
        self.weights = None
        if not random_weights:
            self.weights = os.path.abspath(os.path.expanduser(
                weights if weights is not None else default_inception_weights()))
            if not os.path.isfile(self.weights):
                raise _missing_weights(self.weights)
            if check_sha1 and sha1_of(self.weights) != INCEPTION_SHA1:
                raise ValueError(f'{self.weights} is not gluon-cv\'s Inception-v3 weight file '
                                 f'(SHA-1 differs from {INCEPTION_SHA1})')
        net = gluoncv_inception_v3()
        if random_weights:
            net.initialize(mx.init.Xavier(), ctx=self.device)
        else:
            try:
                net.load_parameters(self.weights, ctx=self.device)
            except (AssertionError, ValueError, RuntimeError, mx.base.MXNetError) as e:
                raise ValueError(f'{self.weights} does not hold Inception-v3 weights that fit '
                                 f"gluon-cv's definition: {e}") from e
        self.block = _InceptionFeatures(net, size)
        for constant in (self.block.mean, self.block.std):
            constant.initialize(ctx=self.device)
        self.block.hybridize(static_alloc=True, static_shape=True)

    def prepare(self, images):
        x = super().prepare(images)
        if x.shape[1] == 1:
            x = x.repeat(3, axis=1)
        elif x.shape[1] != 3:
            raise ValueError(f'Inception-v3 takes 1- or 3-channel images, got {x.shape[1]}')
        return x

    def network(self, x):
        return self.block(x)


