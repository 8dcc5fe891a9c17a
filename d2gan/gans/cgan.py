"""The class-conditional GAN: :class:`CGANStep` and the recipe ``cgan`` (batches ``(X, y)``)."""
import numpy as np
from mxnet import autograd, nd

from ..losses import GANLoss, get_loss
from ..models.cgan import CGANDiscriminator, CGANGenerator
from ..registry import register_recipe
from ..train.step import Step


class CGANStep(Step):
    """Alternating updates of ``D(x, y)`` and ``G(z, y)``, both conditioned on the label ``y``.

    With real pairs ``(x, y)``, ``z ~ N(0, I)`` and the vanilla loss (Mirza & Osindero, 2014):

    * D step: ``min_D  E_(x,y) [-log sigma(D(x, y))] + E_(z,y) [-log(1 - sigma(D(G(z, y), y)))]``
    * G step: ``min_G  E_(z,y) [-log sigma(D(G(z, y), y))]`` (non-saturating),

    i.e. the GAN game of :class:`d2gan.GANStep` played separately for every class; the fakes
    use the labels of the real batch, so D sees the same class mix in both halves. Any loss of
    :mod:`d2gan.losses` can replace the vanilla one. A batch is ``(X, y)`` with integer labels.

    Parameters
    ----------
    net_G : CGANGenerator ``(z, onehot(y)) -> image`` (attributes ``latent_dim``, ``num_classes``)
    net_D : CGANDiscriminator ``(image, onehot(y)) -> (N,)`` logits
    """


    def __init__(self, net_G, net_D, loss='vanilla', lr=2e-4, beta1=0.5, beta2=0.999,
                 devices=None, initialize=True, hybridize=True):
        super().__init__(devices)
        self.latent_dim, self.num_classes = net_G.latent_dim, net_G.num_classes
        self.loss = loss if isinstance(loss, GANLoss) else get_loss(loss)
        self.set_pair(net_G, net_D, lr, beta1, beta2, initialize=initialize)
        if hybridize:
            self.hybridize()

    def check_labels(self, labels):
        """Raise unless every label lies in ``0..num_classes - 1``. The labels are read on the
        host: a loader's labels are ready, so this waits for no queued operator (a ``min()`` /
        ``max()`` read back would wait behind every operator queued before it)."""
        values = labels.asnumpy() if isinstance(labels, nd.NDArray) else np.asarray(labels)
        if values.size and (values.min() < 0 or values.max() >= self.num_classes):
            raise ValueError(f'labels must lie in 0..{self.num_classes - 1}, got '
                             f'{values.min():g}..{values.max():g}')

    def onehot(self, labels, device=None):
        """Integer labels ``(N,)`` (NDArray, numpy or list) -> float32 one-hot ``(N, C)``."""
        self.check_labels(labels)
        return self._onehot(labels, device)

    def _onehot(self, labels, device=None):
        if not isinstance(labels, nd.NDArray):
            labels = nd.array(np.asarray(labels), ctx=device or self.devices[0])
        labels = labels.as_in_context(device or labels.context)
        return nd.one_hot(labels.astype('int32'), self.num_classes)

    def _fake(self, y_onehot):
        z = nd.random.normal(shape=(y_onehot.shape[0], self.latent_dim), ctx=y_onehot.context)
        return self.net_G(z, y_onehot)

    def train_step(self, batch):
        X, y = batch
        X = X if isinstance(X, nd.NDArray) else nd.array(X)
        self.check_labels(y)                   # before the split: its slices are queued operators
        reals = self.split(X)
        labels = [self._onehot(part, x.context) for part, x in zip(self.split(y), reals)]
        n = X.shape[0]
        with autograd.train_mode():
            fakes = [self._fake(c) for c in labels]
        with autograd.record():
            losses = [self.loss.d_loss(self.net_D(x, c), self.net_D(f, c)).sum()
                      for x, f, c in zip(reals, fakes, labels)]
        self.backward(losses, self.trainers['D'])
        self.trainers['D'].step(n)
        loss_D = sum(loss.as_in_context(self.devices[0]) for loss in losses) / n
        with self.only_updating('G'):
            with autograd.record():
                losses = [self.loss.g_loss(self.net_D(self._fake(c), c)).sum() for c in labels]
            self.backward(losses, self.trainers['G'])
        self.trainers['G'].step(n)
        loss_G = sum(loss.as_in_context(self.devices[0]) for loss in losses) / n
        return dict(loss_D=loss_D, loss_G=loss_G)

    def generate(self, z, y):
        """Images for latents ``z (N, latent_dim)`` and labels ``y``: integers ``(N,)`` or
        (soft) label vectors ``(N, num_classes)``; in inference mode."""
        device = self.devices[0]
        z = z.as_in_context(device) if isinstance(z, nd.NDArray) else nd.array(z, ctx=device)
        y_arr = y.asnumpy() if isinstance(y, nd.NDArray) else np.asarray(y)
        y = (self.onehot(y_arr, device) if y_arr.ndim == 1
             else nd.array(y_arr.astype('float32'), ctx=device))
        with autograd.predict_mode():
            return self.net_G(z, y)

    def sample(self, num, seed=0, labels=None):
        """``num`` images from fixed noise; by default the classes in order,
        ``num // num_classes`` each, so a grid with ``nrow = num // num_classes`` has one row
        per class."""
        if labels is None:
            labels = np.arange(num) * self.num_classes // num
        return self.generate(self.noise(num, self.latent_dim, seed), labels)

    def class_grid(self, per_class=10, seed=0):
        """``num_classes * per_class`` images: row ``c`` is class ``c``; column ``j`` uses the
        same ``z_j`` in every row (the label sets the digit, the noise its style)."""
        z = np.tile(self.noise(per_class, self.latent_dim, seed).asnumpy(),
                    (self.num_classes, 1))
        return self.generate(z, np.repeat(np.arange(self.num_classes), per_class))

    def interpolate_labels(self, start, end, steps=10, num_z=4, seed=0):
        """Fixed ``z``, label vector moving from one-hot ``start`` to one-hot ``end``:
        ``num_z`` rows of ``steps`` images (``nrow=steps``)."""
        t = np.linspace(0, 1, steps, dtype='float32')[:, None]
        eye = np.eye(self.num_classes, dtype='float32')
        ys = (1 - t) * eye[start] + t * eye[end]
        z = np.repeat(self.noise(num_z, self.latent_dim, seed).asnumpy(), steps, axis=0)
        return self.generate(z, np.tile(ys, (num_z, 1)))


@register_recipe('cgan', batch_kind='labelled')
def cgan(image_size=32, channels=1, num_classes=10, latent_dim=100, ngf=64, ndf=64,
         embed_dim=None, loss='vanilla', lr=2e-4, beta1=0.5, devices=None, hybridize=True):
    """Class-conditional DCGAN: one-hot labels (``embed_dim`` for a learned embedding)."""
    net_G = CGANGenerator(latent_dim, num_classes, channels, image_size, ngf, embed_dim)
    net_D = CGANDiscriminator(num_classes, channels, image_size, ndf, embed_dim)
    return CGANStep(net_G, net_D, loss=loss, lr=lr, beta1=beta1, devices=devices,
                    hybridize=hybridize)
