"""PGGAN training (Karras et al., 2018), as ``train.py`` and ``loss.py`` of
tkarras/progressive_growing_of_gans: :func:`lod_at`, :class:`PGGANStep` and the recipe ``pggan``.

Growing. Training starts at 4x4 and alternates two phases per level, measured in real images
shown (``kimg`` = thousands): ``lod_training_kimg`` at a fixed level, then
``lod_transition_kimg`` while the next level fades in (the level of detail ``lod`` falls
linearly from one integer to the next, :func:`lod_at`). Real images are shown at the current
resolution, blended during a fade exactly as the generator's output is (2x2 average, then
nearest up-sampling), so that D never tells real from fake by sharpness alone. When a new level
starts (``floor`` or ``ceil`` of ``lod`` changes) both Adam states are reset.

Losses (``G_wgan_acgan`` / ``D_wgangp_acgan`` without labels)::

    G: min  -D(G(z))
    D: min  D(G(z)) - D(x) + lambda * (||grad D(x_hat)|| - 1)^2 + epsilon * D(x)^2

``x_hat`` interpolates real and fake images (WGAN-GP, ``lambda = 10``, exact penalty through
:mod:`d2gan.penalty` at the current ``lod``); the drift term (``epsilon = 0.001``) keeps D's
output near zero, since a Wasserstein critic is only defined up to a constant.
Adam(0.001, betas (0, 0.99), eps 1e-8) for both; ``Gs``, the exponential moving average of G
(``beta = 0.999`` per step), samples.

Deviation: the reference changes the minibatch size per resolution; here the loop's batch is
fixed (a smaller dataset and CPU make the big 4x4 batches of the paper pointless).
"""
import math

import numpy as np
from mxnet import autograd, gluon, nd

from ..models.pggan import PGGANDiscriminator, PGGANGenerator, split_lod
from ..nn.equalized import check_minibatch_groups
from ..penalty import GradientPenalty
from ..registry import register_recipe
from ..train.adam import ADAM
from ..train.ema import update_ema
from ..train.step import Step, reset_optimizer_state, split_sizes


def lod_at(nimg, max_lod, lod_training_kimg=600, lod_transition_kimg=600,
           lod_initial_resolution=4):
    """The level of detail after ``nimg`` real images (the reference's ``TrainingSchedule``).

    ``max_lod = log2(resolution) - 2``. Starts at ``log2(resolution) -
    log2(lod_initial_resolution)``, stays for ``lod_training_kimg``, falls by 1 over
    ``lod_transition_kimg``, and so on down to 0 (the full resolution), where it stays.
    """
    if lod_training_kimg < 0 or lod_transition_kimg < 0:
        raise ValueError(f'lod_training_kimg and lod_transition_kimg must be >= 0, got '
                         f'{lod_training_kimg}, {lod_transition_kimg}')
    start = max_lod + 2 - math.log2(lod_initial_resolution)
    if start != int(start) or not 0 <= start <= max_lod:
        raise ValueError(f'lod_initial_resolution must be a power of 2 from 4 to '
                         f'{2 ** (max_lod + 2)}, got {lod_initial_resolution}')
    # counted in images, not kimg: whole numbers keep the phase boundaries exact
    training, transition = lod_training_kimg * 1000.0, lod_transition_kimg * 1000.0
    phase = training + transition
    if phase == 0:
        return 0.0
    index = math.floor(nimg / phase)
    lod = start - index
    if transition > 0:
        lod -= max(nimg - index * phase - training, 0.0) / transition
    return max(lod, 0.0)


def fade_reals(x, lod):
    """Real images ``(N, C, R, R)`` (full resolution) as D sees them at ``lod``: 2x2-averaged
    ``floor(lod)`` times and, during a fade (``t = lod - floor(lod) > 0``), blended with their
    2x2 average up-sampled again: ``x + (up(down(x)) - x) * t``."""
    for _ in range(math.floor(lod)):
        x = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='avg')
    t = lod - math.floor(lod)
    if t > 0:
        coarse = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='avg')
        x = x + (nd.UpSampling(coarse, scale=2, sample_type='nearest') - x) * t
    return x


class PGGANStep(Step):
    """One PGGAN minibatch at the ``lod`` of the images shown so far (module docstring)."""

    def __init__(self, make_G, net_D, lr=0.001, betas=(0.0, 0.99), wgan_lambda=10.0,
                 wgan_epsilon=0.001, lod_training_kimg=600, lod_transition_kimg=600,
                 lod_initial_resolution=4, g_smoothing=0.999, reset_opt_for_new_lod=True,
                 devices=None, hybridize=True):
        super().__init__(devices)
        self.net_G, self.net_D, self.Gs = make_G(), net_D, make_G()
        for net in (self.net_G, self.net_D, self.Gs):
            net.initialize(ctx=self.devices)
        self.Gs.collect_params().setattr('grad_req', 'null')
        update_ema(self.Gs, self.net_G, 0.0)
        self.networks = {'G': self.net_G, 'D': self.net_D, 'Gs': self.Gs}
        self.trainers = {name: gluon.Trainer(net.collect_params(), ADAM,
                                             {'learning_rate': lr, 'beta1': betas[0],
                                              'beta2': betas[1], 'epsilon': 1e-8},
                                             update_on_kvstore=False)
                         for name, net in (('G', self.net_G), ('D', self.net_D))}
        self.max_lod, self.latent_dim = self.net_G.max_lod, self.net_G.latent_dim
        self.schedule = dict(lod_training_kimg=lod_training_kimg,
                             lod_transition_kimg=lod_transition_kimg,
                             lod_initial_resolution=lod_initial_resolution)
        lod_at(0, self.max_lod, **self.schedule)                  # validates the schedule
        self.wgan_lambda, self.wgan_epsilon = wgan_lambda, wgan_epsilon
        self.g_smoothing, self.reset_opt_for_new_lod = g_smoothing, reset_opt_for_new_lod
        self.nimg, self.prev_lod = 0, -1.0
        self._penalties = {}
        if hybridize:
            self.hybridize()

    @property
    def lod(self):
        """The level of detail of the next minibatch."""
        return lod_at(self.nimg, self.max_lod, **self.schedule)

    @property
    def resolution(self):
        """Side of the images the networks work at now (the new level's during a fade)."""
        return 2 ** (split_lod(self.lod, self.max_lod)[0] + 2)

    def _penalty(self, lod):
        """WGAN-GP and the critic view at ``lod``. A stable level keeps one hybridized graph;
        during a fade ``t`` changes every step, so that penalty runs operator by operator."""
        if lod != math.floor(lod):
            fading = GradientPenalty(self.wgan_lambda)
            fading.hybridize = False
            return fading, self.net_D.at_lod(lod)
        if lod not in self._penalties:
            self._penalties[lod] = (GradientPenalty(self.wgan_lambda), self.net_D.at_lod(lod))
        return self._penalties[lod]

    def _new_level(self, lod):
        """The reference's test for resetting Adam: a different floor or ceil of ``lod``."""
        return (math.floor(lod) != math.floor(self.prev_lod)
                or math.ceil(lod) != math.ceil(self.prev_lod))

    def train_step(self, batch):
        X = batch if isinstance(batch, nd.NDArray) else nd.array(batch)
        n, lod = X.shape[0], self.lod
        check_minibatch_groups(self.net_D, split_sizes(n, len(self.devices)))
        if self.reset_opt_for_new_lod and self._new_level(lod):
            for trainer in self.trainers.values():
                reset_optimizer_state(trainer)
        self.prev_lod = lod
        reals = [fade_reals(x, lod) for x in self.split(X)]
        shares = self.shares(n)
        with autograd.predict_mode():
            fakes = [self.net_G(nd.random.normal(shape=(k, self.latent_dim), ctx=d), lod)
                     .detach() for k, d in shares]
        with autograd.record():                                          # D step
            real_scores = [self.net_D(x, lod) for x in reals]
            d_losses = [(self.net_D(f, lod) - r + self.wgan_epsilon * nd.square(r)).sum()
                        for f, r in zip(fakes, real_scores)]
        self.backward(d_losses, self.trainers['D'])
        penalty, critic = self._penalty(lod)
        gp = sum(penalty(critic, x, f).as_in_context(self.devices[0])
                 for x, f in zip(reals, fakes))
        # levels not reached yet get no gradient and are skipped, as Adam leaves a parameter
        # whose gradient is always zero where it is (the reference computes them all)
        self.trainers['D'].step(n, ignore_stale_grad=True)
        with self.only_updating('G'):                                    # G step
            with autograd.record():
                g_losses = [-self.net_D(self.net_G(nd.random.normal(shape=(k, self.latent_dim),
                                                                    ctx=d), lod), lod).sum()
                            for k, d in shares]
            self.backward(g_losses, self.trainers['G'])
        self.trainers['G'].step(n, ignore_stale_grad=True)
        update_ema(self.Gs, self.net_G, self.g_smoothing)
        self.nimg += n
        # the lod as an array made by an operator: ``nd.array`` (a copy from NumPy) would wait
        # for every operator already queued, so the next step could not be queued meanwhile
        return {'loss_D': self._mean(d_losses, n), 'gp': gp / n,
                'loss_G': self._mean(g_losses, n),
                'lod': nd.full((1,), lod, ctx=self.devices[0])}

    def _mean(self, values, n):
        return sum(v.detach().as_in_context(self.devices[0]) for v in values) / n

    # -- sampling and state ----------------------------------------------------------------------
    def sample(self, num, seed=0, lod=None):
        """``num`` images of ``Gs`` at ``lod`` (default: the current one) from fixed latents,
        up-sampled (nearest) to the full resolution, as the reference's snapshots."""
        lod = self.lod if lod is None else lod
        z = self.noise(num, self.latent_dim, seed)
        with autograd.predict_mode():
            images = self.Gs(z, lod)
        scale = 2 ** math.floor(lod)
        if scale > 1:
            images = nd.UpSampling(images, scale=scale, sample_type='nearest')
        return images

    def state_dict(self):
        return {'nimg': np.array([self.nimg], np.float64),
                'prev_lod': np.array([self.prev_lod], np.float64)}

    def load_state_dict(self, state):
        self.nimg = int(state['nimg'][0])
        self.prev_lod = float(state['prev_lod'][0])


@register_recipe('pggan')
def pggan(image_size=32, channels=1, fmap_base=2048, fmap_max=128, latent_dim=None,
          mbstd_group_size=4, lr=0.001, wgan_lambda=10.0, wgan_epsilon=0.001,
          lod_training_kimg=600, lod_transition_kimg=600, lod_initial_resolution=4,
          g_smoothing=0.999, reset_opt_for_new_lod=True, devices=None, hybridize=True):
    """PGGAN with the paper's schedule and losses; the book's default widths are CPU-sized
    (``nf = min(fmap_base / 2**stage, fmap_max)``: 128 channels at every level for 32x32; the
    paper's 1024 px networks are ``fmap_base=8192, fmap_max=512``). ``latent_dim=None``: ``nf(0)``
    as the reference."""
    def make_G():
        return PGGANGenerator(image_size, channels, fmap_base, 1.0, fmap_max, latent_dim)

    net_D = PGGANDiscriminator(image_size, channels, fmap_base, 1.0, fmap_max, mbstd_group_size)
    return PGGANStep(make_G, net_D, lr=lr, wgan_lambda=wgan_lambda, wgan_epsilon=wgan_epsilon,
                     lod_training_kimg=lod_training_kimg, lod_transition_kimg=lod_transition_kimg,
                     lod_initial_resolution=lod_initial_resolution, g_smoothing=g_smoothing,
                     reset_opt_for_new_lod=reset_opt_for_new_lod, devices=devices,
                     hybridize=hybridize)


__all__ = ['PGGANStep', 'lod_at', 'fade_reals', 'pggan']
