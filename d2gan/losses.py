"""GAN losses with one interface.

Every loss returns one value *per example* (shape ``(N,)``): a step sums them before
``backward`` and lets ``Trainer.step(batch_size)`` take the mean, which keeps gradients
independent of how a batch is split over devices.

``d_loss(real_out, fake_out)`` is what the discriminator minimises, ``g_loss(fake_out)`` what the
generator minimises; ``real_out`` / ``fake_out`` are the raw discriminator outputs (logits).
"""
from mxnet import nd

from .registry import Registry

LOSSES = Registry('GAN loss')


def _per_example(x):
    """Average every axis but the first, so patch outputs (N, 1, H, W) give one value per image."""
    return x.reshape((x.shape[0], -1)).mean(axis=1) if x.ndim > 1 else x


class GANLoss:
    """Interface: ``d_loss(real_out, fake_out)`` and ``g_loss(fake_out)``, each ``(N,)``."""

    name = None

    def d_loss(self, real_out, fake_out):
        raise NotImplementedError

    def g_loss(self, fake_out):
        raise NotImplementedError

    def __repr__(self):
        return f'{type(self).__name__}()'


@LOSSES.register('vanilla')
class VanillaGANLoss(GANLoss):
    """Goodfellow et al. (2014) with the *non-saturating* generator loss.

    D minimises ``-log D(x) - log(1 - D(G(z)))`` with ``D = sigmoid(logit)``, computed stably as
    ``softplus(-real) + softplus(fake)``. G minimises ``-log D(G(z)) = softplus(-fake)``; with
    ``saturating=True`` it minimises ``log(1 - D(G(z))) = -softplus(fake)`` instead, the original
    minimax form whose gradient vanishes when D wins (chapter 1 shows why).
    """

    name = 'vanilla'

    def __init__(self, saturating=False):
        self.saturating = saturating

    def d_loss(self, real_out, fake_out):
        return _per_example(nd.Activation(-real_out, 'softrelu')
                            + nd.Activation(fake_out, 'softrelu'))

    def g_loss(self, fake_out):
        if self.saturating:
            return _per_example(-nd.Activation(fake_out, 'softrelu'))
        return _per_example(nd.Activation(-fake_out, 'softrelu'))


def get_loss(name, **kwargs):
    """Build a registered GAN loss by name (``vanilla`` …); unknown names list the valid ones."""
    return LOSSES.get(name, **kwargs)
