"""Small fully connected generator / discriminator for low-dimensional toy data (chapter 1)."""
from mxnet.gluon import nn

from ..registry import MODELS


class MLPGenerator(nn.HybridBlock):
    """z ``(N, latent_dim)`` -> sample ``(N, out_dim)`` through ``num_layers`` ReLU layers."""

    def __init__(self, latent_dim=2, out_dim=2, hidden=64, num_layers=3, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        with self.name_scope():
            self.body = nn.HybridSequential()
            for _ in range(num_layers):
                self.body.add(nn.Dense(hidden, activation='relu'))
            self.body.add(nn.Dense(out_dim))

    def hybrid_forward(self, F, z):
        return self.body(z)


class MLPDiscriminator(nn.HybridBlock):
    """sample ``(N, in_dim)`` -> one logit per sample, shape ``(N,)``."""

    def __init__(self, hidden=64, num_layers=3, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            for _ in range(num_layers):
                self.body.add(nn.Dense(hidden), nn.LeakyReLU(0.2))
            self.body.add(nn.Dense(1))

    def hybrid_forward(self, F, x):
        return F.reshape(self.body(x), (-1,))


@MODELS.register('mlp_generator')
def mlp_generator(**kwargs):
    return MLPGenerator(**kwargs)


@MODELS.register('mlp_discriminator')
def mlp_discriminator(**kwargs):
    return MLPDiscriminator(**kwargs)
