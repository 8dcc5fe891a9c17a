"""The contract between a GAN and the one training loop.

A *step* owns the networks and their trainers and knows the GAN's objective; the loop
(:func:`d2gan.train.train_gan`) owns epochs, seeding, callbacks and checkpoints. Anything with
these members can be trained by the loop:

* ``networks`` -- ``{name: Block}`` (saved in checkpoints),
* ``trainers`` -- ``{name: gluon.Trainer}`` (their optimizer states are saved too),
* ``config`` -- a JSON-able dict that rebuilds the step through :func:`d2gan.train.build_recipe`,
* ``train_step(batch) -> {loss_name: NDArray}`` -- one optimisation step on a batch,
* ``sample(num, seed) -> NDArray`` -- images in [-1, 1] for grids.
"""
import numpy as np
import mxnet as mx

from ..device import as_device_list, split_and_load


class Step:
    """Base class with the bookkeeping every GAN step shares."""

    def __init__(self, devices=None):
        self.devices = as_device_list(devices)
        self.networks = {}
        self.trainers = {}
        self.config = {}

    def train_step(self, batch):
        raise NotImplementedError

    def sample(self, num, seed=0):
        raise NotImplementedError

    def split(self, batch):
        """Slices of ``batch`` (an NDArray / numpy array) on each of ``self.devices``."""
        return split_and_load(batch, self.devices)

    def noise(self, num, dim, seed=None):
        """Standard normal ``(num, dim)`` latents on the first device.

        With ``seed`` the noise comes from its own NumPy generator (fixed noise for sample grids,
        leaving MXNet's global RNG alone); without it from MXNet's RNG, which the loop seeds.
        """
        if seed is None:
            return mx.nd.random.normal(shape=(num, dim), ctx=self.devices[0])
        z = np.random.default_rng(seed).standard_normal((num, dim)).astype('float32')
        return mx.nd.array(z, ctx=self.devices[0])

    def hybridize(self, **kwargs):
        for net in self.networks.values():
            net.hybridize(**kwargs)
        return self
