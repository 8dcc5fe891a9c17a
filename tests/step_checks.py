"""Helpers the GAN-step tests share: every parameter of a step, and unpaired toy domains."""
import numpy as np


def params_of(step):
    """``{'network.parameter': array}`` for every network of ``step`` (resume comparisons)."""
    return {f'{k}.{name}': p.data().asnumpy() for k, net in step.networks.items()
            for name, p in net._collect_params_with_prefix().items()}


def domains(n=8, size=16, seed=0):
    """Two unpaired toy domains of ``n`` RGB images: A centred on 0, B shifted up."""
    rng = np.random.default_rng(seed)
    A = np.tanh(rng.standard_normal((n, 3, size, size))).astype('float32')
    return A, np.tanh(rng.standard_normal((n, 3, size, size)) + 1).astype('float32')
