"""PyTorch twins of d2gan's DCGAN-family, cGAN, Pix2Pix and CycleGAN training iterations
(issue #17).

Each twin builds the networks of d2gan's recipe (``d2gan.build_gan(model, **config)``, the
recipe's defaults for the keys ``config`` leaves out) in PyTorch with the same layers, widths
and biases -- the trainable parameter counts are equal -- and runs the iteration of d2gan's
step, so that ``model_table.py`` (and ``dcgan_throughput.py``, ``pix2pix_throughput.py``,
``cyclegan_throughput.py``) compare the two frameworks on the same work. This file holds the
one PyTorch definition of these networks.

* ``dcgan``, ``lsgan``, ``hinge-sn``, ``wgan-gp`` (``d2gan.gans.dcgan.GANStep``): the batch
  is cut into ``n_critic`` chunks; on each, one D update on the real chunk and a fresh fake
  (a no-grad generator pass in train mode), WGAN-GP adding its penalty on interpolates by real
  double back-propagation (d2gan computes the same gradients with a hand-built input-gradient
  graph, about the same work); then one G update on fresh noise of the last chunk's size.
  Spectral norm (hinge-sn) is ``torch.nn.utils.parametrizations.spectral_norm``: one power
  iteration per training forward, back-propagating through sigma with u and v held constant,
  as d2gan's ``SNConv2D`` (PyTorch keeps v where d2gan keeps u: the same two matrix-vector
  products per forward).
* ``cgan`` (``d2gan.gans.cgan.CGANStep``): the same game with one-hot labels fed to G (concat
  with z) and D (constant label maps stacked on the image); the fakes use the batch's labels.
* ``pix2pix`` (``Pix2PixStep``): ``fake = G(a)``; a D update on the real pair and a fake pair
  from the image pool (d2gan's default 50); a G update on GAN + lambda_l1 * L1 through the D
  just updated.
* ``cyclegan`` (``CycleGANStep``): one G update over both generators (LSGAN x2 + cycle +
  identity), then one D update over both discriminators on fakes from two image pools of 50.

The image pool is junyanz's ``ImagePool`` as ``d2gan/image_pool.py`` states it (the same seeded
NumPy choices). As in d2gan (and the other twin files) the generator update also
back-propagates into D's weights (neither side turns D's gradients off); D's gradients are
cleared before its own update. Losses are per-example means summed and divided by the batch,
as d2gan's ``Trainer.step(n)``. Initialisation is d2gan's DCGAN normal scheme (it does not
change the work, only the numbers).

    python benchmarks/torch_twins_dcgan.py '{"model": "wgan-gp", "setting": "chapter",
                                             "iters": 1, "warmup": 1, "threads": 1}'
    python benchmarks/torch_twins_dcgan.py --list

Instead of ``setting``, a payload may give ``config`` (recipe keyword arguments) and ``batch``
(images per iteration) itself; the throughput scripts do. The last stdout line is one JSON
object (images/s, CPU s per iteration, torch version, trainable parameters per network under
d2gan's ``step.networks`` keys).
"""
import itertools
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_settings import SETTINGS  # noqa: E402
from torch_frozen import frozen  # noqa: E402

_DCGAN = dict(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=2e-4, beta1=0.5,
              beta2=0.999, loss='vanilla', norm='batch', spectral_norm=False, n_critic=1,
              gp_weight=None)
# d2gan's recipe defaults (RECIPES.parameters(model), devices/hybridize left out); the DCGAN
# family's fixed choices (loss, spectral norm) are written in as the recipes hard-code them
DEFAULTS = {
    'dcgan': _DCGAN,
    'lsgan': dict(_DCGAN, loss='lsgan'),
    'hinge-sn': dict(_DCGAN, loss='hinge', norm='none', spectral_norm=True),
    'wgan-gp': dict(_DCGAN, loss='wgan', lr=1e-4, beta1=0.0, beta2=0.9, gp_weight=10.0,
                    n_critic=5, norm='none'),
    'cgan': dict(image_size=32, channels=1, num_classes=10, latent_dim=100, ngf=64, ndf=64,
                 embed_dim=None, loss='vanilla', lr=2e-4, beta1=0.5),
    'pix2pix': dict(image_size=256, in_channels=3, out_channels=3, ngf=64, ndf=64,
                    net_D='patchgan', n_layers=3, norm='batch', dropout=True, lambda_l1=100.0,
                    lambda_gan=1.0, loss='vanilla', pool_size=50, pool_seed=0, lr=2e-4,
                    beta1=0.5),
    'cyclegan': dict(image_size=256, channels=3, ngf=64, ndf=64, n_blocks=None, n_layers=3,
                     norm='instance', lambda_A=10.0, lambda_B=10.0, lambda_identity=0.5,
                     loss='lsgan', pool_size=50, pool_seed=0, lr=2e-4, beta1=0.5),
}
# recipe arguments that change neither the networks nor the iteration
_IGNORED = {'test_mode', 'direction', 'n_epochs', 'n_epochs_decay', 'devices', 'hybridize'}


# ---------------------------------------------------------------------------------------------
# Losses: d2gan.losses, one value per example (patch outputs averaged per image).

def per_example(x):
    return x.reshape(x.shape[0], -1).mean(1) if x.dim() > 1 else x


LOSSES = {  # name: (d_loss(real_out, fake_out), g_loss(fake_out))
    'vanilla': (lambda r, f: per_example(F.softplus(-r) + F.softplus(f)),
                lambda f: per_example(F.softplus(-f))),
    'lsgan': (lambda r, f: per_example(0.5 * (r - 1) ** 2) + per_example(0.5 * f ** 2),
              lambda f: per_example(0.5 * (f - 1) ** 2)),
    'wgan': (lambda r, f: per_example(f) - per_example(r), lambda f: -per_example(f)),
    'hinge': (lambda r, f: per_example(F.relu(1 - r)) + per_example(F.relu(1 + f)),
              lambda f: -per_example(f)),
}


def gradient_penalty(net_D, real, fake, weight):
    """WGAN-GP summed over the batch: ``weight * (||grad D(x_hat)|| - 1)^2`` on interpolates,
    by double back-propagation (``create_graph=True``)."""
    eps = torch.rand(real.shape[0], 1, 1, 1)
    x = (eps * real + (1 - eps) * fake.detach()).requires_grad_(True)
    grad, = torch.autograd.grad(net_D(x).sum(), x, create_graph=True)
    return weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).sum()


# ---------------------------------------------------------------------------------------------
# DCGAN and cGAN networks (d2gan.models.dcgan, d2gan.models.cgan).

class ChannelLayerNorm(nn.Module):
    """Gluon's ``LayerNorm(axis=1)``: every pixel normalised over its channels."""

    def __init__(self, c):
        super().__init__()
        self.norm = nn.LayerNorm(c)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def dcgan_norm(kind, c):
    return {'batch': lambda: nn.BatchNorm2d(c),
            'instance': lambda: nn.InstanceNorm2d(c, affine=True),
            'layer': lambda: ChannelLayerNorm(c),
            'none': lambda: None}[kind]()


def num_doublings(image_size):
    k = math.log2(image_size)
    if image_size < 16 or k != int(k):
        raise ValueError(f'DCGAN needs a power-of-two image_size >= 16, got {image_size}')
    return int(k) - 2


class DCGANGenerator(nn.Sequential):
    """z ``(N, latent_dim)`` -> image ``(N, channels, S, S)``: 4x4, then k-2 doublings."""

    def __init__(self, latent_dim, channels, image_size, ngf):
        n = num_doublings(image_size)
        w = ngf * 2 ** (n - 1)
        layers = [nn.ConvTranspose2d(latent_dim, w, 4, 1, 0, bias=False), nn.BatchNorm2d(w),
                  nn.ReLU(True)]
        for _ in range(n - 1):
            layers += [nn.ConvTranspose2d(w, w // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(w // 2), nn.ReLU(True)]
            w //= 2
        # d2gan's one-channel output layer owns a spare second channel (a oneDNN work-around,
        # d2gan/nn/conv_transpose.py), computed and dropped before tanh: mirrored, cost included
        super().__init__(*layers, nn.ConvTranspose2d(w, channels + (channels == 1), 4, 2, 1,
                                                     bias=False))
        self.channels = channels

    def forward(self, z):
        return torch.tanh(super().forward(z.reshape(z.shape[0], -1, 1, 1))[:, :self.channels])


class DCGANDiscriminator(nn.Sequential):
    """image -> one logit per image ``(N,)``; conv biases only without a norm (as d2gan)."""

    def __init__(self, channels, image_size, ndf, norm='batch', sn=False):
        n, bias = num_doublings(image_size), norm == 'none'

        def conv(cin, cout, stride, pad):
            layer = nn.Conv2d(cin, cout, 4, stride, pad, bias=bias)
            return spectral_norm(layer) if sn else layer
        layers, w = [conv(channels, ndf, 2, 1), nn.LeakyReLU(0.2, True)], ndf
        for _ in range(n - 1):
            norm_layer = dcgan_norm(norm, 2 * w)
            layers += [conv(w, 2 * w, 2, 1)] + ([norm_layer] if norm_layer else [])
            layers += [nn.LeakyReLU(0.2, True)]
            w *= 2
        super().__init__(*layers, conv(w, 1, 1, 0))

    def forward(self, x):
        return super().forward(x).reshape(-1)


class CGANGenerator(nn.Module):
    """``(z, y one-hot) -> image``: a DCGAN generator on ``concat(z, [embed] y)``."""

    def __init__(self, latent_dim, num_classes, channels, image_size, ngf, embed_dim):
        super().__init__()
        self.embed = nn.Linear(num_classes, embed_dim, bias=False) if embed_dim else None
        self.body = DCGANGenerator(latent_dim + (embed_dim or num_classes), channels,
                                   image_size, ngf)

    def forward(self, z, y):
        y = self.embed(y) if self.embed is not None else y
        return self.body(torch.cat([z, y], 1))


class CGANDiscriminator(nn.Module):
    """``(image, y one-hot) -> (N,)``: label maps stacked on the image's channels."""

    def __init__(self, num_classes, channels, image_size, ndf, embed_dim):
        super().__init__()
        self.embed = nn.Linear(num_classes, embed_dim, bias=False) if embed_dim else None
        self.body = DCGANDiscriminator(channels + (embed_dim or num_classes), image_size, ndf)

    def forward(self, x, y):
        y = self.embed(y) if self.embed is not None else y
        maps = y[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        return self.body(torch.cat([x, maps], 1))


# ---------------------------------------------------------------------------------------------
# Pix2Pix and CycleGAN networks (d2gan.models.pix2pix, d2gan.models.cyclegan; junyanz's).

def norm_layer(norm, c):
    """d2gan.nn.norm: batch, instance (no affine parameters) or none."""
    return {'batch': lambda: [nn.BatchNorm2d(c)],
            'instance': lambda: [nn.InstanceNorm2d(c)],
            'none': lambda: []}[norm]()


class UnetSkipBlock(nn.Module):
    """``x -> [x, up(inner(down(x)))]``; the outermost level returns ``up(...)`` only."""

    def __init__(self, outer, inner_c, cin=None, inner=None, outermost=False, innermost=False,
                 norm='batch', dropout=False):
        super().__init__()
        self.outermost, bias = outermost, norm != 'batch'
        layers = [] if outermost else [nn.LeakyReLU(0.2, True)]
        layers += [nn.Conv2d(cin or outer, inner_c, 4, 2, 1, bias=bias)]
        if not (outermost or innermost):
            layers += norm_layer(norm, inner_c)
        layers += [inner] if inner is not None else []
        layers += [nn.ReLU(True), nn.ConvTranspose2d(inner_c if innermost else 2 * inner_c,
                                                     outer, 4, 2, 1, bias=outermost or bias)]
        if outermost:
            layers += [nn.Tanh()]
        else:
            layers += norm_layer(norm, outer) + ([nn.Dropout(0.5)] if dropout else [])
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def unet_generator(cin, cout, num_downs, ngf, norm='batch', dropout=True):
    block = UnetSkipBlock(8 * ngf, 8 * ngf, innermost=True, norm=norm)
    for _ in range(num_downs - 5):
        block = UnetSkipBlock(8 * ngf, 8 * ngf, inner=block, norm=norm, dropout=dropout)
    for k in (4, 2, 1):
        block = UnetSkipBlock(k * ngf, 2 * k * ngf, inner=block, norm=norm)
    return UnetSkipBlock(cout, ngf, cin=cin, inner=block, outermost=True, norm=norm)


def patch_discriminator(cin, ndf, n_layers=3, norm='batch'):
    """PatchGAN (70x70 at ``n_layers = 3``): ``(N, cin, H, W) -> (N, 1, H', W')``."""
    layers, w = [nn.Conv2d(cin, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)], ndf
    for k in range(1, n_layers + 1):
        out = ndf * min(2 ** k, 8)
        layers += [nn.Conv2d(w, out, 4, 2 if k < n_layers else 1, 1, bias=norm != 'batch')]
        layers += norm_layer(norm, out) + [nn.LeakyReLU(0.2, True)]
        w = out
    return nn.Sequential(*layers, nn.Conv2d(w, 1, 4, 1, 1))


def pixel_discriminator(cin, ndf, norm='batch'):
    bias = norm != 'batch'
    return nn.Sequential(nn.Conv2d(cin, ndf, 1), nn.LeakyReLU(0.2, True),
                         nn.Conv2d(ndf, 2 * ndf, 1, bias=bias), *norm_layer(norm, 2 * ndf),
                         nn.LeakyReLU(0.2, True), nn.Conv2d(2 * ndf, 1, 1, bias=bias))


class ResnetBlock(nn.Module):
    def __init__(self, c, norm):
        super().__init__()
        bias = norm != 'batch'
        self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3, bias=bias),
                                  *norm_layer(norm, c), nn.ReLU(True), nn.ReflectionPad2d(1),
                                  nn.Conv2d(c, c, 3, bias=bias), *norm_layer(norm, c))

    def forward(self, x):
        return x + self.body(x)


def resnet_generator(c, ngf, n_blocks, norm='instance'):
    """``resnet_<n>blocks``: c7s1-ngf, two stride-2 downs, n blocks at 4 ngf, two ups, c7s1-c."""
    bias = norm != 'batch'
    m = [nn.ReflectionPad2d(3), nn.Conv2d(c, ngf, 7, bias=bias), *norm_layer(norm, ngf),
         nn.ReLU(True)]
    for k in (1, 2):
        m += [nn.Conv2d(k * ngf, 2 * k * ngf, 3, 2, 1, bias=bias),
              *norm_layer(norm, 2 * k * ngf), nn.ReLU(True)]
    m += [ResnetBlock(4 * ngf, norm) for _ in range(n_blocks)]
    for k in (4, 2):
        m += [nn.ConvTranspose2d(k * ngf, k * ngf // 2, 3, 2, 1, output_padding=1, bias=bias),
              *norm_layer(norm, k * ngf // 2), nn.ReLU(True)]
    return nn.Sequential(*m, nn.ReflectionPad2d(3), nn.Conv2d(ngf, c, 7), nn.Tanh())


class ImagePool:
    """junyanz's ``ImagePool`` as d2gan's: fill up to ``pool_size``, then with probability 1/2
    swap each image for a stored one (seeded NumPy choices, the same as d2gan's)."""

    def __init__(self, pool_size, seed=0):
        self.pool_size, self.rng, self.images = int(pool_size), np.random.default_rng(seed), []

    def query(self, images):
        images = images.detach()
        if self.pool_size == 0:
            return images
        out = []
        for image in images.split(1):
            image = image.clone()
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif self.rng.random() > 0.5:
                j = int(self.rng.integers(self.pool_size))
                out.append(self.images[j])
                self.images[j] = image
            else:
                out.append(image)
        return torch.cat(out, 0)


def dcgan_init(net, gain=0.02):
    """d2gan's ``dcgan_init``: weights N(0, gain), norm gammas N(1, gain), biases/betas 0."""
    for name, p in net.named_parameters():
        with torch.no_grad():
            leaf = name.rsplit('.', 1)[-1]
            if leaf == 'bias':
                p.zero_()
            elif p.dim() == 1:                                  # a norm's scale
                p.normal_(1.0, gain)
            else:                                               # weights (spectral: original)
                p.normal_(0.0, gain)


def adam(nets, cfg):
    params = itertools.chain(*(n.parameters() for n in nets))
    return torch.optim.Adam(params, cfg['lr'], betas=(cfg['beta1'], cfg.get('beta2', 0.999)))


def uniform(n, c, s):
    return torch.rand(n, c, s, s) * 2 - 1


# ---------------------------------------------------------------------------------------------
# The steps: d2gan's train_step, one twin per step class.

class GANTwin:
    """``GANStep``: ``n_critic`` D updates on slices of the batch, then one G update."""

    def __init__(self, cfg):
        if cfg['gp_weight'] and cfg['norm'] == 'batch':
            raise ValueError('wgan-gp needs a critic without batch norm')
        self.cfg = cfg
        self.G = DCGANGenerator(cfg['latent_dim'], cfg['channels'], cfg['image_size'],
                                cfg['ngf'])
        self.D = DCGANDiscriminator(cfg['channels'], cfg['image_size'], cfg['ndf'],
                                    cfg['norm'], cfg['spectral_norm'])
        self.networks = {'G': self.G, 'D': self.D}
        self.d_loss, self.g_loss = LOSSES[cfg['loss']]
        self.opt_G, self.opt_D = adam([self.G], cfg), adam([self.D], cfg)

    def batch(self, n):
        return uniform(n, self.cfg['channels'], self.cfg['image_size'])

    def fake(self, n):
        return self.G(torch.randn(n, self.cfg['latent_dim']))

    def train_step(self, X):
        chunks = X.tensor_split(self.cfg['n_critic'])      # d2gan's critic_chunks sizes
        for x in chunks:
            n = x.shape[0]
            with torch.no_grad():                          # G in train mode, not recorded
                fake = self.fake(n)
            loss = self.d_loss(self.D(x), self.D(fake)).sum()
            if self.cfg['gp_weight']:
                loss = loss + gradient_penalty(self.D, x, fake, self.cfg['gp_weight'])
            self.opt_D.zero_grad()
            (loss / n).backward()
            self.opt_D.step()
        n = chunks[-1].shape[0]
        self.opt_G.zero_grad()
        with frozen(self.D):
            (self.g_loss(self.D(self.fake(n))).sum() / n).backward()
        self.opt_G.step()


class CGANTwin(GANTwin):
    """``CGANStep``: one D and one G update, G and D conditioned on the one-hot label."""

    def __init__(self, cfg):
        self.cfg = cfg
        args = cfg['num_classes'], cfg['channels'], cfg['image_size']
        self.G = CGANGenerator(cfg['latent_dim'], *args, cfg['ngf'], cfg['embed_dim'])
        self.D = CGANDiscriminator(*args, cfg['ndf'], cfg['embed_dim'])
        self.networks = {'G': self.G, 'D': self.D}
        self.d_loss, self.g_loss = LOSSES[cfg['loss']]
        self.opt_G, self.opt_D = adam([self.G], cfg), adam([self.D], cfg)

    def batch(self, n):
        return super().batch(n), torch.randint(0, self.cfg['num_classes'], (n,))

    def train_step(self, batch):
        x, y = batch
        n, c = x.shape[0], F.one_hot(y, self.cfg['num_classes']).float()
        with torch.no_grad():
            fake = self.G(torch.randn(n, self.cfg['latent_dim']), c)
        self.opt_D.zero_grad()
        (self.d_loss(self.D(x, c), self.D(fake, c)).sum() / n).backward()
        self.opt_D.step()
        self.opt_G.zero_grad()
        fake = self.G(torch.randn(n, self.cfg['latent_dim']), c)
        with frozen(self.D):
            (self.g_loss(self.D(fake, c)).sum() / n).backward()
        self.opt_G.step()


class Pix2PixTwin:
    """``Pix2PixStep``: G(a) once; D on the real pair and a pooled fake pair; G on GAN + L1."""

    def __init__(self, cfg):
        self.cfg = cfg
        cin, cout = cfg['in_channels'], cfg['out_channels']
        num_downs = int(math.log2(cfg['image_size']))
        self.G = unet_generator(cin, cout, num_downs, cfg['ngf'], cfg['norm'], cfg['dropout'])
        if cfg['net_D'] == 'patchgan':
            self.D = patch_discriminator(cin + cout, cfg['ndf'], cfg['n_layers'], cfg['norm'])
        else:
            self.D = pixel_discriminator(cin + cout, cfg['ndf'], cfg['norm'])
        self.networks = {'G': self.G, 'D': self.D}
        self.d_loss, self.g_loss = LOSSES[cfg['loss']]
        self.pool = ImagePool(cfg['pool_size'], cfg['pool_seed'])
        self.opt_G, self.opt_D = adam([self.G], cfg), adam([self.D], cfg)

    def batch(self, n):
        s = self.cfg['image_size']
        return uniform(n, self.cfg['in_channels'], s), uniform(n, self.cfg['out_channels'], s)

    def train_step(self, batch):
        a, b = batch
        n, fake = a.shape[0], self.G(a)
        if self.cfg['lambda_gan'] > 0:
            pooled = self.pool.query(torch.cat([a, fake.detach()], 1))
            self.opt_D.zero_grad()
            (0.5 * self.d_loss(self.D(torch.cat([a, b], 1)), self.D(pooled)).sum()
             / n).backward()
            self.opt_D.step()
        with frozen(self.D):
            loss = self.cfg['lambda_l1'] * per_example((fake - b).abs()).sum()
            if self.cfg['lambda_gan'] > 0:
                loss = loss + self.cfg['lambda_gan'] * self.g_loss(
                    self.D(torch.cat([a, fake], 1))).sum()
            self.opt_G.zero_grad()
            (loss / n).backward()
        self.opt_G.step()


class CycleGANTwin:
    """``CycleGANStep``: one Adam over G_A, G_B (GAN + cycle + identity), then one over D_A,
    D_B on fakes from the pools."""

    def __init__(self, cfg):
        self.cfg = cfg
        blocks = cfg['n_blocks'] if cfg['n_blocks'] is not None else (
            9 if cfg['image_size'] >= 256 else 6)
        c = cfg['channels']
        self.G_A, self.G_B = (resnet_generator(c, cfg['ngf'], blocks, cfg['norm'])
                              for _ in range(2))
        self.D_A, self.D_B = (patch_discriminator(c, cfg['ndf'], cfg['n_layers'], cfg['norm'])
                              for _ in range(2))
        self.networks = {'G_A': self.G_A, 'G_B': self.G_B, 'D_A': self.D_A, 'D_B': self.D_B}
        self.d_loss, self.g_loss = LOSSES[cfg['loss']]
        self.g_scale = 2.0 if cfg['loss'] == 'lsgan' else 1.0   # the reference's MSE
        self.pool_A = ImagePool(cfg['pool_size'], cfg['pool_seed'])
        self.pool_B = ImagePool(cfg['pool_size'], cfg['pool_seed'] + 1)
        self.opt_G = adam([self.G_A, self.G_B], cfg)
        self.opt_D = adam([self.D_A, self.D_B], cfg)

    def batch(self, n):
        c, s = self.cfg['channels'], self.cfg['image_size']
        return uniform(n, c, s), uniform(n, c, s)

    def train_step(self, batch):
        a, b = batch
        cfg, n = self.cfg, a.shape[0]

        def l1(x, y):
            return per_example((x - y).abs()).sum()
        with frozen(self.D_A, self.D_B):
            fake_b, fake_a = self.G_A(a), self.G_B(b)
            loss = (self.g_scale * (self.g_loss(self.D_A(fake_b)).sum()
                                    + self.g_loss(self.D_B(fake_a)).sum())
                    + cfg['lambda_A'] * l1(self.G_B(fake_b), a)
                    + cfg['lambda_B'] * l1(self.G_A(fake_a), b))
            if cfg['lambda_identity'] > 0:
                loss = loss + cfg['lambda_identity'] * (cfg['lambda_B'] * l1(self.G_A(b), b)
                                                        + cfg['lambda_A'] * l1(self.G_B(a), a))
            self.opt_G.zero_grad()
            (loss / n).backward()
        self.opt_G.step()
        pooled_b, pooled_a = self.pool_B.query(fake_b), self.pool_A.query(fake_a)
        loss_D = (self.d_loss(self.D_A(b), self.D_A(pooled_b)).sum()
                  + self.d_loss(self.D_B(a), self.D_B(pooled_a)).sum())
        self.opt_D.zero_grad()
        (loss_D / n).backward()
        self.opt_D.step()


TWINS = {'dcgan': GANTwin, 'lsgan': GANTwin, 'hinge-sn': GANTwin, 'wgan-gp': GANTwin,
         'cgan': CGANTwin, 'pix2pix': Pix2PixTwin, 'cyclegan': CycleGANTwin}


def build(model, config):
    """The twin of ``d2gan.build_gan(model, **config)``, DCGAN-initialised, in train mode."""
    config = {k: v for k, v in config.items() if k not in _IGNORED}
    unknown = sorted(set(config) - set(DEFAULTS[model]))
    if unknown:
        raise ValueError(f'{model}: the twin does not mirror the option(s) {unknown}')
    twin = TWINS[model](dict(DEFAULTS[model], **config))
    for net in twin.networks.values():
        dcgan_init(net)
        net.train()
    return twin


def trainable(net):
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def run(args):
    """Time ``warmup`` + ``iters`` iterations of the payload's model; the result dict."""
    torch.set_num_threads(int(args.get('threads', 1)))
    torch.manual_seed(0)
    if 'setting' in args:
        spec = SETTINGS[args['model']][args['setting']]
        config, size = spec['config'], spec['batch']
    else:
        config, size = args.get('config', {}), args['batch']
    twin = build(args['model'], config)
    batch = twin.batch(size)
    iters, warmup = int(args.get('iters', 5)), int(args.get('warmup', 2))
    for _ in range(warmup):
        twin.train_step(batch)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(iters):
        twin.train_step(batch)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {'images_per_s': iters * size / wall, 'cpu_s_per_iter': cpu / iters,
            'version': torch.__version__,
            'params': {k: trainable(v) for k, v in twin.networks.items()}}


def main(argv):
    if argv and argv[0] == '--list':
        print('\n'.join(TWINS))
        return
    print(json.dumps(run(json.loads(argv[0]))))


if __name__ == '__main__':
    main(sys.argv[1:])
