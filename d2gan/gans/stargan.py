"""StarGAN (Choi et al., 2018), one generator for all attribute domains: :class:`StarGANStep`
and the recipe ``stargan`` (batches ``(X, A)``; defaults: yunjey/stargan at 128x128)."""
from ..data.celeba_attrs import STARGAN_ATTRS
from ..models.stargan import StarGANDiscriminator, StarGANGenerator
from ..registry import register_recipe
from .attribute_step import AttributeStep, named


class StarGANStep(AttributeStep):
    """StarGAN with WGAN-GP, as yunjey/stargan trains it on CelebA.

    With an image ``x`` of attributes ``c'`` (the source labels, {0, 1}) and target labels
    ``c`` *sampled by shuffling the labels of the batch* (the target of every image is the real
    label vector of another image), the objectives are (paper eqs. 5-6)::

        L_D = -L_adv + lambda_cls * L_cls^r
        L_G =  L_adv + lambda_cls * L_cls^f + lambda_rec * L_rec
        L_adv   = E[D_src(x)] - E[D_src(G(x, c))] - lambda_gp E[(||grad D_src(x_hat)||_2 - 1)^2]
        L_cls^r = E[BCE(D_cls(x), c')]          D learns to classify real images
        L_cls^f = E[BCE(D_cls(G(x, c)), c)]     G must produce the target attributes
        L_rec   = E[|x - G(G(x, c), c')|_1]     cycle back with the source labels

    BCE summed over the attributes, L1 averaged over pixels; lambda_cls = 1, lambda_rec = 10,
    lambda_gp = 10, Adam(1e-4, 0.5, 0.999), ``n_critic = 5`` critic updates per G update (the
    batch is split into ``n_critic`` chunks, see :mod:`d2gan.gans.attribute_step`). The labels
    enter G as {0, 1} vectors tiled over the image. D's patch scores are averaged per image
    (the reference's penalty differentiates their sum; the book's penalty their mean).
    The reference decays both learning rates linearly over its last 100k of 200k iterations;
    this step keeps them constant.
    """

    cls_reduce = 'sum'

    def __init__(self, net_G, net_D, lambda_cls=1.0, lambda_rec=10.0, lambda_gp=10.0,
                 n_critic=5, target_mode='shuffle', lr=1e-4, lr_D=None, beta1=0.5,
                 beta2=0.999, init='torch', devices=None, initialize=True, hybridize=True,
                 domains=False):
        super().__init__(net_G, net_D, net_G.c_dim, lambda_rec, lambda_cls, lambda_cls,
                         lambda_gp, n_critic, target_mode, lr, lr_D, beta1, beta2, init,
                         devices, initialize, hybridize, domains)

    def generate(self, x, a, b, reconstruct=False):
        fake = self.net_G(x, b)
        return fake, (self.net_G(fake, a) if reconstruct else None)


@register_recipe('stargan', batch_kind='attributes')
def stargan(attrs=STARGAN_ATTRS, image_size=128, channels=3, conv_dim=64, repeat_num=6,
            d_conv_dim=64, d_repeat_num=6, lambda_cls=1.0, lambda_rec=10.0, lambda_gp=10.0,
            n_critic=5, target_mode='shuffle', lr=1e-4, lr_D=None, beta1=0.5, beta2=0.999,
            domains=False, devices=None, hybridize=True):
    """StarGAN (yunjey/stargan defaults): G 64-wide with 6 residual blocks, D 6 levels;
    ``lr`` / ``lr_D`` are the reference's ``g_lr`` / ``d_lr`` (``lr_D=None``: the same).
    ``domains=True``: ``attrs`` are mutually exclusive domains with one-hot labels
    (:mod:`d2gan.data.domain_labels`, the paper's RaFD setting); editing then translates into a
    domain (:meth:`~d2gan.gans.attribute_step.AttributeStep.flip_targets`)."""
    net_G = StarGANGenerator(len(attrs), conv_dim, repeat_num, channels)
    net_D = StarGANDiscriminator(image_size, len(attrs), d_conv_dim, d_repeat_num, channels)
    return named(StarGANStep(net_G, net_D, lambda_cls, lambda_rec, lambda_gp, n_critic,
                              target_mode, lr, lr_D, beta1=beta1, beta2=beta2, devices=devices,
                              hybridize=hybridize, domains=domains), attrs)
