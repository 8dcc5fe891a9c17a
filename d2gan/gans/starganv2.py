"""StarGAN v2 training (Choi et al., 2020), as ``core/solver.py`` of clovaai/stargan-v2:
:class:`StarGANv2Step` and the recipe ``starganv2`` (batches ``(X, y)``: images and their
domains).

Networks (:mod:`d2gan.models.starganv2`): generator ``G(x, s)``, mapping network ``F(z, y)``,
style encoder ``E(x, y)``, discriminator ``D(x, y)``. A target style ``s`` comes either from a
latent (``s = F(z, y_trg)``, *latent-guided*) or from a reference image of the target domain
(``s = E(x_ref, y_trg)``, *reference-guided*). One iteration, as the reference's:

1. D, latent-guided, then D, reference-guided: the non-saturating loss on ``D(x, y_org)`` and
   ``D(G(x, s), y_trg)`` (fakes not back-propagated into G) plus
   ``lambda_reg * R1`` on the real images with the output of their own domain (exact,
   :mod:`d2gan.penalty` with ``labels``);
2. G, latent-guided (updates G, F and E), then G, reference-guided (updates G only)::

       L_G = L_adv(D(G(x, s), y_trg))                                 non-saturating
             + lambda_sty * |E(G(x, s), y_trg) - s|_1                    style reconstruction
             - lambda_ds  * |G(x, s) - G(x, s2)|_1                      diversity (s2: 2nd z/ref)
             + lambda_cyc * |G(G(x, s), E(x, y_org)) - x|_1             cycle

   ``lambda_ds`` falls linearly to 0 over ``ds_iter`` iterations;
3. ``G_ema``, ``F_ema``, ``E_ema`` follow with ``beta = 0.999``; they translate and sample.

Two switches turn single parts of it back into StarGAN's, for ablations:

* ``adv_loss='wgan-gp'``: the Wasserstein loss with the gradient penalty
  (:class:`d2gan.penalty.GradientPenalty`, weight ``lambda_gp``) instead of the non-saturating
  loss with R1. The penalty's points interpolate each fake, translated into ``y_trg``, and the
  reference image it took its domain from -- a real image of ``y_trg`` -- and it differentiates
  the output ``D_{y_trg}``. Everything else (one D update per G update, the rates) stays;
* ``style_codes=False``: the domain label instead of a style code: every style the step uses
  (latent, reference and the cycle's source style) is the one-hot vector of the domain,
  zero-padded to ``style_dim``, as StarGAN's generator reads its label. Diversity is then 0 by
  construction and references are ignored; F is unused and E trains on the style loss only.
  (``F(0, y)`` would be a learned vector per domain, but F's biases start at 0 and learn at
  ``f_lr``, 100x slower than G: every domain would start as the same code.)

Adam(1e-4, betas (0, 0.99), weight decay 1e-4) for G, E and D; F at ``f_lr = 1e-6``. He
initialisation (fan-in), zero biases.

Deviation: the reference draws reference images from a second data loader (and a second image
of the same domain for ``s2``); here they come from the same batch -- a shuffled copy of it, and
for each reference another image of its domain in the batch (itself if it is the only one).
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd

from ..losses import get_loss
from ..models.starganv2 import (StarGANv2Discriminator, StarGANv2Generator, StarGANv2Mapping,
                                StarGANv2StyleEncoder)
from ..penalty import GradientPenalty, R1Penalty
from ..registry import register_recipe
from ..train.adam import ADAM
from ..train.ema import update_ema
from ..train.step import Step


#: The adversarial losses of :class:`StarGANv2Step`: the reference's, and StarGAN's (ablation).
ADV_LOSSES = ('non-saturating', 'wgan-gp')


def _l1(x, y):
    """Mean absolute difference per example, summed over the batch (the step divides by N)."""
    return nd.abs(x - y).reshape((x.shape[0], -1)).mean(axis=1).sum()


def reference_indices(y, rng):
    """``(ref, ref2)``: for each example a reference (a permutation of the batch) and a second
    image of the reference's domain (another one where the batch has it)."""
    y = np.asarray(y).astype(np.int64)
    ref = rng.permutation(len(y))
    ref2 = np.empty_like(ref)
    for i, j in enumerate(ref):
        same = np.flatnonzero((y == y[j]) & (np.arange(len(y)) != j))
        ref2[i] = rng.choice(same) if len(same) else j
    return ref, ref2


class StarGANv2Step(Step):
    """One StarGAN v2 iteration (module docstring). ``make_nets()`` returns fresh
    ``{'G', 'F', 'E'}`` (called twice: the trained networks and their moving averages)."""

    def __init__(self, make_nets, net_D, num_domains, latent_dim, lambda_reg=1.0,
                 lambda_sty=1.0, lambda_ds=1.0, lambda_cyc=1.0, ds_iter=100000, lr=1e-4,
                 f_lr=1e-6, betas=(0.0, 0.99), weight_decay=1e-4, ema_beta=0.999,
                 adv_loss='non-saturating', lambda_gp=10.0, style_codes=True, devices=None,
                 hybridize=True):
        if adv_loss not in ADV_LOSSES:
            raise ValueError(f'adv_loss must be one of {", ".join(ADV_LOSSES)}, got '
                             f'{adv_loss!r}')
        super().__init__(devices)
        nets, emas = make_nets(), make_nets()
        self.style_dim = nets['F'].style_dim
        if not style_codes and num_domains > self.style_dim:
            raise ValueError(f'style_codes=False writes the one-hot domain label into the style '
                             f'code: num_domains ({num_domains}) must be <= style_dim '
                             f'({self.style_dim})')
        self.G, self.F, self.E, self.D = nets['G'], nets['F'], nets['E'], net_D
        self.G_ema, self.F_ema, self.E_ema = emas['G'], emas['F'], emas['E']
        init = mx.init.MSRAPrelu(factor_type='in', slope=0)    # kaiming_normal_, fan_in
        for net in (self.G, self.F, self.E, self.D, self.G_ema, self.F_ema, self.E_ema):
            net.initialize(init, ctx=self.devices)
        self.pairs = [(self.G_ema, self.G), (self.F_ema, self.F), (self.E_ema, self.E)]
        for ema, net in self.pairs:
            ema.collect_params().setattr('grad_req', 'null')
            update_ema(ema, net, 0.0)
        self.networks = {'G': self.G, 'F': self.F, 'E': self.E, 'D': self.D,
                         'G_ema': self.G_ema, 'F_ema': self.F_ema, 'E_ema': self.E_ema}

        def adam(net, rate):
            return gluon.Trainer(net.collect_params(), ADAM,
                                 {'learning_rate': rate, 'beta1': betas[0], 'beta2': betas[1],
                                  'epsilon': 1e-8, 'wd': weight_decay},
                                 update_on_kvstore=False)

        self.trainers = {'G': adam(self.G, lr), 'F': adam(self.F, f_lr), 'E': adam(self.E, lr),
                         'D': adam(self.D, lr)}
        self.num_domains, self.latent_dim = num_domains, latent_dim
        self.adv_loss, self.style_codes = adv_loss, style_codes
        if adv_loss == 'wgan-gp':
            self.loss, self.r1 = get_loss('wgan'), None
            self.gp = GradientPenalty(lambda_gp)
        else:
            self.loss = get_loss('vanilla')              # non-saturating, BCE with logits
            self.r1 = R1Penalty(gamma=lambda_reg) if lambda_reg else None
            self.gp = None
        self.lambda_sty, self.lambda_cyc = lambda_sty, lambda_cyc
        self.lambda_ds_initial, self.ds_iter = lambda_ds, ds_iter
        self.ema_beta, self.iteration, self.sample_data = ema_beta, 0, None
        if hybridize:
            self.hybridize()

    @property
    def lambda_ds(self):
        """The diversity weight of the current iteration (linear decay to 0)."""
        if not self.ds_iter:
            return self.lambda_ds_initial
        return self.lambda_ds_initial * max(0.0, 1.0 - self.iteration / self.ds_iter)

    # -- one iteration -----------------------------------------------------------------------
    def _styles(self, source, y_trg, latent):
        """``F(z, y_trg)`` (latent-guided) or ``E(x_ref, y_trg)`` (reference-guided);
        the domain label for either without style codes."""
        if not self.style_codes:
            return self.domain_codes(y_trg)
        return self.F(source, y_trg) if latent else self.E(source, y_trg)

    def domain_codes(self, y):
        """The ``style_codes=False`` ablation's style: the one-hot domain label, zero-padded
        to ``style_dim``."""
        return nd.one_hot(y, self.style_dim)

    def _d_step(self, xs, ys, y_trgs, sources, x_refs):
        """One discriminator update; ``sources``: per device ``(latent?, z or x_ref)``;
        ``x_refs``: real images of the target domains (the WGAN-GP ablation's penalty)."""
        with autograd.predict_mode():
            fakes = [self.G(x, self._styles(src, yt, latent)).detach()
                     for x, yt, (latent, src) in zip(xs, y_trgs, sources)]
        with autograd.record():
            losses = [self.loss.d_loss(self.D(x, y), self.D(f, yt)).sum()
                      for x, y, f, yt in zip(xs, ys, fakes, y_trgs)]
        self.backward(losses, self.trainers['D'])
        if self.r1:
            penalties = [self.r1(self.D, x.detach(), labels=y) for x, y in zip(xs, ys)]
        elif self.gp:
            penalties = [self.gp(self.D, r, f, labels=yt)
                         for r, f, yt in zip(x_refs, fakes, y_trgs)]
        else:
            penalties = []
        self.trainers['D'].step(sum(x.shape[0] for x in xs))
        return losses, penalties

    def _g_step(self, xs, ys, y_trgs, sources, sources2, latent):
        """One generator update (latent-guided: G, F and E step; reference-guided: G only)."""
        terms = {'adv': [], 'sty': [], 'ds': [], 'cyc': []}
        losses = []
        updated = ('G', 'F', 'E') if self.style_codes else ('G', 'E')  # F unused without codes
        updated = updated if latent else ('G',)
        with self.only_updating(*updated):
            with autograd.record():
                for x, y, yt, src, src2 in zip(xs, ys, y_trgs, sources, sources2):
                    s = self._styles(src, yt, latent)
                    fake = self.G(x, s)
                    adv = self.loss.g_loss(self.D(fake, yt)).sum()
                    sty = _l1(self.E(fake, yt), s)
                    fake2 = self.G(x, self._styles(src2, yt, latent)).detach()
                    ds = _l1(fake, fake2)
                    cyc = _l1(self.G(fake, self._styles(x, y, latent=False)), x)
                    losses.append(adv + self.lambda_sty * sty - self.lambda_ds * ds
                                  + self.lambda_cyc * cyc)
                    for key, value in (('adv', adv), ('sty', sty), ('ds', ds), ('cyc', cyc)):
                        terms[key].append(value)
            self.backward(losses, self.trainers['G'])
        n = sum(x.shape[0] for x in xs)
        for name in updated:
            self.trainers[name].step(n)
        return terms

    def train_step(self, batch):
        X, y = batch
        X = X if isinstance(X, nd.NDArray) else nd.array(X)
        y_np = y.asnumpy() if isinstance(y, nd.NDArray) else np.asarray(y)
        if y_np.min() < 0 or y_np.max() >= self.num_domains:
            raise ValueError(f'domain labels must be in [0, {self.num_domains}), got '
                             f'{int(y_np.min())}..{int(y_np.max())}: build the recipe with '
                             f'num_domains={int(y_np.max()) + 1}')
        n = X.shape[0]
        seed = int(nd.random.randint(0, 2 ** 31 - 1, shape=(1,)).asscalar())
        ref, ref2 = reference_indices(y_np, np.random.default_rng(seed))
        y_trg = y_np[ref]
        xs, ys = self.split(X), self.split(y_np.astype(np.float32))
        y_trgs = self.split(y_trg.astype(np.float32))
        x_refs, x_refs2 = self.split(X.asnumpy()[ref]), self.split(X.asnumpy()[ref2])
        zs = [nd.random.normal(shape=(k, self.latent_dim), ctx=d) for k, d in self.shares(n)]
        zs2 = [nd.random.normal(shape=(k, self.latent_dim), ctx=d) for k, d in self.shares(n)]
        d_lat, pen_lat = self._d_step(xs, ys, y_trgs, [(True, z) for z in zs], x_refs)
        d_ref, pen_ref = self._d_step(xs, ys, y_trgs, [(False, r) for r in x_refs], x_refs)
        g_lat = self._g_step(xs, ys, y_trgs, zs, zs2, latent=True)
        g_ref = self._g_step(xs, ys, y_trgs, x_refs, x_refs2, latent=False)
        for ema, net in self.pairs:
            update_ema(ema, net, self.ema_beta)
        logs = {'loss_D_latent': self._mean(d_lat, n), 'loss_D_ref': self._mean(d_ref, n),
                'loss_G_latent': self._mean(g_lat['adv'], n),
                'loss_G_ref': self._mean(g_ref['adv'], n),
                'sty': self._mean(g_lat['sty'], n), 'ds': self._mean(g_lat['ds'], n),
                'cyc': self._mean(g_lat['cyc'], n),
                'lambda_ds': nd.array([self.lambda_ds], ctx=self.devices[0])}
        if pen_lat:                                    # R1, or the ablation's WGAN-GP penalty
            logs['r1' if self.r1 else 'gp'] = self._mean(pen_lat + pen_ref, 2 * n)
        self.iteration += 1
        return logs

    def _mean(self, values, n):
        return sum(v.detach().as_in_context(self.devices[0]) for v in values) / n

    # -- translation and sampling ------------------------------------------------------------
    def translate(self, X, y_trg, z=None, reference=None):
        """``G_ema(X, s)`` with ``s = F_ema(z, y_trg)`` (``z`` given or drawn) or, with
        ``reference`` images, ``s = E_ema(reference, y_trg)``."""
        X = X if isinstance(X, nd.NDArray) else nd.array(X)
        device = self.devices[0]
        y_trg = nd.array(np.broadcast_to(np.asarray(y_trg), (X.shape[0],)), ctx=device)
        with autograd.predict_mode():
            if not self.style_codes:
                s = self.domain_codes(y_trg)
            elif reference is not None:
                s = self.E_ema(nd.array(reference, ctx=device), y_trg)
            else:
                if z is None:
                    z = nd.random.normal(shape=(X.shape[0], self.latent_dim), ctx=device)
                s = self.F_ema(nd.array(z, ctx=device), y_trg)
            return self.G_ema(X.as_in_context(device), s)

    def set_sample_data(self, X, y):
        """Source images (and their domains) that :meth:`sample` translates; checkpointed."""
        X = X.asnumpy() if isinstance(X, nd.NDArray) else np.asarray(X, np.float32)
        if not len(X):
            raise ValueError('set_sample_data needs at least one image')
        self.sample_data = (X, np.asarray(y))
        return self

    def sample(self, num, seed=0):
        """A grid with one row per domain plus the sources on top: ``k = max(1, num //
        (num_domains + 1))`` source images, each translated (latent-guided, ``z`` from
        ``seed``) into every domain. Show it with ``nrow=k``."""
        if self.sample_data is None:
            raise ValueError('StarGANv2Step.sample translates images: call '
                             'step.set_sample_data(X, y) first')
        k = max(1, num // (self.num_domains + 1))
        X = self.sample_data[0][np.arange(k) % len(self.sample_data[0])]
        z = np.random.default_rng(seed).standard_normal((k, self.latent_dim)).astype('float32')
        rows = [nd.array(X, ctx=self.devices[0])]
        rows += [self.translate(X, d, z=z) for d in range(self.num_domains)]
        return nd.concat(*rows, dim=0)

    # -- checkpointed state beyond networks and trainers ---------------------------------------
    def state_dict(self):
        state = {'iteration': np.array([self.iteration], np.float64)}
        if self.sample_data is not None:
            state.update(sample_X=self.sample_data[0], sample_y=self.sample_data[1])
        return state

    def load_state_dict(self, state):
        self.iteration = int(state['iteration'][0])
        if 'sample_X' in state:
            self.set_sample_data(state['sample_X'], state['sample_y'])


@register_recipe('starganv2', batch_kind='labelled')
def starganv2(image_size=256, channels=3, num_domains=2, style_dim=64, latent_dim=16,
              max_conv_dim=512, dim_in=None, hidden_dim=512, w_hpf=0, lambda_reg=1.0,
              lambda_sty=1.0, lambda_ds=1.0, lambda_cyc=1.0, ds_iter=100000, lr=1e-4,
              f_lr=1e-6, weight_decay=1e-4, ema_beta=0.999, adv_loss='non-saturating',
              lambda_gp=10.0, style_codes=True, devices=None, hybridize=True):
    """The reference's training (``core/solver.py``) at its default settings; networks at the
    reference's widths unless ``dim_in`` / ``max_conv_dim`` / ``hidden_dim`` make them
    CPU-sized. AFHQ: ``num_domains=3, lambda_ds=2``; CelebA-HQ's ``w_hpf=1`` needs face masks
    d2gan does not ship (:mod:`d2gan.models.starganv2`). ``adv_loss='wgan-gp'`` and
    ``style_codes=False`` are ablations (:class:`StarGANv2Step`)."""
    if w_hpf:
        raise ValueError('w_hpf > 0 needs the reference\'s face-landmark masks (FAN), which '
                         'd2gan does not ship: train with w_hpf=0')

    def make_nets():
        return {'G': StarGANv2Generator(image_size, style_dim, max_conv_dim, w_hpf, dim_in,
                                        channels),
                'F': StarGANv2Mapping(latent_dim, style_dim, num_domains, hidden_dim),
                'E': StarGANv2StyleEncoder(image_size, style_dim, num_domains, max_conv_dim,
                                           dim_in, channels)}

    net_D = StarGANv2Discriminator(image_size, num_domains, max_conv_dim, dim_in, channels)
    return StarGANv2Step(make_nets, net_D, num_domains, latent_dim, lambda_reg=lambda_reg,
                         lambda_sty=lambda_sty, lambda_ds=lambda_ds, lambda_cyc=lambda_cyc,
                         ds_iter=ds_iter, lr=lr, f_lr=f_lr, weight_decay=weight_decay,
                         ema_beta=ema_beta, adv_loss=adv_loss, lambda_gp=lambda_gp,
                         style_codes=style_codes, devices=devices, hybridize=hybridize)


__all__ = ['StarGANv2Step', 'reference_indices', 'starganv2']
