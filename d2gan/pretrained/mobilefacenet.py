"""Photo2Cartoon's face-recognition weights, ``model_mobilefacenet.pth``, for the face-ID loss.

minivision-ai/photo2cartoon trains with a MobileFaceNet from TreB1eN/InsightFace_Pytorch (its
README's download, "Download" section: Google Drive
https://drive.google.com/open?id=1lsQS8hOCquMFKJFhK_z-n03ixWGkjT2P or Baidu Cloud
https://pan.baidu.com/s/1MsT3-He3UGipKhUi4OcCJw, code ``y2ch``). The file is a plain state
dict of ``MobileFaceNet(512)``; the format ``photo2cartoon-mobilefacenet`` converts it into
:class:`d2gan.models.mobilefacenet.MobileFaceNet`. The d2gan names are the reference's keys
with Gluon's parameter names at the end:

==========================  ==========================  ====================================
reference key ends in       d2gan parameter ends in     layers
==========================  ==========================  ====================================
``conv.weight``             ``conv.weight``             every convolution (no biases)
``bn.weight``, ``bn.bias``  ``bn.gamma``, ``bn.beta``   the 50 batch norms; running
``bn.running_mean``, _var   the same                    statistics as they are;
``bn.num_batches_tracked``  --                          ``num_batches_tracked`` ignored
``prelu.weight``            ``prelu.alpha``             PReLU, one slope per channel
``linear.weight``           ``linear.weight``           the embedding (no bias)
==========================  ==========================  ====================================

``embedding_size`` is read off ``linear.weight``. Keys the network lacks, keys missing and
wrong shapes are named by :func:`~d2gan.pretrained.keymap.load_state`. The converted network is
the reference's in ``eval()`` mode, a feature extractor: its batch norms use their running
statistics always (``use_global_stats=True``; :mod:`d2gan.models.mobilefacenet` says why).

:func:`load_face_features` is the loss's way in: ``<data root>/model_mobilefacenet.pth`` (needs
torch) or ``.npz`` (``scripts/pth_to_npz.py``), **checked** -- its SHA-256 must be the one
given (``sha256=``) or recorded beside it in ``<file>.sha256``; the first load without either
records it (trust on first use, as :func:`d2gan.data.download.fetch_archive` does for
archives without published sums), so a later swapped or damaged file is refused. Registered as
the face feature network ``'mobilefacenet'`` (:data:`d2gan.losses_faceid.FACE_FEATURES`).
"""
import os
import sys

import mxnet as mx

from ..data.download import data_root, file_digest
from ..data.errors import ChecksumError
from ..losses_faceid import FACE_FEATURES, freeze
from ..models.mobilefacenet import MobileFaceNet
from .convert import FORMATS, convert
from .state_dict import read_state_dict, required

NETWORK = 'MobileFaceNet (photo2cartoon models/mobilefacenet.py)'
FILE = 'model_mobilefacenet'
WHERE = ('the photo2cartoon README\'s "Download" links (Google Drive '
         'https://drive.google.com/open?id=1lsQS8hOCquMFKJFhK_z-n03ixWGkjT2P, Baidu Cloud '
         'https://pan.baidu.com/s/1MsT3-He3UGipKhUi4OcCJw code y2ch)')
_SUFFIXES = {'gamma': 'weight', 'beta': 'bias', 'alpha': 'weight'}


class FaceWeightsNotFoundError(FileNotFoundError):
    """MobileFaceNet's weight file is not on disk (nothing is downloaded at run time)."""


def reference_key(name):
    """The reference's state-dict key of the d2gan parameter ``name`` (``conv1.bn.gamma`` ->
    ``conv1.bn.weight``)."""
    head, _, last = name.rpartition('.')
    return f'{head}.{_SUFFIXES.get(last, last)}'


@FORMATS.register('photo2cartoon-mobilefacenet', family='photo2cartoon')
def mobilefacenet(state, fmt='photo2cartoon-mobilefacenet'):
    embedding_size = int(required(state, 'linear.weight', fmt, NETWORK).shape[0])
    names = MobileFaceNet(embedding_size)._collect_params_with_prefix()
    pairs = [(reference_key(name), name) for name in names]
    ignored = {key.replace('.running_mean', '.num_batches_tracked') for key, _ in pairs
               if key.endswith('.running_mean')}
    return dict(model='mobilefacenet', pairs=pairs, ignored=ignored,
                kwargs=dict(embedding_size=embedding_size, use_global_stats=True))


def sha256_of(path):
    return file_digest(path, 'sha256')


def check_sha256(path, sha256=None):
    """Refuse ``path`` unless its SHA-256 is ``sha256`` and the one in ``<path>.sha256``
    (each where there is one); record it there if there is none (trust on first use)."""
    record, digest = path + '.sha256', sha256_of(path)
    recorded = None
    if os.path.isfile(record):
        with open(record) as f:
            recorded = (f.read().split() or [None])[0]
    for expected, source in ((sha256, 'sha256='), (recorded, record)):
        if expected is not None and digest != expected.lower():
            raise ChecksumError(f'{path} has SHA-256 {digest}, but {source} says {expected}: '
                                f'a different or damaged file; get it again from {WHERE}, '
                                f'or delete {record} to trust this one')
    if recorded is None:
        with open(record, 'w') as f:
            f.write(f'{digest}  {os.path.basename(path)}\n')
        print(f'recorded SHA-256 {digest} of {path} in {record}', file=sys.stderr)
    return digest


def default_face_weights(root=None):
    """``<data root>/model_mobilefacenet.pth`` if there, else the ``.npz`` beside it (which
    is then returned whether it exists or not)."""
    pth = os.path.join(data_root(root), FILE + '.pth')
    return pth if os.path.isfile(pth) else os.path.join(data_root(root), FILE + '.npz')


def load_face_features(path=None, sha256=None, device=None, hybridize=True):
    """The reference's MobileFaceNet with the weights of ``path`` (default
    :func:`default_face_weights`), SHA-256 checked, frozen (``grad_req = 'null'``)."""
    path = os.path.abspath(os.fspath(path)) if path is not None else default_face_weights()
    if not os.path.isfile(path):
        pth = os.path.splitext(path)[0] + '.pth'
        raise FaceWeightsNotFoundError(
            f'MobileFaceNet weights not found: expected {path}'
            + ('' if pth == path else f' (or {pth})') + '. The face-ID loss needs '
            f'{FILE}.pth from {WHERE}; put it in {os.path.dirname(path)} (without torch, '
            f'convert it to {FILE}.npz with scripts/pth_to_npz.py first), or train without the '
            "face-ID term (face_features=None, faceid_weight=0)")
    check_sha256(path, sha256)
    net, _ = convert('photo2cartoon-mobilefacenet', read_state_dict(path), device or mx.cpu())
    if hybridize:
        net.hybridize()
    return freeze(net)


FACE_FEATURES.register('mobilefacenet')(load_face_features)

__all__ = ['FaceWeightsNotFoundError', 'check_sha256', 'default_face_weights',
           'load_face_features', 'reference_key', 'sha256_of']
