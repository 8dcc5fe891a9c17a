"""GAN losses with one interface.

Every loss returns one value *per example* (shape ``(N,)``): a step sums them before
``backward`` and lets ``Trainer.step(batch_size)`` take the mean, which keeps gradients
independent of how a batch is split over devices.

``d_loss(real_out, fake_out)`` is what the discriminator minimises, ``g_loss(fake_out)`` what the
generator minimises; ``real_out`` / ``fake_out`` are the raw discriminator outputs (logits or
critic scores, never probabilities). Patch outputs ``(N, 1, H, W)`` are averaged per image.

Gradient penalties (WGAN-GP, R1) need the critic's input gradient and live in
:mod:`d2gan.penalty`; they plug into :class:`d2gan.GANStep` through its ``penalty`` argument.
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


@LOSSES.register('lsgan')
class LSGANLoss(GANLoss):
    """Least-squares GAN (Mao et al., 2017) with the paper's 0-1 coding ``a=0, b=1, c=1``.

    D minimises ``1/2 (D(x) - b)^2 + 1/2 (D(G(z)) - a)^2``, G minimises ``1/2 (D(G(z)) - c)^2``.
    The outputs are raw scores (no sigmoid); the quadratic keeps pulling fakes that D already
    classifies correctly but that lie far from the data, so G's gradient does not vanish.
    """

    name = 'lsgan'

    def __init__(self, a=0.0, b=1.0, c=1.0):
        self.a, self.b, self.c = a, b, c

    def d_loss(self, real_out, fake_out):
        return (_per_example(0.5 * (real_out - self.b) ** 2)
                + _per_example(0.5 * (fake_out - self.a) ** 2))

    def g_loss(self, fake_out):
        return _per_example(0.5 * (fake_out - self.c) ** 2)

    def __repr__(self):
        return f'{type(self).__name__}(a={self.a}, b={self.b}, c={self.c})'


@LOSSES.register('wgan')
class WassersteinLoss(GANLoss):
    """Wasserstein GAN (Arjovsky et al., 2017): the critic's score difference.

    The critic D minimises ``D(G(z)) - D(x)`` (i.e. maximises the estimate ``E D(x) - E D(G(z))``
    of the Wasserstein-1 distance), G minimises ``-D(G(z))``. The estimate is only meaningful
    for a (roughly) 1-Lipschitz D: add weight clipping (WGAN) or a gradient penalty (WGAN-GP,
    :class:`d2gan.penalty.GradientPenalty`).
    """

    name = 'wgan'

    def d_loss(self, real_out, fake_out):
        return _per_example(fake_out) - _per_example(real_out)

    def g_loss(self, fake_out):
        return -_per_example(fake_out)


@LOSSES.register('hinge')
class HingeLoss(GANLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018, SN-GAN; BigGAN).

    D minimises ``max(0, 1 - D(x)) + max(0, 1 + D(G(z)))``: examples already beyond the margin
    stop contributing. G minimises ``-D(G(z))`` as in WGAN.
    """

    name = 'hinge'

    def d_loss(self, real_out, fake_out):
        return (_per_example(nd.relu(1 - real_out))
                + _per_example(nd.relu(1 + fake_out)))

    def g_loss(self, fake_out):
        return -_per_example(fake_out)


def list_losses():
    """Names accepted by :func:`get_loss`."""
    return LOSSES.names()


def get_loss(name, **kwargs):
    """Build a registered GAN loss by name: ``vanilla``, ``lsgan``, ``wgan`` or ``hinge``.

    Unknown names raise ``KeyError`` listing the valid ones.
    """
    return LOSSES.get(name, **kwargs)


def multiscale_d_loss(loss, real_outputs, fake_outputs):
    """``loss.d_loss`` averaged over the scales of a multi-scale discriminator, ``(N,)``.

    ``real_outputs`` / ``fake_outputs``: one list of feature maps per scale whose *last*
    entries are the patch logits (as :meth:`d2gan.models.spade.MultiscaleDiscriminator.judge`
    returns them); the reference (pix2pixHD, SPADE) averages the per-scale losses.
    """
    return sum(loss.d_loss(r[-1], f[-1]) for r, f in zip(real_outputs, fake_outputs)) \
        / len(fake_outputs)


def multiscale_g_loss(loss, fake_outputs):
    """``loss.g_loss`` averaged over the scales of a multi-scale discriminator, ``(N,)``."""
    return sum(loss.g_loss(f[-1]) for f in fake_outputs) / len(fake_outputs)


def feature_matching_loss(fake_outputs, real_outputs):
    """Discriminator feature matching (pix2pixHD; SPADE's ``GAN_Feat_loss``), ``(N,)``.

    ``sum_k sum_i mean |D_k^(i)(m, G(m)) - D_k^(i)(m, x)| / num_D`` over the scales ``k`` and
    the intermediate layers ``i`` of each (the logits, the last entry, excluded). The real
    features are constants: G learns to make D's *inner* responses to its images match those
    to the real image of the same map -- a learned, multi-scale perceptual distance.
    """
    total = 0
    for fake, real in zip(fake_outputs, real_outputs):
        for f, r in zip(fake[:-1], real[:-1]):
            total = total + _per_example(nd.abs(f - r.detach()))
    return total / len(fake_outputs)


def attribute_bce(logits, targets, reduce='mean'):
    """Binary cross-entropy of attribute logits ``(N, k)`` against targets in [0, 1], per
    example ``(N,)``: ``softplus(l) - l t`` (stable), summed (``reduce='sum'``, StarGAN's
    ``size_average=False / N``) or averaged (``'mean'``, AttGAN / STGAN) over the attributes."""
    terms = nd.Activation(logits, 'softrelu') - logits * targets
    if reduce == 'sum':
        return terms.sum(axis=1)
    if reduce == 'mean':
        return terms.mean(axis=1)
    raise ValueError(f"reduce must be 'sum' or 'mean', got {reduce!r}")
