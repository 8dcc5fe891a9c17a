"""Pix2Pix: :class:`Pix2PixStep` (a conditional GAN on pairs plus an L1 term) and the recipe
``pix2pix`` (batches ``(A, B)``, aligned)."""
import numpy as np
import mxnet as mx
from mxnet import autograd, nd

from ..data.paired import check_direction
from ..image_pool import ImagePool
from ..losses import GANLoss, get_loss
from ..models.pix2pix import (num_downs_for, patchgan_discriminator, pixel_discriminator,
                              unet_generator)
from ..registry import register_recipe
from ..train.step import Step
from .translation import translation_metrics


class Pix2PixStep(Step):
    """Pix2Pix (Isola et al., 2017): ``G: A -> B`` trained on aligned pairs ``(a, b)``.

    Objective (paper eq. 4), with a PatchGAN ``D`` that judges the *pair* ``concat(a, b)``::

        G* = arg min_G max_D  L_cGAN(G, D) + lambda_l1 * L_L1(G)
        L_cGAN = E_(a,b) [log D(a, b)] + E_a [log(1 - D(a, G(a)))]
        L_L1   = E_(a,b) ||b - G(a)||_1        (mean over pixels)

    No ``z``: the dropout inside G is its only noise. Each step, as in the reference code:

    1. ``fake = G(a)`` (one forward pass, kept for step 3);
    2. D step: ``min_D 1/2 [-log sigma(D(a, b)) - log(1 - sigma(D(pool(a, fake))))]`` -- the
       fake pair comes from the :class:`~d2gan.image_pool.ImagePool` (``pool_size`` pairs,
       50 here as in CycleGAN; the pix2pix reference uses 0, i.e. no pool);
    3. G step: ``min_G  lambda_gan * (-log sigma(D(a, fake))) + lambda_l1 * |b - fake|_1``
       (non-saturating), through the D just updated.

    ``lambda_l1 = 100``, Adam(2e-4, beta1 0.5) are the paper's; ``lambda_gan = 0`` gives the
    "L1 only" ablation (D is then not trained). ``loss='lsgan'`` swaps the GAN loss (see
    :mod:`d2gan.losses`); the patch logits are averaged per image. A batch is ``(A, B)``,
    already in the translation direction (input, target).

    Logged: ``loss_D``, ``loss_G_GAN``, and ``L1`` = the *unweighted* mean absolute error of
    ``G(a)`` on the batch in the [-1, 1] pixel scale.
    """


    def __init__(self, net_G, net_D, lambda_l1=100.0, lambda_gan=1.0, loss='vanilla', lr=2e-4,
                 beta1=0.5, beta2=0.999, pool_size=50, pool_seed=0, test_mode='eval',
                 devices=None, initialize=True, hybridize=True):
        super().__init__(devices)
        self.lambda_l1, self.lambda_gan = float(lambda_l1), float(lambda_gan)
        self.loss = loss if isinstance(loss, GANLoss) else get_loss(loss)
        self.pool = ImagePool(pool_size, seed=pool_seed)
        self.test_mode = _check_mode(test_mode)
        self.set_pair(net_G, net_D, lr, beta1, beta2, initialize=initialize)
        self.sample_data = None
        if hybridize:
            self.hybridize()

    # -- training -------------------------------------------------------------------------
    def train_step(self, batch):
        A, B = (x if isinstance(x, nd.NDArray) else nd.array(x) for x in batch)
        if A.shape[0] != B.shape[0] or A.shape[2:] != B.shape[2:]:
            raise ValueError(f'A {A.shape} and B {B.shape} are not aligned pairs')
        n = A.shape[0]
        As, Bs = self.split(A), self.split(B)
        with autograd.record():
            fakes = [self.net_G(a) for a in As]
        logs = {}
        if self.lambda_gan > 0:
            # D sees detached handles of A: back-propagating D's loss frees the autograd
            # records of its inputs, and A's record is still needed by G's graph (step 3).
            pooled = [self.pool.query(nd.concat(a.detach(), f.detach(), dim=1))
                      for a, f in zip(As, fakes)]
            with autograd.record():
                losses = [0.5 * self.loss.d_loss(
                    self.net_D(nd.concat(a.detach(), b.detach(), dim=1)), self.net_D(p)).sum()
                    for a, b, p in zip(As, Bs, pooled)]
            self.backward(losses, self.trainers['D'])
            self.trainers['D'].step(n)
            logs['loss_D'] = self._mean(losses, n)
        gan_terms, l1_terms = [], []
        with self.only_updating('G'):
            with autograd.record():
                totals = []
                for a, b, f in zip(As, Bs, fakes):
                    l1 = nd.abs(f - b).reshape((f.shape[0], -1)).mean(axis=1).sum()
                    total = self.lambda_l1 * l1
                    if self.lambda_gan > 0:
                        gan = self.loss.g_loss(self.net_D(nd.concat(a, f, dim=1))).sum()
                        total = total + self.lambda_gan * gan
                        gan_terms.append(gan)
                    l1_terms.append(l1)
                    totals.append(total)
            self.backward(totals, self.trainers['G'])
        self.trainers['G'].step(n)
        if gan_terms:
            logs['loss_G_GAN'] = self._mean(gan_terms, n)
        logs['L1'] = self._mean(l1_terms, n)
        return logs

    def _mean(self, values, n):
        return sum(v.detach().as_in_context(self.devices[0]) for v in values) / n

    # -- checkpointed state beyond networks and trainers ---------------------------------------
    def state_dict(self):
        return {'pool_' + k: v for k, v in self.pool.state_dict().items()}

    def load_state_dict(self, state):
        self.pool.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith('pool_')},
                                  ctx=self.devices[0])

    # -- inference ---------------------------------------------------------------------------
    def translate(self, A, batch_size=16, mode=None):
        """``G(A)`` for float32 NCHW images in [-1, 1] (numpy or NDArray), in chunks.

        ``mode='eval'``: dropout off, batch norm with its running statistics (usual inference).
        ``mode='train'``: the paper's test-time setting -- dropout on and batch norm with the
        statistics of the chunk (``batch_size=1`` makes it per-image); the running statistics
        are restored afterwards. Default: ``self.test_mode``.
        """
        mode = _check_mode(mode or self.test_mode)
        A = A.asnumpy() if isinstance(A, nd.NDArray) else np.asarray(A, np.float32)
        outs = []
        saved = _running_stats(self.net_G) if mode == 'train' else None
        scope = autograd.train_mode if mode == 'train' else autograd.predict_mode
        with scope():
            for i in range(0, len(A), batch_size):
                outs.append(self.net_G(nd.array(A[i:i + batch_size], ctx=self.devices[0])))
        if saved is not None:
            for param, value in saved:
                param.set_data(value)
        return nd.concat(*outs, dim=0)

    def evaluate(self, A, B, batch_size=16, mode=None):
        """``{'L1', 'PSNR', 'sharpness'}`` of ``G(A)`` against ``B`` (translation_metrics)."""
        return translation_metrics(self.translate(A, batch_size, mode), B)

    def set_sample_data(self, A, B):
        """Pairs that :meth:`sample` shows (e.g. the validation split), float32 NCHW."""
        A = A.asnumpy() if isinstance(A, nd.NDArray) else np.asarray(A, np.float32)
        B = B.asnumpy() if isinstance(B, nd.NDArray) else np.asarray(B, np.float32)
        if len(A) != len(B) or not len(A):
            raise ValueError('set_sample_data needs the same (non-zero) number of A and B images')
        self.sample_data = (A, B)
        return self

    def sample(self, num, seed=0):
        """A display grid: ``k = max(1, num // 3)`` inputs, then their ``G(A)``, then the real B.

        Shown with ``nrow=k`` the rows read inputA / fakeB / realB. The ``k`` pairs are drawn
        from :meth:`set_sample_data` (the same ones for the same ``seed``).
        """
        if self.sample_data is None:
            raise ValueError('Pix2PixStep.sample shows translated pairs: call '
                             'step.set_sample_data(A, B) first (e.g. with the validation split)')
        A, B = self.sample_data
        k = max(1, num // 3)
        index = np.random.default_rng(seed).choice(len(A), k, replace=k > len(A))
        fake = self.translate(A[index]).as_in_context(mx.cpu())
        return nd.concat(nd.array(A[index]), fake, nd.array(B[index]), dim=0)

    @staticmethod
    def sample_nrow(num):
        """The ``nrow`` that lays out :meth:`sample` ``(num)`` as three rows."""
        return max(1, num // 3)


def _check_mode(mode):
    if mode not in ('eval', 'train'):
        raise ValueError(f"test mode must be 'eval' or 'train', got {mode!r}")
    return mode


def _running_stats(net):
    return [(p, p.data().copy()) for name, p in net.collect_params().items()
            if name.endswith(('running_mean', 'running_var', 'moving_mean', 'moving_var'))]


@register_recipe('pix2pix', batch_kind='paired')
def pix2pix(image_size=256, in_channels=3, out_channels=3, ngf=64, ndf=64, net_D='patchgan',
            n_layers=3, norm='batch', dropout=True, lambda_l1=100.0, lambda_gan=1.0,
            loss='vanilla', pool_size=50, pool_seed=0, lr=2e-4, beta1=0.5, test_mode='eval',
            direction='AtoB', devices=None, hybridize=True):
    """The paper's Pix2Pix: U-Net with ``log2(image_size)`` downsamplings (``unet_256`` at
    256), 70x70 PatchGAN (``net_D='pixel'`` for 1x1), batch norm, lambda_L1 = 100,
    Adam(2e-4, 0.5); D's fake pairs pass an image pool of 50 (the reference default is 0).

    ``direction`` only records which side of the pairs is the input (``step.direction``), so
    that a checkpoint knows how it was trained (the CLI's ``infer`` reads it)."""
    net_G = unet_generator(in_channels, out_channels, num_downs_for(image_size), ngf, norm,
                           dropout)
    if net_D == 'patchgan':
        D = patchgan_discriminator(in_channels + out_channels, ndf, n_layers, norm)
    elif net_D == 'pixel':
        D = pixel_discriminator(in_channels + out_channels, ndf, norm)
    else:
        raise ValueError(f"net_D must be 'patchgan' or 'pixel', got {net_D!r}")
    step = Pix2PixStep(net_G, D, lambda_l1=lambda_l1, lambda_gan=lambda_gan, loss=loss, lr=lr,
                       beta1=beta1, pool_size=pool_size, pool_seed=pool_seed,
                       test_mode=test_mode, devices=devices, hybridize=hybridize)
    step.direction = check_direction(direction)
    return step
