"""One step of an unconditional GAN (DCGAN and the loss variants of chapter 3)."""
import mxnet as mx
from mxnet import autograd

from ..losses import GANLoss, get_loss
from .step import Step


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
        chunks = [X] if self.n_critic == 1 else _chunks(X, self.n_critic)
        for chunk in chunks:
            loss_D, extra = self._d_update(chunk)
        loss_G = self._g_update(chunks[-1].shape[0])
        return dict(loss_D=loss_D, loss_G=loss_G, **extra)

    def _d_update(self, X):
        reals = self.split(X)
        fakes = self._fakes_like(reals)
        with autograd.record():
            losses = [self.loss.d_loss(self.net_D(x), self.net_D(f)).sum()
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
        sizes = _split_sizes(n, len(self.devices))
        with autograd.record():
            losses = [self.loss.g_loss(self.net_D(self._fake(k, d))).sum()
                      for k, d in zip(sizes, self.devices)]
        self.backward(losses, self.trainers['G'])
        self.trainers['G'].step(n)
        return sum(loss.as_in_context(self.devices[0]) for loss in losses) / n

    def sample(self, num, seed=0):
        """``num`` images in [-1, 1] from fixed noise (the same ``seed`` gives the same z)."""
        with autograd.predict_mode():
            return self.net_G(self.noise(num, self.latent_dim, seed))


def _split_sizes(n, parts):
    base, extra = divmod(n, parts)
    return [base + (i < extra) for i in range(parts)]


def _chunks(X, parts):
    n = X.shape[0]
    if n < parts:
        raise ValueError(f'batch of {n} cannot feed n_critic={parts} critic updates')
    bounds = [0]
    for size in _split_sizes(n, parts):
        bounds.append(bounds[-1] + size)
    return [X[bounds[i]:bounds[i + 1]] for i in range(parts)]
