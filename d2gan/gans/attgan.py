"""AttGAN (He et al., 2019) and STGAN (Liu et al., 2019): one step, :class:`AttGANStep` (the
same objective, different generators and labels), and the recipes ``attgan`` (AttGAN-PyTorch
defaults) and ``stgan`` (csmliu/STGAN defaults); batches ``(X, A)``."""
from mxnet import autograd, nd

from ..data.celeba_attrs import ATTGAN_ATTRS
from ..models.attgan import AttGANDiscriminator, AttGANGenerator
from ..models.stgan import STGANGenerator, stgan_discriminator
from ..registry import register_recipe
from .attribute_step import AttributeStep, named

LABELS = ('target', 'diff')


class AttGANStep(AttributeStep):
    """AttGAN, and STGAN with ``label='diff'`` -- their objectives are identical.

    Source image ``x_a`` with attributes ``a``, target attributes ``b`` (training: shuffled
    within the batch, as both reference codes do; at test time one attribute is flipped).
    The generator is told a *coded* vector, ``code(v) = (2 v - 1) * thres_int`` (+-0.5):

    * AttGAN (``label='target'``): ``x_b = G_dec(G_enc(x_a), code(b))``, reconstruction
      ``x_a' = G_dec(G_enc(x_a), code(a))`` (one encoding serves both);
    * STGAN (``label='diff'``): the *difference* ``code(b) - code(a)`` (zero where nothing
      changes) drives the STUs and the decoder; the reconstruction is told the zero vector.

    Objectives (AttGAN paper eqs. 8-9; STGAN eqs. 9-10 are the same)::

        min_D  -(E[D_adv(x_a)] - E[D_adv(x_b)]) + lambda_gp GP + lambda_3 BCE(D_cls(x_a), a)
        min_G  -E[D_adv(x_b)] + lambda_2 BCE(D_cls(x_b), b) + lambda_1 |x_a - x_a'|_1

    BCE and L1 averaged (over attributes / pixels); lambda_1 = 100 (reconstruction), lambda_2
    = 10, lambda_3 = 1, lambda_gp = 10, Adam(2e-4, 0.5, 0.999), 5 critic updates per G update.

    Attribute *intensity*: ``edit(..., intensity=t)`` codes the changed attributes as ``+-t``
    instead of ``+-thres_int`` (the references' ``test_int``): t > 0.5 exaggerates, t < 0.5
    softens an edit. Without ``intensity``, :meth:`edit` uses ``test_int`` = 1.0, the default
    of both references' test scripts (``intensity=thres_int`` edits with the training coding).
    ``b_distribution='uniform'`` trains with random intensities (``code(b) * U(0, 2)``,
    AttGAN-PyTorch's option) so that the whole range is seen.
    """

    def __init__(self, net_G, net_D, label='target', thres_int=0.5, test_int=1.0,
                 b_distribution='none', lambda_rec=100.0, lambda_cls_G=10.0, lambda_cls_D=1.0,
                 lambda_gp=10.0, n_critic=5, target_mode='shuffle', lr=2e-4, lr_D=None, beta1=0.5,
                 beta2=0.999, init='torch', devices=None, initialize=True, hybridize=True):
        if label not in LABELS:
            raise ValueError(f'label must be one of {LABELS}, got {label!r}')
        if b_distribution not in ('none', 'uniform'):
            raise ValueError(f"b_distribution must be 'none' or 'uniform', got "
                             f'{b_distribution!r}')
        self.label, self.thres_int, self.b_distribution = label, float(thres_int), b_distribution
        self.test_int = float(test_int)
        super().__init__(net_G, net_D, net_G.n_attrs, lambda_rec, lambda_cls_G, lambda_cls_D,
                         lambda_gp, n_critic, target_mode, lr, lr_D, beta1, beta2, init,
                         devices, initialize, hybridize)

    def code(self, v):
        return (2 * v - 1) * self.thres_int

    def labels(self, a, b, intensity=None, training=False):
        """What G is told for the edit and for the reconstruction."""
        code_a, code_b = self.code(a), self.code(b)
        if intensity is not None:
            code_b = nd.where(a != b, (2 * b - 1) * float(intensity), code_b)
        if training and self.b_distribution == 'uniform':
            code_b = code_b * nd.random.uniform(0, 2, shape=code_b.shape, ctx=code_b.context)
        if self.label == 'diff':
            return code_b - code_a, nd.zeros_like(code_a)
        return code_b, code_a

    def generate(self, x, a, b, reconstruct=False, intensity=None):
        c_fake, c_rec = self.labels(a, b, intensity, training=autograd.is_training())
        zs = self.net_G.encoder(x)
        fake = self.net_G.decode(zs, c_fake)
        return fake, (self.net_G.decode(zs, c_rec) if reconstruct else None)

    def edit(self, X, A, B, batch_size=64, intensity=None):
        """:meth:`AttributeStep.edit` with the changed attributes coded ``+-intensity``
        (default ``test_int``)."""
        intensity = self.test_int if intensity is None else intensity
        return super().edit(X, A, B, batch_size, intensity=intensity)


def _attgan_D(attrs, image_size, channels, dis_dim, dis_fc_dim, dis_layers, max_dim, stgan):
    if stgan:
        return stgan_discriminator(len(attrs), dis_dim, dis_fc_dim, dis_layers, image_size,
                                   max_dim, channels)
    return AttGANDiscriminator(len(attrs), dis_dim, dis_fc_dim, dis_layers, image_size,
                               max_dim, channels)


@register_recipe('attgan', batch_kind='attributes')
def attgan(attrs=ATTGAN_ATTRS, image_size=128, channels=3, enc_dim=64, dec_dim=64,
           enc_layers=5, dec_layers=5, shortcut_layers=1, inject_layers=1, dis_dim=64,
           dis_fc_dim=1024, dis_layers=5, max_dim=1024, thres_int=0.5, test_int=1.0,
           b_distribution='none', lambda_rec=100.0, lambda_cls_G=10.0, lambda_cls_D=1.0,
           lambda_gp=10.0, n_critic=5, target_mode='shuffle', lr=2e-4, beta1=0.5, beta2=0.999,
           devices=None, hybridize=True):
    """AttGAN (AttGAN-PyTorch defaults with the paper's shortcut 1 + inject 1 model)."""
    net_G = AttGANGenerator(len(attrs), enc_dim, dec_dim, enc_layers, dec_layers,
                            shortcut_layers, inject_layers, max_dim, channels)
    net_D = _attgan_D(attrs, image_size, channels, dis_dim, dis_fc_dim, dis_layers, max_dim,
                      stgan=False)
    return named(AttGANStep(net_G, net_D, 'target', thres_int, test_int, b_distribution,
                             lambda_rec, lambda_cls_G, lambda_cls_D, lambda_gp, n_critic,
                             target_mode, lr, beta1=beta1, beta2=beta2, devices=devices,
                             hybridize=hybridize),
                  attrs)


@register_recipe('stgan', batch_kind='attributes')
def stgan(attrs=ATTGAN_ATTRS, image_size=128, channels=3, enc_dim=64, dec_dim=64,
          enc_layers=5, dec_layers=5, shortcut_layers=4, inject_layers=4, stu_dim=64,
          stu_layers=4, stu_inject_layers=4, stu_kernel_size=3, dis_dim=64, dis_fc_dim=1024,
          dis_layers=5, max_dim=1024, label='diff', thres_int=0.5, test_int=1.0,
          b_distribution='none', lambda_rec=100.0, lambda_cls_G=10.0, lambda_cls_D=1.0,
          lambda_gp=10.0, n_critic=5, target_mode='shuffle', lr=2e-4, beta1=0.5, beta2=0.999,
          init='xavier', devices=None, hybridize=True):
    """STGAN (csmliu/STGAN defaults): difference labels, 4 STUs, shortcut 4, inject 4;
    ``init='xavier'`` is TF-slim's Glorot init of the reference, ``'torch'`` AttGAN's."""
    net_G = STGANGenerator(len(attrs), enc_dim, dec_dim, enc_layers, dec_layers,
                           shortcut_layers, inject_layers, stu_dim, stu_layers,
                           stu_inject_layers, stu_kernel_size, max_dim, channels)
    net_D = _attgan_D(attrs, image_size, channels, dis_dim, dis_fc_dim, dis_layers, max_dim,
                      stgan=True)
    return named(AttGANStep(net_G, net_D, label, thres_int, test_int, b_distribution,
                             lambda_rec, lambda_cls_G, lambda_cls_D, lambda_gp, n_critic,
                             target_mode, lr, beta1=beta1, beta2=beta2, init=init,
                             devices=devices, hybridize=hybridize), attrs)
