"""PyTorch spectral norm (``weight_orig``, ``weight_u``, ``weight_v``) -> d2gan (``weight``, ``u``).

**Why this module exists.** ``torch.nn.utils.spectral_norm`` keeps the raw weight ``W`` and both
power-iteration vectors; in *eval* mode it uses them as stored, ``sigma = u^T W v``, without an
iteration step. d2gan's spectral-norm layers (:mod:`d2gan.nn.spectral_norm`) keep ``u`` only
and, in predict mode too, take one step from it: ``v' = normalize(W^T u_d)``,
``sigma = ||W v'||``. Copying ``weight_u`` into ``u`` would give the sigma of PyTorch's
*training*-mode forward (one step further), not of its eval mode.

**Method.** Choose d2gan's ``u_d`` with ``W^T u_d = v`` (least squares in float64). Then
``v' = v`` and d2gan's sigma is ``||W v||``. PyTorch's last training step stored
``v = normalize(W^T u_prev)`` (so ``v`` lies in the row space of ``W``: the system is exact)
and ``u = normalize(W v)``, so its ``u^T W v`` is ``||W v||`` too: the same number. An optimizer
step after that moves both values apart only at second order in the step; the converter checks
them against each other (relative :data:`TOLERANCE`) and refuses ``u``, ``v`` that are not such
a pair -- a network saved before any training step holds random ones, whose eval-mode sigma no
``u_d`` reproduces in general.

A one-row weight (U-GAT-IT's CAM classifiers, ``(1, C)``) has ``||W v'|| = ||W||`` for every
``u_d``: d2gan computes that norm exactly, so only the check applies there
(:func:`checked_weight`). Tested in ``tests/test_pretrained_ugatit.py``.
"""
import numpy as np

from .state_dict import PretrainedError

TOLERANCE = 1e-3


def sigmas(weight, u, v):
    """``(u_d, ||W v'||, u^T W v)``: d2gan's ``u`` and the two sigmas, in float64."""
    w = np.asarray(weight, np.float64).reshape(weight.shape[0], -1)
    u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
    u_d = np.linalg.lstsq(w.T, v, rcond=None)[0]
    step = w.T @ u_d
    step /= max(np.linalg.norm(step), 1e-12)
    return u_d, float(np.linalg.norm(w @ step)), float(u @ w @ v)


def _pair(state, ref, shape):
    """``(W, u, v)`` of layer ``ref``; ``None`` when ``weight_orig`` is absent or misshapen
    (:func:`d2gan.pretrained.keymap.load_state` reports that); a missing or misshapen
    ``weight_u`` or ``weight_v``, which no d2gan parameter receives as such, is an error here."""
    for name in ('weight_u', 'weight_v'):
        if f'{ref}.{name}' not in state:
            raise PretrainedError(f'missing key {ref}.{name}: the spectral norm of {ref} needs '
                                  'weight_orig, weight_u and weight_v')
    if f'{ref}.weight_orig' not in state:
        return None
    w, u, v = (np.asarray(state[f'{ref}.{name}'])
               for name in ('weight_orig', 'weight_u', 'weight_v'))
    if tuple(w.shape) != tuple(shape):
        return None
    rows, cols = w.shape[0], int(np.prod(w.shape[1:]))
    if u.shape != (rows,) or v.shape != (cols,):
        raise PretrainedError(f'{ref}.weight_u {u.shape} / {ref}.weight_v {v.shape}: expected '
                              f'({rows},) / ({cols},) for weight_orig {tuple(w.shape)}')
    return w, u, v


def _check(ref, ours, theirs):
    if not abs(ours - theirs) <= TOLERANCE * abs(ours):
        raise PretrainedError(
            f'{ref}.weight_u / {ref}.weight_v: the eval-mode sigma u^T W v = {theirs:.6g} of '
            f'the reference is not ||W v|| = {ours:.6g}: u and v are not the pair a training '
            'step of power iteration leaves (a network saved before training?), and no d2gan '
            'u reproduces that sigma')


def u_from_v(state, ref, weight_shape):
    """The transform ``weight_v -> u`` of layer ``ref`` (see the module docstring)."""
    def fit(v):
        pair = _pair(state, ref, weight_shape)
        if pair is None:   # load_state names the missing or misshapen weight_orig
            return v
        u_d, ours, theirs = sigmas(*pair)
        _check(ref, ours, theirs)
        return u_d.astype(np.float32)
    return fit


def checked_weight(state, ref):
    """The transform ``weight_orig -> weight`` of a one-row layer (used as ``W / ||W||``):
    the weight unchanged, after checking its stored ``u``, ``v``."""
    def fit(weight):
        pair = _pair(state, ref, np.shape(weight))
        if pair is not None:
            _check(ref, *sigmas(*pair)[1:])
        return weight
    return fit


__all__ = ['sigmas', 'u_from_v', 'checked_weight', 'TOLERANCE']
