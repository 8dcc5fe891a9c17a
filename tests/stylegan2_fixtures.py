"""Shared by the StyleGAN2 converter tests: reading a fixture, silencing d2gan's noise."""
import numpy as np


def read_fixture(path):
    """``(state dict, {other arrays})`` of a fixture ``.npz`` (state keys stored as
    ``state/<key>``)."""
    with np.load(path) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
        return state, {k: f[k] for k in f.files if not k.startswith('state/')}


def without_noise(net):
    """d2gan always draws fresh per-layer noise: zero its strengths to compare with the
    references' noise-free outputs."""
    for param in net.collect_params('.*noise_strength').values():
        param.set_data(param.data() * 0)
    return net
