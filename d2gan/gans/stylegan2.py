"""StyleGAN2 training (Karras et al., 2020), as ``training/loss.py`` and ``training_loop.py`` of
NVlabs/stylegan2-ada-pytorch: :class:`StyleGAN2Step` and the recipe ``stylegan2``.

With ``softplus(t) = log(1 + e^t)``, latents ``z ~ N(0, I)`` mapped to ``ws`` (style mixing:
with probability 0.9 the latents after a random cut-off come from a second ``z``):

* G: ``min softplus(-D(G(ws)))``; every ``pl_interval`` steps also the path length penalty
  (:mod:`d2gan.gans.path_length`) on half the batch, times the interval;
* D: ``min softplus(D(G(ws))) + softplus(-D(x))``; every ``r1_interval`` steps also R1,
  ``gamma / 2 * ||grad_x D(x)||^2`` times the interval (:mod:`d2gan.penalty`, exact);
* lazy regularisation runs as separate optimiser steps, so Adam's rate and betas are adjusted
  by ``c = k / (k + 1)`` (``lr * c``, ``beta ** c``) as the reference does;
* ``G_ema`` follows G with ``beta = 0.5 ** (batch / h)``, a half-life of
  ``h = min(ema_nimg, ema_rampup * images seen)`` images (the reference's ramp-up, on in its
  ``auto``, ``cifar`` and small-data configs: without it a short run samples from a G_ema that
  still remembers the random initialisation); ``G_ema`` is the generator that samples.
"""
import mxnet as mx
from mxnet import autograd, gluon, nd

from ..models.style_mixing import style_mixing
from ..models.stylegan2 import StyleGAN2Discriminator, StyleGAN2Generator
from ..nn.equalized import check_minibatch_groups
from ..penalty import R1Penalty
from ..registry import register_recipe
from ..train.adam import ADAM
from ..train.ema import update_ema
from ..train.step import Step, split_sizes
from .path_length import PathLengthPenalty


def _softplus(x):
    return nd.Activation(x, act_type='softrelu')


def lazy_adam(params, lr, betas, interval):
    """Adam for a network regularised every ``interval`` steps (the reference's ``c``)."""
    c = interval / (interval + 1) if interval else 1.0
    return gluon.Trainer(params, ADAM, {'learning_rate': lr * c, 'beta1': betas[0] ** c,
                                          'beta2': betas[1] ** c, 'epsilon': 1e-8},
                         update_on_kvstore=False)


class StyleGAN2Step(Step):
    """One StyleGAN2 iteration: G main (+ path length), D main (+ R1), EMA of G."""

    # Dynamic graph memory: the synthesis network runs at two batch sizes (the path-length
    # batch is half the main one), and with static memory it gained nothing (0.99x images/s at
    # the chapter's setting, 0.98x at the paper's) while its peak memory grew from 686 to 981 MiB
    # and from 6.2 to 10.0 GiB (benchmarks/static_alloc.py, results/static_alloc*.json).
    graph_flags = {'static_alloc': False}

    def __init__(self, make_G, net_D, lr=0.0025, betas=(0.0, 0.99), r1_gamma=0.0032,
                 r1_interval=16, pl_weight=2.0, pl_interval=4, pl_batch_shrink=2,
                 style_mixing=0.9, ema_nimg=10000, ema_rampup=0.05, devices=None,
                 hybridize=True):
        super().__init__(devices)
        self.net_G, self.net_D, self.G_ema = make_G(), net_D, make_G()
        for net in (self.net_G, self.net_D, self.G_ema):
            net.initialize(ctx=self.devices)
        self.G_ema.collect_params().setattr('grad_req', 'null')
        update_ema(self.G_ema, self.net_G, 0.0)
        self.networks = {'G': self.net_G, 'D': self.net_D, 'G_ema': self.G_ema}
        self.trainers = {
            'G': lazy_adam(self.net_G.collect_params(), lr, betas,
                           pl_interval if pl_weight else 0),
            'D': lazy_adam(self.net_D.collect_params(), lr, betas,
                           r1_interval if r1_gamma else 0)}
        self.latent_dim, self.num_ws = self.net_G.z_dim, self.net_G.num_ws
        self.r1_gamma, self.r1_interval = r1_gamma, r1_interval
        self.pl_interval, self.pl_batch_shrink = pl_interval, pl_batch_shrink
        self.path_length = PathLengthPenalty(pl_weight) if pl_weight else None
        # one instance, so that it keeps its hybridized graph (a new one per R1 step built and
        # hybridized the graph again)
        self.r1 = R1Penalty(gamma=r1_gamma * r1_interval) if r1_gamma else None
        self.style_mixing, self.ema_nimg, self.ema_rampup = style_mixing, ema_nimg, ema_rampup
        self.iteration = self.images_seen = 0
        self.last = {}          # the lazy terms' latest values, reported every iteration
        if hybridize:
            self.hybridize()   # G and G_ema are plain Blocks: this reaches mapping and synthesis

    # -- latents -------------------------------------------------------------------------------
    def mixed_ws(self, n, device):
        """``ws`` of ``n`` fresh latents, style-mixed with probability ``style_mixing``."""
        ws = self.net_G.map(nd.random.normal(shape=(n, self.latent_dim), ctx=device))
        if self.style_mixing and float(nd.random.uniform().asscalar()) < self.style_mixing:
            cut = int(nd.random.randint(1, self.num_ws, shape=(1,)).asscalar())
            other = self.net_G.map(nd.random.normal(shape=(n, self.latent_dim), ctx=device))
            ws = nd.concat(ws[:, :cut], other[:, cut:], dim=1)
        return ws

    # -- one iteration ---------------------------------------------------------------------------
    def train_step(self, batch):
        X = batch if isinstance(batch, nd.NDArray) else nd.array(batch)
        n = X.shape[0]
        check_minibatch_groups(self.net_D, split_sizes(n, len(self.devices)))
        reals = self.split(X)
        shares = self.shares(n)
        logs = {}
        with self.only_updating('G'):                                    # G main
            with autograd.record():
                g_losses = [_softplus(-self.net_D(self.net_G.synthesis(self.mixed_ws(k, d)))).sum()
                            for k, d in shares]
            self.backward(g_losses, self.trainers['G'])
        self.trainers['G'].step(n)
        logs['loss_G'] = self._mean(g_losses, n)
        if self.path_length is not None and self.iteration % self.pl_interval == 0:
            m = max(n // self.pl_batch_shrink, 1)
            with autograd.record():                                     # G regularisation
                ws = self.mixed_ws(m, self.devices[0])
                penalty, lengths = self.path_length(self.net_G.synthesis, ws,
                                                    (m, self.net_G.synthesis.img_channels,
                                                     self.net_G.synthesis.resolution,
                                                     self.net_G.synthesis.resolution))
                total = penalty * self.pl_interval
            total.backward()
            # layers the penalty does not reach (the ToRGB biases) are skipped, as PyTorch's
            # Adam skips parameters without a gradient in the reference
            self.trainers['G'].step(1, ignore_stale_grad=True)
            self.last['path_length'] = lengths.mean()
        with autograd.predict_mode():
            fakes = [self.net_G.synthesis(self.mixed_ws(k, d)).detach() for k, d in shares]
        with autograd.record():                                         # D main
            d_losses = [(_softplus(self.net_D(f)) + _softplus(-self.net_D(x))).sum()
                        for f, x in zip(fakes, reals)]
        self.backward(d_losses, self.trainers['D'])
        self.trainers['D'].step(n)
        logs['loss_D'] = self._mean(d_losses, n)
        if self.r1_gamma and self.iteration % self.r1_interval == 0:     # D regularisation
            for p in self.net_D.collect_params().values():
                if p.grad_req != 'null':
                    for grad in p.list_grad():
                        grad[:] = 0
            self.last['r1'] = sum(self.r1(self.net_D, x).as_in_context(self.devices[0])
                                  for x in reals) / n
            self.trainers['D'].step(n, ignore_stale_grad=True)
        logs.update(self.last)
        self.images_seen += n
        update_ema(self.G_ema, self.net_G, self.ema_beta(n))
        self.iteration += 1
        return logs

    def ema_beta(self, n):
        """The EMA decay after a batch of ``n``: half-life ``ema_nimg`` images, ramped up."""
        half_life = self.ema_nimg
        if self.ema_rampup:
            half_life = min(half_life, self.images_seen * self.ema_rampup)
        return 0.5 ** (n / max(half_life, 1e-8))

    def _mean(self, values, n):
        return sum(v.detach().as_in_context(self.devices[0]) for v in values) / n

    # -- sampling and state ----------------------------------------------------------------------
    def sample(self, num, seed=0, truncation_psi=1.0):
        """``num`` images of ``G_ema`` from fixed latents and noise (the same ``seed``, the
        same images)."""
        z = self.noise(num, self.latent_dim, seed)
        mx.random.seed(seed)       # the per-layer noise; the loop reseeds every iteration
        with autograd.predict_mode():
            return self.G_ema(z, truncation_psi)

    def state_dict(self):
        state = {'iteration': mx.nd.array([self.iteration]).asnumpy(),
                 'images_seen': mx.nd.array([self.images_seen], dtype='int64').asnumpy()}
        if self.path_length is not None:
            state.update(self.path_length.state_dict())
        return state

    def load_state_dict(self, state):
        self.iteration = int(state['iteration'][0])
        self.images_seen = int(state['images_seen'][0])
        if self.path_length is not None:
            self.path_length.load_state_dict(state)


@register_recipe('stylegan2')
def stylegan2(image_size=32, channels=1, z_dim=128, w_dim=128, mapping_layers=8,
              channel_base=2048, channel_max=128, layer='v2', mbstd_group_size=4, lr=0.0025,
              r1_gamma=None, pl_weight=2.0, style_mixing=0.9, ema_nimg=10000, ema_rampup=0.05,
              devices=None, hybridize=True):
    """StyleGAN2 (config F's structure; the book's default widths are CPU-sized: channels
    ``min(channel_base / res, channel_max)``; config F is ``z_dim = w_dim = 512``,
    ``channel_base=32768, channel_max=512``). ``r1_gamma=None``: the reference's heuristic
    ``0.0002 * image_size^2 / batch`` for batch 64. ``ema_rampup=None`` turns the EMA ramp-up off
    (the paper's config F)."""
    gamma = 0.0002 * image_size ** 2 / 64 if r1_gamma is None else r1_gamma
    if layer == 'v1' and pl_weight:
        raise ValueError("path length regularization is written for layer='v2'; train "
                         "layer='v1' with pl_weight=0")

    def make_G():
        return StyleGAN2Generator(image_size, channels, z_dim, w_dim, mapping_layers,
                                  channel_base, channel_max, layer=layer)

    net_D = StyleGAN2Discriminator(image_size, channels, channel_base, channel_max,
                                   mbstd_group_size)
    return StyleGAN2Step(make_G, net_D, lr=lr, r1_gamma=gamma, pl_weight=pl_weight,
                         style_mixing=style_mixing, ema_nimg=ema_nimg, ema_rampup=ema_rampup,
                         devices=devices,
                         hybridize=hybridize)


__all__ = ['StyleGAN2Step', 'lazy_adam', 'style_mixing', 'stylegan2']
