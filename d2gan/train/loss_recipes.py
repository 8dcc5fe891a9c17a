"""Recipes of chapter 3: the DCGAN networks trained with other losses and Lipschitz constraints.

Each is registered in :data:`d2gan.train.recipes.RECIPES`, so ``build_gan('wgan-gp')`` (or the
CLI's ``--model wgan-gp``) builds it. The networks are :mod:`d2gan.models.dcgan`'s; the defaults
are the papers' optimiser settings.

=========  =========================  ==========================  ==============================
recipe     loss                       critic                      optimiser
=========  =========================  ==========================  ==============================
lsgan      least squares (0-1 codes)  batch norm                  Adam 2e-4, betas (0.5, 0.999)
wgan       Wasserstein                batch norm, clip to 0.01    RMSProp 5e-5, 5 critic steps
wgan-gp    Wasserstein + GP (10)      no norm (never batch norm)  Adam 1e-4, (0, 0.9), 5 steps
hinge-sn   hinge                      spectral norm, no norm      Adam 2e-4, (0.5, 0.999)
=========  =========================  ==========================  ==============================

With ``n_critic = 5`` :class:`~d2gan.train.GANStep` splits every batch into 5 chunks, one per
critic update, and G takes one step per batch: pass a batch 5x the per-update size (5 x 64).

Checked on the 5,000 MNIST digits of ``load_mnist_digits(32)`` with ``ngf = ndf = 32`` (one
CPU thread; generator steps in brackets): lsgan, batch 64, 30 epochs (2,340) and hinge-sn,
batch 64, 25-30 epochs give clear digits; wgan-gp, batch 5 x 16, 21 epochs (1,302) gives
recognisable digits in 206 s on 2 idle cores (digit FID 12.8; beta1 = 0.5: blurred grey
shapes), and ``lr=2e-4`` does as well in 17 epochs (1,054; 171 s, FID 12.3), the chapter's
choice; wgan, batch 5 x 32, 60 epochs (1,860) gives rough digits at the paper's lr 5e-5,
clean ones at ``lr=1e-4``.
"""
from ..models.dcgan import DCGANDiscriminator, DCGANGenerator
from ..penalty import GradientPenalty
from .gan_step import GANStep
from .recipes import RECIPES


def _networks(image_size, channels, latent_dim, ngf, ndf, norm, spectral_norm=False):
    return (DCGANGenerator(latent_dim, channels, image_size, ngf),
            DCGANDiscriminator(channels, image_size, ndf, norm=norm, spectral_norm=spectral_norm))


@RECIPES.register('lsgan')
def lsgan(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=2e-4, beta1=0.5,
          norm='batch', devices=None, hybridize=True):
    """LSGAN (Mao et al., 2017): least-squares loss with a=0, b=c=1; Adam(2e-4, beta1 0.5)."""
    net_G, net_D = _networks(image_size, channels, latent_dim, ngf, ndf, norm)
    return GANStep(net_G, net_D, loss='lsgan', lr=lr, beta1=beta1, devices=devices,
                   hybridize=hybridize)


@RECIPES.register('wgan')
def wgan(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=5e-5, clip=0.01,
         n_critic=5, norm='batch', devices=None, hybridize=True):
    """WGAN (Arjovsky et al., 2017): critic weights clipped to ``[-clip, clip]``, RMSProp(5e-5),
    ``n_critic`` critic updates per generator update (Algorithm 1 of the paper)."""
    net_G, net_D = _networks(image_size, channels, latent_dim, ngf, ndf, norm)
    return GANStep(net_G, net_D, loss='wgan', lr=lr, optimizer='rmsprop', n_critic=n_critic,
                   clip=clip, devices=devices, hybridize=hybridize)


@RECIPES.register('wgan-gp')
def wgan_gp(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=1e-4, beta1=0.0,
            beta2=0.9, gp_weight=10.0, n_critic=5, norm='none', devices=None, hybridize=True):
    """WGAN-GP (Gulrajani et al., 2017): Wasserstein loss + ``gp_weight`` x gradient penalty on
    interpolates (:class:`d2gan.penalty.GradientPenalty`), Adam(1e-4, betas (0, 0.9)) -- the
    paper's Algorithm 1 (its DCGAN experiments used beta1 = 0.5, which on MNIST at 32x32 was
    clearly slower here: blurred grey shapes after 1,300 generator steps where beta1 = 0 draws
    digits).

    The critic must not use batch norm (it couples the examples the penalty treats one by one).
    ``norm='none'`` is the authors' MNIST critic; ``'layer'`` or ``'instance'`` follow the
    paper's advice for larger images but cost ~2x here (MXNet's CPU norm kernels are slow).
    """
    if norm == 'batch':
        raise ValueError("wgan-gp needs a critic without batch norm: norm='layer', 'instance' "
                         "or 'none'")
    net_G, net_D = _networks(image_size, channels, latent_dim, ngf, ndf, norm)
    return GANStep(net_G, net_D, loss='wgan', lr=lr, beta1=beta1, beta2=beta2,
                   n_critic=n_critic, penalty=GradientPenalty(gp_weight), devices=devices,
                   hybridize=hybridize)


@RECIPES.register('hinge-sn')
def hinge_sn(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=2e-4, beta1=0.5,
             beta2=0.999, n_critic=1, devices=None, hybridize=True):
    """SN-GAN (Miyato et al., 2018): hinge loss, spectral norm on every critic convolution (and
    no other normalisation there), Adam(2e-4, betas (0.5, 0.999)), one critic step per G step."""
    net_G, net_D = _networks(image_size, channels, latent_dim, ngf, ndf, 'none',
                             spectral_norm=True)
    return GANStep(net_G, net_D, loss='hinge', lr=lr, beta1=beta1, beta2=beta2,
                   n_critic=n_critic, devices=devices, hybridize=hybridize)
