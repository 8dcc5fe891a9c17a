"""Operators compiled from C++ against MXNet's custom-operator library API.

MXNet 1.9's wheel ships ``include/mxnet/lib_api.h`` and ``src/lib_api.cc``: a shared library
built against them registers operators that run inside hybridized graphs like MXNet's own
(``mx.library.load``). The library's operators, one file each in ``csrc/``:

- ``d2gan_rows_norm`` (``rows_norm.cc``): instance normalisation's rows, with a fused backward
  -- MXNet's ``LayerNorm`` backward, the route it replaces, is about ten generic broadcast and
  reduce passes;
- ``d2gan_reflect_pad`` (``reflect_pad.cc``): reflection padding, with a backward that runs one
  plane per thread -- MXNet's ``Pad`` backward runs on one thread;
- ``d2gan_rows_norm_affine`` (``rows_norm_affine.cc``): an affine instance norm on the rows,
  normalised, scaled and shifted in one operator each way (:class:`d2gan.nn.AffineInstanceNorm`)
  -- ``d2gan_rows_norm`` then ``d2gan_rows_affine`` make one more pass each way;
- ``d2gan_rows_norm_grad`` (``rows_norm_grad.cc``): an affine instance norm's input gradient on
  the rows, as a forward operator with its own backward (the gradient penalty's instance norm,
  :mod:`d2gan.penalty`) -- the route it replaces is about fifteen small operators per layer;
- ``d2gan_rows_affine`` (``rows_affine.cc``): every row times a scale plus a shift (AdaIN,
  AdaILN, affine instance norm), with a one-pass backward;
- ``d2gan_power_iteration`` (``power_iteration.cc``): spectral normalisation's power-iteration
  step, which stores ``u`` in training -- the route it replaces is a Python ``CustomOp``;
- ``d2gan_spectral_norm`` (``spectral_norm.cc``): a spectrally normalised weight ``W / sigma``
  with the same step, in the weight's own shape: three passes over the weight forward, two
  backward -- the route it replaces (reshapes, the step, ``W / sigma`` and a reshape back) makes
  seven and five, the reshapes of a graph's input being copies;
- ``d2gan_instance_layer_norm`` (``instance_layer_norm.cc``): U-GAT-IT's (Ada)ILN, the mix of
  instance and layer normalisation with its scale and shift, one operator each way -- the
  route it replaces is about forty small graph operators per layer;
- ``d2gan_adam_update`` (``adam_update.cc``): Adam's element-wise update, vectorised, of many
  parameters in one call (:class:`d2gan.train.adam.FusedAdam`) -- MXNet's ``adam_update``
  kernel is not vectorised and takes one parameter per operator.
- ``d2gan_upsample2x`` (``upsample_nearest.cc``): nearest up-sampling by 2, one plane per
  thread both ways (:mod:`d2gan.nn.upsample`) -- MXNet's ``UpSampling`` is 3-6x slower;
- ``d2gan_leaky`` and ``d2gan_leaky_mul`` (``leaky_mul.cc``): the gradient penalty's (leaky)
  ReLU and its input gradient, times a constant mask, one pass each way -- the route they
  replace builds the mask as an array with three scalar operators;
- ``d2gan_interleave_phases`` (``interleave_phases.cc``): the stride phases of a transposed
  convolution interleaved (``depth_to_space``) and cropped, one pass each way
  (:func:`d2gan.nn.conv_transpose.interleave_phases`) -- the route it replaces is two
  transposes and a slice (or, in a graph, a copy);
- ``d2gan_phase_split_kernel`` (``phase_split_kernel.cc``): the flipped sub-kernels of a
  transposed convolution's stride phases as one convolution kernel, one pass each way
  (:func:`d2gan.nn.conv_transpose.phase_split_kernel`) -- the routes it replaces make three to
  five (transposes, padding and a flip, or a 0/1 matrix product and a transpose);
- ``d2gan_scaled_sum`` (``scaled_sum.cc``): ``(a + b) * scale``, a residual block's rescaled
  sum, one pass each way (:mod:`d2gan.nn.scaled_sum`) -- MXNet's route is two operators each
  way, one of them a slow scalar multiply;
- ``d2gan_cam_fold`` (``cam_fold.cc``): U-GAT-IT's class activation map weights folded into its
  1x1 convolution's weight, one pass each way (:mod:`d2gan.nn.cam_fold`) -- MXNet's route
  back-propagates into the weights through a generic reduction, 14x slower at 2048 channels.

:func:`available` builds the library the first time (``g++`` or ``c++``, a few seconds; for
this machine's instruction sets, :func:`native_target`), keeps it in a cache folder keyed by the
sources, the compiler flags, the MXNet version and the target (``$D2GAN_CACHE``, else
``~/.cache/d2gan``), loads it and says whether the operators can be used: only in a process
without GPUs (they have CPU kernels only; with GPUs the graphs keep MXNet's operators), and
not when ``D2GAN_NATIVE=0``. Where no compiler is found or the build fails, it warns once and
the library keeps MXNet's operators: the same numbers, slower.

MXNet does not pass a library operator its write request: the operators always *write* their
outputs, also where MXNet asked to *add to* them. So a parameter read by a library operator is
read through ``identity`` where gradients are added (:func:`d2gan.penalty.adding_gradients`), and
``d2gan._env`` keeps MXNet from summing gradients in place (``MXNET_EXEC_INPLACE_GRAD_SUM_CAP``),
the one place where a static-memory graph asks for "add to".
"""
import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
import warnings

import mxnet as mx

CSRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'csrc')
SOURCES = sorted(glob.glob(os.path.join(CSRC, '*.cc')))
HEADERS = sorted(glob.glob(os.path.join(CSRC, '*.h')))
_state = {}
# -fno-math-errno: sqrt in a loop is vectorised only when it need not set errno (nothing here
# reads errno); the flags are part of the library's cache key
FLAGS = ['-shared', '-fPIC', '-std=c++11', '-O3', '-fno-math-errno', '-fopenmp']


def cache_dir():
    return os.environ.get('D2GAN_CACHE') or os.path.join(os.path.expanduser('~'), '.cache',
                                                          'd2gan')


def _mxnet_root():
    return os.path.dirname(os.path.abspath(mx.__file__))


def compiler():
    """The C++ compiler on ``PATH`` (``g++``, else ``c++``), or None."""
    return shutil.which('g++') or shutil.which('c++')


def native_target(cxx):
    """The instruction sets ``cxx -march=native`` enables here (GCC's ``-Q --help=target``), or
    None where the compiler cannot say: then the library is built for the compiler's default
    target. The vectorised row loops run about 1.5x faster with this machine's widest vectors
    (``benchmarks/instance_norm.py``); the target is part of the library's cache key, so a cache
    folder shared by different CPUs never hands one of them instructions it lacks."""
    try:
        done = subprocess.run([cxx, '-march=native', '-Q', '--help=target'], capture_output=True,
                              text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    lines = [line.split() for line in done.stdout.splitlines()]
    chosen = [' '.join(words) for words in lines
              if words and (words[0].startswith('-march=') or words[-1] == '[enabled]')]
    return '\n'.join(chosen) or None


def _target():
    if 'target' not in _state:
        cxx = compiler()
        _state['target'] = native_target(cxx) if cxx else None
    return _state['target']


def library_path():
    """Where the built library lives: named by the hash of the sources and headers, the MXNet
    version and
    the target instruction sets (:func:`native_target`)."""
    digest = hashlib.sha256(mx.__version__.encode() + b'\0' + (_target() or 'default').encode() +
                            b'\0' + ' '.join(FLAGS).encode())
    for source in SOURCES + HEADERS:
        with open(source, 'rb') as f:
            digest.update(os.path.basename(source).encode() + b'\0' + f.read())
    key = digest.hexdigest()[:16]
    return os.path.join(cache_dir(), f'libd2gan_ops-{key}.so')


def build(path):
    """Compile ``csrc/*.cc`` with MXNet's ``lib_api.cc`` into ``path`` (written to a
    temporary file first, then renamed: a concurrent build or an interrupted one never leaves
    a half-written library), for this machine's instruction sets where the compiler knows
    them (:func:`native_target`)."""
    cxx = compiler()
    if cxx is None:
        raise RuntimeError('no C++ compiler (g++ or c++) on PATH')
    root = _mxnet_root()
    api = os.path.join(root, 'src', 'lib_api.cc')
    if not os.path.exists(api):
        raise RuntimeError(f'this MXNet has no {api} (custom-operator library API)')
    march = ['-march=native'] if _target() else []
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix='.so', dir=os.path.dirname(path))
    os.close(fd)
    try:
        done = subprocess.run([cxx, *FLAGS, *march,
                               '-I', os.path.join(root, 'include'), *SOURCES, api, '-o', tmp],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f'{cxx} failed:\n{done.stderr[-2000:]}')
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def available():
    """Whether the library's operators are loaded and used (see the module docstring)."""
    if 'ok' not in _state:
        _state['ok'] = _load()
    return _state['ok']


def _load():
    if os.environ.get('D2GAN_NATIVE', '1') == '0' or mx.context.num_gpus() > 0:
        return False
    path = library_path()
    try:
        if not os.path.exists(path):
            build(path)
        mx.library.load(path, verbose=False)
    except (RuntimeError, OSError, mx.base.MXNetError) as err:
        warnings.warn(f'd2gan: instance normalisation, reflection padding, AdaIN, (Ada)ILN, '
                      f'spectral normalisation, Adam, the penalty\'s leaky ReLUs, nearest '
                      f'up-sampling and the transposed convolutions\' phases use MXNet\'s '
                      f'operators and a Python operator (slower): the C++ operators could not '
                      f'be built or loaded ({err})')
        return False
    return True


def is_symbolic(F):
    """Whether the operator namespace ``F`` of a ``hybrid_forward`` builds a graph. Test it this
    way, not with ``F is mx.sym``: once a library is loaded (``mx.library.load``), Gluon hands
    ``hybrid_forward`` the module ``mxnet.symbol.op`` instead of ``mxnet.symbol``."""
    return F.__name__.startswith('mxnet.symbol')
