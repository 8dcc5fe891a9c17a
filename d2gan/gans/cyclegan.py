"""CycleGAN: :class:`CycleGANStep` (two GANs between unpaired domains, tied together by cycle
consistency) and the recipe ``cyclegan`` (batches ``(A, B)``, unpaired)."""
import numpy as np
import mxnet as mx
from mxnet import autograd, nd

from ..image_pool import ImagePool
from ..losses import GANLoss, get_loss
from ..models.cyclegan import cyclegan_discriminator, resnet_generator
from ..models.pix2pix import patchgan_output_size
from ..nn import dcgan_init, scores_each_example
from ..registry import register_recipe
from ..train.step import Step, make_trainer, score_pair
from .translation import translation_metrics, unit_scale_pair


def linear_decay(epoch, n_epochs, n_epochs_decay):
    """CycleGAN's learning-rate factor for 0-based ``epoch``: 1, then a linear ramp down.

    ``1`` for the first ``n_epochs`` epochs, then ``1 - k / (n_epochs_decay + 1)`` in the
    ``k``-th decay epoch (``k = 1 .. n_epochs_decay``), the reference's ``lambda_rule``: the
    last epoch trains at ``lr / (n_epochs_decay + 1)`` and the ramp would reach 0 one epoch
    later. A function of the epoch number only, so a resumed run gets the same rates. An
    epoch past the schedule's end is an error: the ramp continued would train with a
    negative rate, i.e. backwards (to train longer, lengthen the schedule).
    """
    if n_epochs < 0 or n_epochs_decay < 0:
        raise ValueError(f'n_epochs and n_epochs_decay must be >= 0, got {n_epochs}, '
                         f'{n_epochs_decay}')
    if epoch >= n_epochs + n_epochs_decay:
        raise ValueError(f'epoch {epoch + 1} is past the end of the learning-rate schedule '
                         f'({n_epochs} constant + {n_epochs_decay} decaying epochs); to train '
                         'longer, give a longer schedule (the command line: a larger --epochs '
                         'with --resume)')
    return 1.0 - max(0, epoch + 1 - n_epochs) / float(n_epochs_decay + 1)


def aligned_l1(fake, real):
    """L1 on [0, 1] after giving each channel of each ``fake`` image the mean and standard
    deviation of that channel of its ``real`` image.

    A generator whose first convolution is followed by instance norm (the ResNet generator)
    cannot see a per-channel offset or a global contrast change of its input, so it can only
    guess an image's overall colour; this error leaves that guess out and measures the rest --
    edges, flat regions, local colour changes. For the input itself it is the error left by
    the best per-channel affine colour correction.
    """
    f, r = unit_scale_pair(fake, real)
    axes = (-2, -1)
    std_f = f.std(axis=axes, keepdims=True)
    scaled = (f - f.mean(axis=axes, keepdims=True)) / np.maximum(std_f, 1e-6)
    matched = scaled * r.std(axis=axes, keepdims=True) + r.mean(axis=axes, keepdims=True)
    return float(np.abs(matched - r).mean())


def _l1(x, y):
    """Mean absolute difference per example, summed over the batch (the step divides by N)."""
    return nd.abs(x - y).reshape((x.shape[0], -1)).mean(axis=1).sum()


class CycleGANStep(Step):
    """CycleGAN (Zhu et al., 2017) between domains A and B from *unpaired* batches ``(a, b)``.

    Networks, named as in the reference code (junyanz/pytorch-CycleGAN-and-pix2pix)::

        G_A: A -> B  (the paper's G)        D_A judges domain B: real b vs G_A(a)  (paper's D_Y)
        G_B: B -> A  (the paper's F)        D_B judges domain A: real a vs G_B(b)  (paper's D_X)

    Full objective (paper eq. 3 plus the identity term of its section 5.2)::

        L(G_A, G_B, D_A, D_B) = L_GAN(G_A, D_A) + L_GAN(G_B, D_B)
                                + lambda_A * E_a |G_B(G_A(a)) - a|_1          (cycle A->B->A)
                                + lambda_B * E_b |G_A(G_B(b)) - b|_1          (cycle B->A->B)
                                + lambda_idt * (lambda_B * E_b |G_A(b) - b|_1
                                                + lambda_A * E_a |G_B(a) - a|_1)  (identity)
        G_A*, G_B* = arg min_G max_D L

    with the least-squares GAN loss (LSGAN, 0-1 coding) in place of the log loss:
    each D minimises ``1/2 (D(real) - 1)^2 + 1/2 D(fake)^2`` and each G minimises
    ``(D(G(x)) - 1)^2`` -- the reference's MSE, here ``2 * LSGANLoss.g_loss``. With another
    ``loss`` the G term is that loss's ``g_loss`` (factor 1). L1 terms average over pixels.

    ``lambda_A = lambda_B = 10``, ``lambda_idt = 0.5``: the cycle makes ``G_B`` undo ``G_A``
    (so ``G_A`` must keep what identifies its input); the identity term asks a generator fed
    an image of its *target* domain to leave it alone, which keeps colours from drifting
    (the paper uses it for paintings <-> photos). ``lambda_idt = 0`` or ``lambda_A =
    lambda_B = 0`` give the ablations.

    One step, as the reference's ``optimize_parameters``:

    1. ``fake_B = G_A(a)``, ``rec_A = G_B(fake_B)``, ``fake_A = G_B(b)``, ``rec_B = G_A(fake_A)``;
    2. G step: one Adam over both generators on the total G loss above (D's outputs on the
       fakes enter, D's parameters are not updated);
    3. D step: one Adam over both discriminators; ``D_A`` sees ``b`` and a fake B drawn from an
       :class:`~d2gan.image_pool.ImagePool` of 50 earlier ``fake_B`` (``D_B`` likewise).

    Adam(2e-4, beta1 0.5) for both; the rate is constant for ``n_epochs`` epochs and decays
    linearly for ``n_epochs_decay`` more (:func:`linear_decay`, applied in :meth:`begin_epoch`,
    which the loop also calls on resume). Logged: ``loss_D_A``, ``loss_D_B``, ``loss_G_A``,
    ``loss_G_B`` (adversarial terms) and the *unweighted* L1s ``cycle_A``, ``cycle_B``,
    ``idt_A`` (= ``|G_A(b) - b|``), ``idt_B``, on the [-1, 1] pixel scale.
    """


    def __init__(self, G_A, G_B, D_A, D_B, lambda_A=10.0, lambda_B=10.0, lambda_identity=0.5,
                 loss='lsgan', lr=2e-4, beta1=0.5, beta2=0.999, n_epochs=100,
                 n_epochs_decay=100, pool_size=50, pool_seed=0, devices=None, initialize=True,
                 hybridize=True):
        super().__init__(devices)
        self.lambda_A, self.lambda_B = float(lambda_A), float(lambda_B)
        self.lambda_identity = float(lambda_identity)
        self.loss = loss if isinstance(loss, GANLoss) else get_loss(loss)
        self.g_scale = 2.0 if self.loss.name == 'lsgan' else 1.0
        self.lr, self.n_epochs, self.n_epochs_decay = float(lr), int(n_epochs), int(n_epochs_decay)
        linear_decay(0, self.n_epochs, self.n_epochs_decay)          # validates the schedule
        self.pool_A = ImagePool(pool_size, seed=pool_seed)           # fakes of domain A (-> D_B)
        self.pool_B = ImagePool(pool_size, seed=pool_seed + 1)       # fakes of domain B (-> D_A)
        if initialize:
            for net in (G_A, G_B, D_A, D_B):
                dcgan_init(net, self.devices)
        self.G_A, self.G_B, self.D_A, self.D_B = G_A, G_B, D_A, D_B
        self.networks = {'G_A': G_A, 'G_B': G_B, 'D_A': D_A, 'D_B': D_B}
        self.joint_critic = scores_each_example(D_A) and scores_each_example(D_B)
        self.trainers = {'G': make_trainer([G_A, G_B], 'adam', lr, beta1, beta2),
                         'D': make_trainer([D_A, D_B], 'adam', lr, beta1, beta2)}
        self.sample_data = None
        if hybridize:
            self.hybridize()

    # -- learning-rate schedule --------------------------------------------------------------
    def learning_rate(self, epoch):
        """The rate of 0-based ``epoch`` (:func:`linear_decay` times ``lr``)."""
        return self.lr * linear_decay(epoch, self.n_epochs, self.n_epochs_decay)

    def begin_epoch(self, epoch):
        """Set both optimizers' rate for ``epoch``; the loop calls it before every epoch."""
        for trainer in self.trainers.values():
            trainer.set_learning_rate(self.learning_rate(epoch))

    # -- training -------------------------------------------------------------------------
    def generator_backward(self, As, Bs):
        """Gradients of the total G loss (summed over the batch) into both generators.

        ``As``, ``Bs``: lists of NDArray slices, one per device. Returns the loss terms (per
        slice) and the fakes ``G_B(b)``, ``G_A(a)`` for the D step. One graph per slice: each
        generator runs three times in it, which the ``via_conv`` transposed convolutions of
        :class:`~d2gan.models.cyclegan.ResnetGenerator` allow.
        """
        terms, fakes_A, fakes_B, losses = {}, [], [], []
        with self.only_updating('G'):
            with autograd.record():
                for a, b in zip(As, Bs):
                    a, b = a.detach(), b.detach()
                    fake_b, fake_a = self.G_A(a), self.G_B(b)
                    values = {'loss_G_A': self.g_scale * self.loss.g_loss(self.D_A(fake_b)).sum(),
                              'loss_G_B': self.g_scale * self.loss.g_loss(self.D_B(fake_a)).sum(),
                              'cycle_A': _l1(self.G_B(fake_b), a),        # A -> B -> A
                              'cycle_B': _l1(self.G_A(fake_a), b)}        # B -> A -> B
                    loss = (values['loss_G_A'] + values['loss_G_B']
                            + self.lambda_A * values['cycle_A'] + self.lambda_B * values['cycle_B'])
                    if self.lambda_identity > 0:
                        values.update(idt_A=_l1(self.G_A(b), b), idt_B=_l1(self.G_B(a), a))
                        loss = loss + self.lambda_identity * (self.lambda_B * values['idt_A']
                                                              + self.lambda_A * values['idt_B'])
                    losses.append(loss)
                    for key, value in values.items():
                        terms.setdefault(key, []).append(value)
                    fakes_A.append(fake_a)
                    fakes_B.append(fake_b)
            self.backward(losses, self.trainers['G'])
        return terms, fakes_A, fakes_B

    def split_unpaired(self, batch):
        """``(n, As, Bs)``: an unpaired batch ``(A, B)`` checked and split over the devices."""
        A, B = (x if isinstance(x, nd.NDArray) else nd.array(x) for x in batch)
        if A.shape[0] != B.shape[0]:
            raise ValueError(f'A and B batches must hold as many images: {A.shape} vs {B.shape}')
        return A.shape[0], self.split(A), self.split(B)

    def train_step(self, batch):
        n, As, Bs = self.split_unpaired(batch)
        terms, fakes_A, fakes_B = self.generator_backward(As, Bs)
        self.trainers['G'].step(n)
        # D step on detached inputs; the fakes come through the image pools (which detach).
        pooled_B = [self.pool_B.query(f) for f in fakes_B]
        pooled_A = [self.pool_A.query(f) for f in fakes_A]
        with autograd.record():
            d_A = [self._d_loss(self.D_A, b, p) for b, p in zip(Bs, pooled_B)]
            d_B = [self._d_loss(self.D_B, a, p) for a, p in zip(As, pooled_A)]
        self.backward(d_A + d_B, self.trainers['D'])
        self.trainers['D'].step(n)
        logs = {'loss_D_A': self._mean(d_A, n), 'loss_D_B': self._mean(d_B, n)}
        logs.update({k: self._mean(v, n) for k, v in terms.items()})
        return logs

    def _d_loss(self, net_D, real, fake):
        """``net_D``'s loss on a real and a (pooled) fake batch, summed over the examples."""
        return self.loss.d_loss(*score_pair(net_D, real.detach(), fake, self.joint_critic)).sum()

    def _mean(self, values, n):
        return sum(v.detach().as_in_context(self.devices[0]) for v in values) / n

    # -- checkpointed state beyond networks and trainers ---------------------------------------
    def state_dict(self):
        state = {'pool_A_' + k: v for k, v in self.pool_A.state_dict().items()}
        state.update({'pool_B_' + k: v for k, v in self.pool_B.state_dict().items()})
        return state

    def load_state_dict(self, state):
        for name, pool in (('pool_A_', self.pool_A), ('pool_B_', self.pool_B)):
            pool.load_state_dict({k[len(name):]: v for k, v in state.items()
                                  if k.startswith(name)}, ctx=self.devices[0])

    # -- inference ---------------------------------------------------------------------------
    def generator(self, direction):
        """``G_A`` for ``'AtoB'``, ``G_B`` for ``'BtoA'``."""
        if direction not in ('AtoB', 'BtoA'):
            raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
        return self.G_A if direction == 'AtoB' else self.G_B

    def translate(self, X, direction='AtoB', batch_size=16):
        """``G_A(X)`` (``'AtoB'``) or ``G_B(X)`` (``'BtoA'``) for float32 NCHW images in [-1, 1].

        Instance norm uses each image's own statistics and there is no dropout, so training
        and inference modes agree.
        """
        net = self.generator(direction)
        X = X.asnumpy() if isinstance(X, nd.NDArray) else np.asarray(X, np.float32)
        with autograd.predict_mode():
            outs = [self.generate(net, nd.array(X[i:i + batch_size], ctx=self.devices[0]))
                    for i in range(0, len(X), batch_size)]
        return nd.concat(*outs, dim=0).as_in_context(mx.cpu())

    @staticmethod
    def generate(net, x):
        """The translated images of generator ``net`` (U-GAT-IT's also return attention)."""
        return net(x)

    def cycle(self, X, direction='AtoB', batch_size=16):
        """``(fake, reconstruction)``: ``X -> G(X) -> F(G(X))`` for ``direction``'s G."""
        back = 'BtoA' if direction == 'AtoB' else 'AtoB'
        fake = self.translate(X, direction, batch_size)
        return fake, self.translate(fake, back, batch_size)

    def evaluate(self, X, target, direction='AtoB', batch_size=16):
        """``{'L1', 'PSNR', 'sharpness', 'L1_aligned'}`` of the translation of ``X`` against
        known targets (:func:`translation_metrics`, :func:`aligned_l1`)."""
        fake = self.translate(X, direction, batch_size)
        return dict(translation_metrics(fake, target), L1_aligned=aligned_l1(fake, target))

    def set_sample_data(self, A, B):
        """Images of each domain (need not correspond) that :meth:`sample` shows."""
        A = A.asnumpy() if isinstance(A, nd.NDArray) else np.asarray(A, np.float32)
        B = B.asnumpy() if isinstance(B, nd.NDArray) else np.asarray(B, np.float32)
        if not len(A) or not len(B):
            raise ValueError('set_sample_data needs at least one image of each domain')
        self.sample_data = (A, B)
        return self

    def sample(self, num, seed=0):
        """A grid of six rows of ``k = max(1, num // 6)`` images (show it with ``nrow=k``):

        inputA / fakeB = G_A(A) / cycA = G_B(G_A(A)), then inputB / fakeA / cycB.
        The ``k`` images of each domain are drawn from :meth:`set_sample_data` with ``seed``.
        """
        if self.sample_data is None:
            raise ValueError('CycleGANStep.sample shows translations: call '
                             'step.set_sample_data(A, B) first (e.g. with the test images)')
        k = self.sample_nrow(num)
        rng = np.random.default_rng(seed)
        rows = []
        for X, direction in zip(self.sample_data, ('AtoB', 'BtoA')):
            x = X[rng.choice(len(X), k, replace=k > len(X))]
            fake, rec = self.cycle(x, direction)
            rows += [nd.array(x), fake, rec]
        return nd.concat(*rows, dim=0)

    @staticmethod
    def sample_nrow(num):
        """The ``nrow`` that lays out :meth:`sample` ``(num)`` as six rows."""
        return max(1, num // 6)


def default_blocks(image_size):
    """Residual blocks of the paper: 9 for 256x256 and larger, 6 below (128x128)."""
    return 9 if image_size >= 256 else 6


@register_recipe('cyclegan', batch_kind='unpaired')
def cyclegan(image_size=256, channels=3, ngf=64, ndf=64, n_blocks=None, n_layers=3,
             norm='instance', lambda_A=10.0, lambda_B=10.0, lambda_identity=0.5, loss='lsgan',
             pool_size=50, pool_seed=0, lr=2e-4, beta1=0.5, n_epochs=100, n_epochs_decay=100,
             devices=None, hybridize=True):
    """The paper's CycleGAN: ``resnet_9blocks`` (256) / ``resnet_6blocks`` (128) generators,
    70x70 PatchGAN discriminators, instance norm, LSGAN, lambda = 10, identity 0.5, pools of
    50, Adam(2e-4, 0.5), 100 epochs at a constant rate then 100 of linear decay.

    ``image_size`` picks the default ``n_blocks`` and is recorded for the CLI; the networks
    themselves take any size that is a multiple of 4.
    """
    if image_size % 4 or patchgan_output_size(image_size, n_layers) < 1:
        smallest = next(s for s in range(4, 1 << 16, 4) if patchgan_output_size(s, n_layers) >= 1)
        raise ValueError(f'CycleGAN needs an image_size that is a multiple of 4 (the generator '
                         f'halves it twice) and at least {smallest} (the {n_layers}-layer '
                         f'PatchGAN), got {image_size}')
    blocks = default_blocks(image_size) if n_blocks is None else n_blocks
    nets = [resnet_generator(channels, channels, ngf, blocks, norm) for _ in range(2)]
    nets += [cyclegan_discriminator(channels, ndf, n_layers, norm) for _ in range(2)]
    return CycleGANStep(*nets, lambda_A=lambda_A, lambda_B=lambda_B,
                        lambda_identity=lambda_identity, loss=loss, lr=lr, beta1=beta1,
                        n_epochs=n_epochs, n_epochs_decay=n_epochs_decay, pool_size=pool_size,
                        pool_seed=pool_seed, devices=devices, hybridize=hybridize)
