"""DCGAN and its loss variants: :class:`GANStep` and the recipes ``dcgan``, ``lsgan``,
``wgan``, ``wgan-gp`` and ``hinge-sn``.

All five train :mod:`d2gan.models.dcgan`'s networks with one step; they differ in the loss,
the critic's normalisation and the optimiser (the papers' defaults):

=========  =========================  ==========================  ==============================
recipe     loss                       critic                      optimiser
=========  =========================  ==========================  ==============================
dcgan      non-saturating (vanilla)   batch norm                  Adam 2e-4, betas (0.5, 0.999)
lsgan      least squares (0-1 codes)  batch norm                  Adam 2e-4, betas (0.5, 0.999)
wgan       Wasserstein                batch norm, clip to 0.01    RMSProp 5e-5, 5 critic steps
wgan-gp    Wasserstein + GP (10)      no norm (never batch norm)  Adam 1e-4, (0, 0.9), 5 steps
hinge-sn   hinge                      spectral norm, no norm      Adam 2e-4, (0.5, 0.999)
=========  =========================  ==========================  ==============================

With ``n_critic = 5`` :class:`GANStep` splits every batch into 5 chunks, one per critic update,
and G takes one step per batch: pass a batch 5x the per-update size (5 x 64).
"""
import mxnet as mx
from mxnet import autograd

from ..losses import GANLoss, get_loss
from ..models.dcgan import DCGANDiscriminator, DCGANGenerator
from ..penalty import GradientPenalty
from ..registry import register_recipe
from ..train.step import Step, critic_chunks


class GANStep(Step):
    """Alternating updates of a discriminator D and a generator G.

    With loss ``L`` (:mod:`d2gan.losses`), real images ``x`` and latents ``z ~ N(0, I)``:

    * D step (``n_critic`` times per G step, each on a fresh slice of real data):
      ``min_D  E_x E_z  L.d_loss(D(x), D(G(z)))  [+ penalty(D; x, G(z))]``,
      then optional weight clipping of D to ``[-clip, clip]`` (WGAN);
    * G step: ``min_G  E_z  L.g_loss(D(G(z)))``.

    For the vanilla loss this is ``D: max log D(x) + log(1 - D(G(z)))`` and the non-saturating
    ``G: max log D(G(z))`` of Goodfellow et al. (2014). ``n_critic > 1`` splits each batch into
    ``n_critic`` chunks for the critic updates and uses the last chunk's size for the G update.

    Parameters
    ----------
    net_G, net_D : HybridBlock
        Generator ``z -> image`` (attribute ``latent_dim``) and discriminator ``image -> (N,)``.
    loss : str or GANLoss
    optimizer : ``'adam'`` (``beta1``, ``beta2``) or ``'rmsprop'`` (WGAN).
    penalty : callable or None
        ``penalty(net_D, real, fake) -> value``: adds its parameter gradients into D's gradients
        after the D loss has been back-propagated (see :mod:`d2gan.penalty`).
    """

    def __init__(self, net_G, net_D, loss='vanilla', lr=2e-4, lr_D=None, beta1=0.5, beta2=0.999,
                 optimizer='adam', n_critic=1, clip=None, penalty=None, devices=None,
                 initialize=True, hybridize=True):
        super().__init__(devices)
        self.latent_dim = net_G.latent_dim
        self.loss = loss if isinstance(loss, GANLoss) else get_loss(loss)
        self.n_critic, self.clip, self.penalty = n_critic, clip, penalty
        self.set_pair(net_G, net_D, lr, beta1, beta2, lr_D=lr_D, optimizer=optimizer,
                      initialize=initialize)
        if hybridize:
            self.hybridize()

    def _fake(self, n, device):
        z = mx.nd.random.normal(shape=(n, self.latent_dim), ctx=device)
        return self.net_G(z)

    def _fakes_like(self, reals):
        """One fake batch per real slice, with G's batch norm in training mode, not recorded."""
        with autograd.train_mode():
            return [self._fake(x.shape[0], x.context) for x in reals]

    def train_step(self, X):
        X = X if isinstance(X, mx.nd.NDArray) else mx.nd.array(X)
        chunks = [X] if self.n_critic == 1 else critic_chunks(X, self.n_critic)
        for chunk in chunks:
            loss_D, extra = self._d_update(chunk)
        loss_G = self._g_update(chunks[-1].shape[0])
        return dict(loss_D=loss_D, loss_G=loss_G, **extra)

    def _d_update(self, X):
        reals = self.split(X)
        fakes = self._fakes_like(reals)
        with autograd.record():
            losses = [self.loss.d_loss(*self.critic_pair(x, f)).sum()
                      for x, f in zip(reals, fakes)]
        self.backward(losses, self.trainers['D'])
        extra = {}
        if self.penalty is not None:
            extra['penalty'] = sum(self.penalty(self.net_D, x, f) for x, f in zip(reals, fakes))
            extra['penalty'] = extra['penalty'] / X.shape[0]
        self.trainers['D'].step(X.shape[0])
        if self.clip is not None:
            for param in self.net_D.collect_params().values():
                if param.grad_req != 'null':
                    for data in param.list_data():
                        mx.nd.clip(data, -self.clip, self.clip, out=data)
        return sum(loss.as_in_context(self.devices[0]) for loss in losses) / X.shape[0], extra

    def _g_update(self, n):
        with self.only_updating('G'):
            with autograd.record():
                losses = [self.loss.g_loss(self.net_D(self._fake(k, d))).sum()
                          for k, d in self.shares(n)]
            self.backward(losses, self.trainers['G'])
        self.trainers['G'].step(n)
        return sum(loss.as_in_context(self.devices[0]) for loss in losses) / n

    def sample(self, num, seed=0):
        """``num`` images in [-1, 1] from fixed noise (the same ``seed`` gives the same z)."""
        with autograd.predict_mode():
            return self.net_G(self.noise(num, self.latent_dim, seed))


def _networks(image_size, channels, latent_dim, ngf, ndf, norm='batch', spectral_norm=False):
    return (DCGANGenerator(latent_dim, channels, image_size, ngf),
            DCGANDiscriminator(channels, image_size, ndf, norm=norm, spectral_norm=spectral_norm))


@register_recipe('dcgan')
def dcgan(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=2e-4, beta1=0.5,
          devices=None, hybridize=True):
    """DCGAN with the paper's optimiser: Adam(lr 2e-4, beta1 0.5), non-saturating loss."""
    net_G, net_D = _networks(image_size, channels, latent_dim, ngf, ndf)
    return GANStep(net_G, net_D, loss='vanilla', lr=lr, beta1=beta1, devices=devices,
                   hybridize=hybridize)


@register_recipe('lsgan')
def lsgan(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=2e-4, beta1=0.5,
          norm='batch', devices=None, hybridize=True):
    """LSGAN (Mao et al., 2017): least-squares loss with a=0, b=c=1; Adam(2e-4, beta1 0.5)."""
    net_G, net_D = _networks(image_size, channels, latent_dim, ngf, ndf, norm)
    return GANStep(net_G, net_D, loss='lsgan', lr=lr, beta1=beta1, devices=devices,
                   hybridize=hybridize)


@register_recipe('wgan')
def wgan(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=5e-5, clip=0.01,
         n_critic=5, norm='batch', devices=None, hybridize=True):
    """WGAN (Arjovsky et al., 2017): critic weights clipped to ``[-clip, clip]``, RMSProp(5e-5),
    ``n_critic`` critic updates per generator update (Algorithm 1 of the paper)."""
    net_G, net_D = _networks(image_size, channels, latent_dim, ngf, ndf, norm)
    return GANStep(net_G, net_D, loss='wgan', lr=lr, optimizer='rmsprop', n_critic=n_critic,
                   clip=clip, devices=devices, hybridize=hybridize)


@register_recipe('wgan-gp')
def wgan_gp(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=1e-4, beta1=0.0,
            beta2=0.9, gp_weight=10.0, n_critic=5, norm='none', devices=None, hybridize=True):
    """WGAN-GP (Gulrajani et al., 2017): Wasserstein loss + ``gp_weight`` x gradient penalty on
    interpolates (:class:`d2gan.penalty.GradientPenalty`), Adam(1e-4, betas (0, 0.9)) -- the
    paper's Algorithm 1 (its DCGAN experiments used beta1 = 0.5).

    The critic must not use batch norm (it couples the examples the penalty treats one by one).
    ``norm='none'`` is the authors' MNIST critic; ``'layer'`` or ``'instance'`` follow the
    paper's advice for larger images.
    """
    if norm == 'batch':
        raise ValueError("wgan-gp needs a critic without batch norm: norm='layer', 'instance' "
                         "or 'none'")
    net_G, net_D = _networks(image_size, channels, latent_dim, ngf, ndf, norm)
    return GANStep(net_G, net_D, loss='wgan', lr=lr, beta1=beta1, beta2=beta2,
                   n_critic=n_critic, penalty=GradientPenalty(gp_weight), devices=devices,
                   hybridize=hybridize)


@register_recipe('hinge-sn')
def hinge_sn(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=2e-4, beta1=0.5,
             beta2=0.999, n_critic=1, devices=None, hybridize=True):
    """SN-GAN (Miyato et al., 2018): hinge loss, spectral norm on every critic convolution (and
    no other normalisation there), Adam(2e-4, betas (0.5, 0.999)), one critic step per G step."""
    net_G, net_D = _networks(image_size, channels, latent_dim, ngf, ndf, 'none',
                             spectral_norm=True)
    return GANStep(net_G, net_D, loss='hinge', lr=lr, beta1=beta1, beta2=beta2,
                   n_critic=n_critic, devices=devices, hybridize=hybridize)
