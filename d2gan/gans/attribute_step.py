"""What StarGAN, AttGAN and STGAN steps share: WGAN-GP critic with an attribute head, the
``n_critic`` schedule, target labels, and editing / result grids.

A batch is ``(X, A)``: images in [-1, 1] and their attributes ``A`` (N, k) in {0, 1}. Each
step, as in :class:`d2gan.GANStep`, splits the batch into ``n_critic`` chunks, updates the
critic on each (a fresh fake from each chunk) and then the generator once on the last chunk --
the references' schedule of ``n_critic`` critic updates per generator update, each on its own
mini-batch.

The critic update is the same for all three::

    min_D  E[D_adv(G(x, b))] - E[D_adv(x)] + lambda_gp E[(||grad D_adv(x_hat)||_2 - 1)^2]
           + lambda_cls_D * BCE(D_cls(x), a)

(WGAN-GP: :mod:`d2gan.losses` ``'wgan'`` + :class:`d2gan.penalty.GradientPenalty`, whose
exact penalty follows the adversarial head only; the classification head learns the *real*
attributes). Subclasses define how labels reach G and the generator objective.
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, nd

from ..data.celeba_attrs import check_attribute_conflict
from ..data.domain_labels import domains_of
from ..losses import attribute_bce, get_loss
from ..nn.init import init_weights
from ..penalty import GradientPenalty
from ..train.step import Step, critic_chunks

TARGET_MODES = ('shuffle', 'flip')


class AttributeStep(Step):
    """Base class; see the module docstring. ``cls_reduce``: BCE summed or averaged over the
    attributes (:func:`d2gan.losses.attribute_bce`)."""

    cls_reduce = 'mean'

    def __init__(self, net_G, net_D, n_attrs, lambda_rec, lambda_cls_G, lambda_cls_D=1.0,
                 lambda_gp=10.0, n_critic=5, target_mode='shuffle', lr=2e-4, lr_D=None,
                 beta1=0.5, beta2=0.999, init='torch', devices=None, initialize=True,
                 hybridize=True, domains=False):
        super().__init__(devices)
        if target_mode not in TARGET_MODES:
            raise ValueError(f'target_mode must be one of {TARGET_MODES}, got {target_mode!r}')
        if domains and target_mode != 'shuffle':
            raise ValueError("domains=True (one-hot domain labels) trains with target_mode="
                             "'shuffle': flipping one entry of a one-hot label gives two "
                             'domains or none')
        self.domains = domains
        self.n_attrs, self.n_critic, self.target_mode = n_attrs, n_critic, target_mode
        self.lambda_rec, self.lambda_cls_G = float(lambda_rec), float(lambda_cls_G)
        self.lambda_cls_D = float(lambda_cls_D)
        self.loss = get_loss('wgan')
        self.penalty = GradientPenalty(lambda_gp)
        if initialize:
            if init not in ('torch', 'xavier'):  # the references' two schemes
                raise ValueError(f"init must be 'torch' or 'xavier', got {init!r}")
            init_weights([net_G, net_D], init, self.devices)
        self.set_pair(net_G, net_D, lr, beta1, beta2, lr_D=lr_D, initialize=False)
        self.names, self.sample_data = None, None
        if hybridize:
            self.hybridize()

    # -- hooks ------------------------------------------------------------------------------
    def generate(self, x, a, b, reconstruct=False):
        """``G``'s edit of ``x`` (attributes ``a``) towards ``b``; with ``reconstruct`` also
        the reconstruction that the generator objective compares with ``x``."""
        raise NotImplementedError

    # -- labels ------------------------------------------------------------------------------
    def targets(self, a):
        """Training targets ``b`` for source attributes ``a`` (N, k) NDArray in {0, 1}:
        ``'shuffle'`` = the attributes of another image of the batch (the references);
        ``'flip'`` = ``a`` with one random attribute flipped."""
        n = a.shape[0]
        if self.target_mode == 'shuffle':
            order = nd.random.shuffle(nd.arange(n, ctx=a.context))
            return a.take(order)
        which = nd.random.randint(0, self.n_attrs, shape=(n,), ctx=a.context)
        mask = nd.one_hot(which, self.n_attrs)
        return nd.abs(a - mask)

    # -- training ----------------------------------------------------------------------------
    def train_step(self, batch):
        X, A = (x if isinstance(x, nd.NDArray) else nd.array(x) for x in batch)
        if A.shape != (X.shape[0], self.n_attrs):
            raise ValueError(f'attributes have shape {A.shape}, expected '
                             f'({X.shape[0]}, {self.n_attrs}) for images {X.shape}')
        if self.domains:
            domains_of(A.asnumpy())          # refuses rows that are not one domain
        chunks = list(zip(critic_chunks(X, self.n_critic), critic_chunks(A, self.n_critic)))
        for x, a in chunks:
            logs = self._d_update(x, a)
        logs.update(self._g_update(*chunks[-1]))
        return logs

    def _d_update(self, X, A):
        n = X.shape[0]
        B = self.targets(A)
        xs, as_, bs = self.split(X), self.split(A), self.split(B)
        with autograd.train_mode():
            fakes = [self.generate(x, a, b)[0].detach() for x, a, b in zip(xs, as_, bs)]
        with autograd.record():
            adv, cls = [], []
            for x, a, f in zip(xs, as_, fakes):
                (real_adv, real_cls), (fake_adv, _) = self.critic_pair(x.detach(), f)
                adv.append(self.loss.d_loss(real_adv, fake_adv).sum())
                cls.append(attribute_bce(real_cls, a.detach(), self.cls_reduce).sum())
            totals = [d + self.lambda_cls_D * c for d, c in zip(adv, cls)]
        self.backward(totals, self.trainers['D'])
        gp = sum(self.penalty(self.net_D, x.detach(), f).as_in_context(self.devices[0])
                 for x, f in zip(xs, fakes))
        self.trainers['D'].step(n)
        return {'loss_D_adv': self._mean(adv, n), 'loss_D_cls': self._mean(cls, n),
                'penalty': gp / n}

    def _g_update(self, X, A):
        n = X.shape[0]
        B = self.targets(A)
        adv, cls, rec = [], [], []
        with self.only_updating('G'):
            with autograd.record():
                totals = []
                for x, a, b in zip(self.split(X), self.split(A), self.split(B)):
                    fake, recon = self.generate(x, a, b, reconstruct=True)
                    fake_adv, fake_cls = self.net_D(fake)
                    adv.append(self.loss.g_loss(fake_adv).sum())
                    cls.append(attribute_bce(fake_cls, b, self.cls_reduce).sum())
                    rec.append(nd.abs(recon - x).reshape((x.shape[0], -1)).mean(axis=1).sum())
                    totals.append(adv[-1] + self.lambda_cls_G * cls[-1] + self.lambda_rec * rec[-1])
            self.backward(totals, self.trainers['G'])
        self.trainers['G'].step(n)
        return {'loss_G_adv': self._mean(adv, n), 'loss_G_cls': self._mean(cls, n),
                'L1_rec': self._mean(rec, n)}

    def _mean(self, values, n):
        return sum(v.detach().as_in_context(self.devices[0]) for v in values) / n

    # -- inference ---------------------------------------------------------------------------
    def edit(self, X, A, B, batch_size=64, **kwargs):
        """Images ``X`` (numpy/NDArray, [-1, 1]) with attributes ``A`` edited to ``B`` (both
        (N, k) in {0, 1}); G in predict mode (batch norm with its running statistics).
        Returns an NDArray on the CPU."""
        X, A, B = (np.asarray(v.asnumpy() if isinstance(v, nd.NDArray) else v, np.float32)
                   for v in (X, A, B))
        if A.shape != B.shape or A.shape != (len(X), self.n_attrs):
            raise ValueError(f'A {A.shape} and B {B.shape} must both be ({len(X)}, '
                             f'{self.n_attrs})')
        outs, ctx = [], self.devices[0]
        with autograd.predict_mode():
            for i in range(0, len(X), batch_size):
                part = [nd.array(v[i:i + batch_size], ctx=ctx) for v in (X, A, B)]
                outs.append(self.generate(*part, **kwargs)[0].as_in_context(mx.cpu()))
        return nd.concat(*outs, dim=0)

    def flip_targets(self, A, index):
        """``A`` with attribute ``index`` flipped (and, when :attr:`names` are known, the other
        members of its exclusive group turned off, e.g. one hair colour at a time). With
        ``domains`` (one-hot labels): every row becomes domain ``index``."""
        if self.domains:
            B = np.zeros((len(A), self.n_attrs), np.float32)
            B[:, index] = 1
            return B
        B = np.array(A, np.float32, copy=True)
        B[:, index] = 1 - B[:, index]
        if self.names is not None:
            B = check_attribute_conflict(B, self.names[index], self.names)
        return B

    def edit_rows(self, X, A, indices=None, **kwargs):
        """The seed's result layout: row 0 the originals, then one row per flipped attribute
        (``indices``, default all). Returns ``((1 + len(indices)) * N, C, H, W)`` for
        ``make_grid(..., nrow=N)``."""
        X = np.asarray(X.asnumpy() if isinstance(X, nd.NDArray) else X, np.float32)
        A = np.asarray(A, np.float32)
        indices = range(self.n_attrs) if indices is None else indices
        rows = [nd.array(X)] + [self.edit(X, A, self.flip_targets(A, i), **kwargs)
                                for i in indices]
        return nd.concat(*rows, dim=0)

    def set_sample_data(self, X, A, names=None):
        """Images and attributes that :meth:`sample` edits (e.g. a few test images)."""
        X = np.asarray(X.asnumpy() if isinstance(X, nd.NDArray) else X, np.float32)
        A = np.asarray(A, np.float32)
        if len(X) != len(A) or not len(X):
            raise ValueError('set_sample_data needs the same (non-zero) number of images and '
                             'attribute rows')
        self.sample_data = (X, A)
        if names is not None:
            self.names = tuple(names)
        return self

    def sample(self, num, seed=0):
        """:meth:`edit_rows` of ``k = max(1, num // (1 + n_attrs))`` sample images (chosen by
        ``seed`` from :meth:`set_sample_data`); lay out with ``nrow=k``."""
        if self.sample_data is None:
            raise ValueError(f'{type(self).__name__}.sample edits images: call '
                             'step.set_sample_data(X, A) first (e.g. with test images)')
        X, A = self.sample_data
        k = self.sample_nrow(num)
        index = np.random.default_rng(seed).choice(len(X), k, replace=k > len(X))
        return self.edit_rows(X[index], A[index])

    def sample_nrow(self, num):
        return max(1, num // (1 + self.n_attrs))


def named(step, attrs):
    """``step`` with ``names``, the attributes its labels stand for (kept in its config)."""
    step.names = tuple(attrs)
    return step
