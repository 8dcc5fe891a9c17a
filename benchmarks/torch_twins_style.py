"""PyTorch twins of d2gan's PGGAN, StyleGAN2, StarGAN v2 and U-GAT-IT, for ``model_table.py``.

Each twin builds the same networks as d2gan's recipe (the trainable parameter counts per
network are equal, printed with the timing) and runs the same training iteration as the
recipe's step (``d2gan/gans/<family>.py``): the same D and G updates, losses, optimisers, lazy
regularisation schedules and moving averages. Gradient penalties use PyTorch's double
back-propagation (``create_graph=True``), where d2gan computes the same gradients exactly with
first-order operators. Run in its own process (never next to MXNet)::

    python torch_twins_style.py '{"model": "stylegan2", "setting": "chapter", "iters": 16,
                                  "warmup": 2, "threads": 2}'
    python torch_twins_style.py --list

The last stdout line is one JSON object: ``images_per_s``, ``cpu_s_per_iter``, ``version``,
``params`` (trainable parameters per network, moving averages excluded).

Where the twins follow d2gan rather than the references: PGGAN runs at full resolution (lod 0,
no fade-in), with nearest up-sampling + 3x3 convolution and convolution + 2x2 average pooling
(the reference's fused layers are the same functions); StyleGAN2 resamples with the plain
(non-fused) ``upfirdn2d`` before the up-sampling convolution and before the strided one, and
uses PGGAN's minibatch standard deviation; StarGAN v2 draws reference images from the batch
(``reference_indices``) and, as the reference, takes R1 from the same forward pass on the reals
as the loss (d2gan's exact penalty runs its own); U-GAT-IT uses the biased variance in (Ada)ILN
(d2gan's default).
"""
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_settings import SETTINGS  # noqa: E402
from torch_frozen import frozen  # noqa: E402

SQRT2 = math.sqrt(2)

# d2gan's recipe defaults (d2gan.registry.RECIPES.parameters(model)) for the keys a setting
# leaves out; only the ones the twins read.
DEFAULTS = {
    'pggan': dict(image_size=32, channels=1, fmap_base=2048, fmap_max=128, latent_dim=None,
                  mbstd_group_size=4, lr=0.001, wgan_lambda=10.0, wgan_epsilon=0.001,
                  g_smoothing=0.999),
    'stylegan2': dict(image_size=32, channels=1, z_dim=128, w_dim=128, mapping_layers=8,
                      channel_base=2048, channel_max=128, mbstd_group_size=4, lr=0.0025,
                      r1_gamma=None, pl_weight=2.0, style_mixing=0.9, ema_nimg=10000,
                      ema_rampup=0.05),
    'starganv2': dict(image_size=256, channels=3, num_domains=2, style_dim=64, latent_dim=16,
                      max_conv_dim=512, dim_in=None, hidden_dim=512, w_hpf=0, lambda_reg=1.0,
                      lambda_sty=1.0, lambda_ds=1.0, lambda_cyc=1.0, ds_iter=100000, lr=1e-4,
                      f_lr=1e-6, weight_decay=1e-4, ema_beta=0.999),
    'ugatit': dict(image_size=256, channels=3, ngf=64, ndf=64, n_blocks=4, light=False,
                   adv_weight=1.0, cycle_weight=10.0, identity_weight=10.0, cam_weight=1000.0,
                   lr=1e-4, weight_decay=1e-4),
}


def trainable(net):
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


@torch.no_grad()
def update_ema(ema, net, beta):
    """``ema = net + beta (ema - net)`` for parameters; buffers copied (d2gan's update_ema)."""
    for e, p in zip(ema.parameters(), net.parameters()):
        e.copy_(p + (e - p) * beta)
    for e, b in zip(ema.buffers(), net.buffers()):
        e.copy_(b)


def frozen_copy(net):
    ema = copy.deepcopy(net)
    for p in ema.parameters():
        p.requires_grad_(False)
    return ema


# -- equalized learning rate (d2gan.nn.equalized) ------------------------------------------------
class EqDense(nn.Module):
    """Weight N(0, 1/lr_mult), scaled by ``lr_mult * gain / sqrt(fan_in)`` at run time."""

    def __init__(self, in_f, out_f, gain=SQRT2, lr_mult=1.0, bias=True, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_f, in_f) / lr_mult)
        self.bias = nn.Parameter(torch.full((out_f,), bias_init / lr_mult)) if bias else None
        self.scale, self.lr_mult = lr_mult * gain / math.sqrt(in_f), lr_mult

    def forward(self, x):
        b = None if self.bias is None else self.bias * self.lr_mult
        return F.linear(x.flatten(1), self.weight * self.scale, b)


class EqConv(nn.Module):
    """Equalized ``k x k`` convolution ('same' padding unless given)."""

    def __init__(self, in_c, out_c, k=3, gain=SQRT2, bias=True, stride=1, padding=None):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_c, in_c, k, k))
        self.bias = nn.Parameter(torch.zeros(out_c)) if bias else None
        self.scale = gain / math.sqrt(in_c * k * k)
        self.stride, self.padding = stride, k // 2 if padding is None else padding

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, self.bias, self.stride, self.padding)


class ScaledLReLU(nn.Module):
    def __init__(self, slope=0.2, gain=SQRT2):
        super().__init__()
        self.slope, self.gain = slope, gain

    def forward(self, x):
        return (x if self.slope == 1 else F.leaky_relu(x, self.slope)) * self.gain


def pixel_norm(x, eps=1e-8):
    return x * torch.rsqrt(x.square().mean(1, keepdim=True) + eps)


class MinibatchStdDev(nn.Module):
    """PGGAN's layer as d2gan's: example ``n`` in group ``n % (N / group)``."""

    def __init__(self, group=4, eps=1e-8):
        super().__init__()
        self.group, self.eps = group, eps

    def forward(self, x):
        n, c, h, w = x.shape
        y = x.reshape(self.group, -1, c, h, w)
        y = (y - y.mean(0)).square().mean(0).add(self.eps).sqrt().mean((1, 2, 3))
        y = y.repeat(self.group).reshape(n, 1, 1, 1).expand(n, 1, h, w)
        return torch.cat([x, y], 1)


def make_batch(kind, batch, channels, size, classes=None):
    """Random data of a recipe's batch kind (as model_table.make_batch)."""
    image = lambda: torch.rand(batch, channels, size, size) * 2 - 1  # noqa: E731
    if kind == 'images':
        return image()
    if kind == 'unpaired':
        return image(), image()
    return image(), torch.randint(0, classes, (batch,))


# == PGGAN (d2gan/models/pggan.py, d2gan/gans/pggan.py) =========================================
def feature_maps(base, cap):
    return lambda stage: min(int(base / 2.0 ** stage), cap)


class PGGANGenerator(nn.Module):
    """All levels and their ToRGB layers; runs at lod 0 (every block, the top ToRGB)."""

    def __init__(self, res, ch, base, cap, latent):
        super().__init__()
        nf, log2 = feature_maps(base, cap), int(math.log2(res))
        self.latent = latent or nf(0)
        self.blocks, self.to_rgb = nn.ModuleList(), nn.ModuleList()
        for r in range(2, log2 + 1):
            out = nf(r - 1)
            if r == 2:
                self.first = nn.ModuleDict(dict(
                    dense=EqDense(self.latent, out * 16, gain=SQRT2 / 4, bias=False),
                    conv=EqConv(out, out)))
                self.first_bias = nn.Parameter(torch.zeros(out))
                self.blocks.append(nn.Identity())
            else:
                self.blocks.append(nn.ModuleList([EqConv(nf(r - 2), out), EqConv(out, out)]))
            self.to_rgb.append(EqConv(out, ch, 1, gain=1))

    def forward(self, z):
        act = lambda t: pixel_norm(F.leaky_relu(t, 0.2))  # noqa: E731
        x = self.first.dense(pixel_norm(z)).reshape(z.shape[0], -1, 4, 4)
        x = act(self.first.conv(act(x + self.first_bias.reshape(1, -1, 1, 1))))
        for convs in list(self.blocks)[1:]:
            x = F.interpolate(x, scale_factor=2, mode='nearest')
            x = act(convs[1](act(convs[0](x))))
        return self.to_rgb[-1](x)


class PGGANDiscriminator(nn.Module):
    """From-RGB of every level; at lod 0 the top one, then every block down to 4x4."""

    def __init__(self, res, ch, base, cap, group):
        super().__init__()
        nf, log2 = feature_maps(base, cap), int(math.log2(res))
        lrelu = lambda: ScaledLReLU(0.2, 1.0)  # noqa: E731
        self.from_rgb, self.blocks = nn.ModuleList(), nn.ModuleList()
        for r in range(2, log2 + 1):
            self.from_rgb.append(nn.Sequential(EqConv(ch, nf(r - 1), 1), lrelu()))
            if r >= 3:
                self.blocks.append(nn.Sequential(   # fused_scale: pool, then activate
                    EqConv(nf(r - 1), nf(r - 1)), lrelu(), EqConv(nf(r - 1), nf(r - 2)),
                    nn.AvgPool2d(2), lrelu()))
            else:
                self.blocks.append(nn.Sequential(
                    MinibatchStdDev(group), EqConv(nf(1) + 1, nf(1)), lrelu(),
                    EqDense(nf(1) * 16, nf(0)), lrelu(), EqDense(nf(0), 1, gain=1)))

    def forward(self, x):
        x = self.from_rgb[-1](x)
        for block in reversed(self.blocks):
            x = block(x)
        return x


class PGGANTwin:
    """PGGANStep at lod 0: D (WGAN-GP + drift), G, Gs EMA; Adam(lr, (0, 0.99), 1e-8)."""
    batch_kind = 'images'

    def __init__(self, c):
        args = (c['image_size'], c['channels'], c['fmap_base'], c['fmap_max'])
        self.G = PGGANGenerator(*args, c['latent_dim'])
        self.D = PGGANDiscriminator(*args, c['mbstd_group_size'])
        self.Gs = frozen_copy(self.G)
        self.networks = {'G': self.G, 'D': self.D}
        adam = lambda net: torch.optim.Adam(net.parameters(), c['lr'], (0.0, 0.99), 1e-8)  # noqa
        self.opt_G, self.opt_D = adam(self.G), adam(self.D)
        self.c = c

    def train_step(self, X):
        n, c = X.shape[0], self.c
        with torch.no_grad():
            fake = self.G(torch.randn(n, self.G.latent))
        self.opt_D.zero_grad()                                           # D step
        real_scores = self.D(X)
        loss_D = (self.D(fake) - real_scores + c['wgan_epsilon'] * real_scores.square()).sum()
        eps = torch.rand(n, 1, 1, 1)
        x_hat = (eps * X + (1 - eps) * fake).requires_grad_(True)
        grad, = torch.autograd.grad(self.D(x_hat).sum(), x_hat, create_graph=True)
        gp = c['wgan_lambda'] * (grad.flatten(1).norm(dim=1) - 1).square().sum()
        ((loss_D + gp) / n).backward()
        self.opt_D.step()
        self.opt_G.zero_grad()                                           # G step
        with frozen(self.D):
            loss_G = -self.D(self.G(torch.randn(n, self.G.latent))).sum() / n
            loss_G.backward()
        self.opt_G.step()
        update_ema(self.Gs, self.G, c['g_smoothing'])


# == StyleGAN2 (d2gan/models/stylegan2.py, d2gan/nn/upfirdn.py, d2gan/gans/stylegan2.py) =========
class UpFirDn(nn.Module):
    """Zero-insertion up-sampling, pad (negative crops), depthwise [1,3,3,1] filter, stride."""

    def __init__(self, channels, up=1, down=1, pad=(0, 0), gain=None):
        super().__init__()
        f = torch.tensor([1.0, 3.0, 3.0, 1.0])
        f = torch.outer(f, f)
        f = f / f.sum() * (up ** 2 if gain is None else gain)
        self.register_buffer('kernel', f.flip((0, 1))[None, None].repeat(channels, 1, 1, 1))
        self.channels, self.up, self.down, self.pad = channels, up, down, pad

    def forward(self, x):
        n, c, h, w = x.shape
        if self.up > 1:
            x = x.reshape(n, c, h, 1, w, 1)
            x = F.pad(x, [0, self.up - 1, 0, 0, 0, self.up - 1])
            x = x.reshape(n, c, h * self.up, w * self.up)
        b, a = self.pad
        x = F.pad(x, [b, a, b, a])                                       # negative: crop
        return F.conv2d(x, self.kernel, stride=self.down, groups=self.channels)


class Mapping(nn.Module):
    def __init__(self, z_dim, w_dim, layers, lr_mult=0.01):
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.layers = nn.ModuleList(EqDense(dims[i], dims[i + 1], gain=1, lr_mult=lr_mult)
                                    for i in range(layers))

    def forward(self, z):
        x = z * torch.rsqrt(z.square().mean(1, keepdim=True) + 1e-8)
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2) * SQRT2
        return x


class SynthesisLayer(nn.Module):
    """Modulate, [upfirdn up x2, flipped-weight conv] or conv, demodulate, noise, bias, lrelu."""

    def __init__(self, in_c, out_c, w_dim, up=1):
        super().__init__()
        self.affine = EqDense(w_dim, in_c, gain=1, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_c, in_c, 3, 3))
        self.bias = nn.Parameter(torch.zeros(out_c))
        self.noise_strength = nn.Parameter(torch.zeros(1))
        self.up = up
        self.resample = UpFirDn(in_c, up=2, pad=(3, 2)) if up > 1 else None

    def forward(self, x, w):
        s = self.affine(w)
        x = x * s[:, :, None, None]
        if self.up > 1:
            y = F.conv2d(self.resample(x), self.weight.flip((2, 3)))
        else:
            y = F.conv2d(x, self.weight, padding=1)
        d = torch.rsqrt(s.square() @ self.weight.square().sum((2, 3)).t() + 1e-8)
        y = y * d[:, :, None, None]
        y = y + torch.randn(y.shape[0], 1, *y.shape[2:]) * self.noise_strength
        return F.leaky_relu(y + self.bias.reshape(1, -1, 1, 1), 0.2) * SQRT2


class ToRGB(nn.Module):
    def __init__(self, in_c, img_c, w_dim):
        super().__init__()
        self.affine = EqDense(w_dim, in_c, gain=1, bias_init=1)
        self.weight = nn.Parameter(torch.randn(img_c, in_c, 1, 1))
        self.bias = nn.Parameter(torch.zeros(img_c))
        self.gain = 1 / math.sqrt(in_c)

    def forward(self, x, w):
        s = self.affine(w) * self.gain
        return F.conv2d(x * s[:, :, None, None], self.weight, self.bias)


class SynthesisBlock(nn.Module):
    def __init__(self, in_c, out_c, w_dim, res, img_c):
        super().__init__()
        self.first = in_c == 0
        self.num_conv = 1 if self.first else 2
        if self.first:
            self.const = nn.Parameter(torch.randn(out_c, res, res))
        else:
            self.conv0 = SynthesisLayer(in_c, out_c, w_dim, up=2)
            self.img_up = UpFirDn(img_c, up=2, pad=(2, 1))
        self.conv1 = SynthesisLayer(out_c, out_c, w_dim)
        self.torgb = ToRGB(out_c, img_c, w_dim)

    def forward(self, x, img, ws):
        if self.first:
            x = self.conv1(self.const[None].expand(ws.shape[0], -1, -1, -1), ws[:, 0])
        else:
            x = self.conv1(self.conv0(x, ws[:, 0]), ws[:, 1])
        y = self.torgb(x, ws[:, self.num_conv])
        return x, (y if self.first else self.img_up(img) + y)


class Synthesis(nn.Module):
    def __init__(self, w_dim, res, img_c, base, cap):
        super().__init__()
        ch = lambda r: min(base // r, cap)  # noqa: E731
        self.blocks = nn.ModuleList(
            SynthesisBlock(ch(r // 2) if r > 4 else 0, ch(r), w_dim, r, img_c)
            for r in [2 ** i for i in range(2, int(math.log2(res)) + 1)])
        self.num_ws = sum(b.num_conv for b in self.blocks) + 1

    def forward(self, ws):
        x = img = None
        start = 0
        for block in self.blocks:
            x, img = block(x, img, ws[:, start:start + block.num_conv + 1])
            start += block.num_conv
        return img


class StyleGAN2Generator(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.synthesis = Synthesis(c['w_dim'], c['image_size'], c['channels'],
                                   c['channel_base'], c['channel_max'])
        self.mapping = Mapping(c['z_dim'], c['w_dim'], c['mapping_layers'])
        self.register_buffer('w_avg', torch.zeros(c['w_dim']))
        self.num_ws, self.z_dim = self.synthesis.num_ws, c['z_dim']

    def map(self, z):
        """``ws``; updates ``w_avg`` when recording (d2gan: in training mode), beta 0.995."""
        w = self.mapping(z)
        if torch.is_grad_enabled():
            with torch.no_grad():
                self.w_avg.copy_(w.mean(0) * 0.005 + self.w_avg * 0.995)
        return w[:, None].expand(-1, self.num_ws, -1)


def conv_layer(in_c, out_c, k, down=1, bias=True, act=True, gain=1.0):
    """d2gan's ``conv_layer`` chain: [FIR], equalized conv, bias, [lrelu] x gain."""
    layers, stride, pad = [], 1, k // 2
    if down > 1:
        if k > 1:                                          # pad folded into the filter, stride
            layers.append(UpFirDn(in_c, pad=(2, 2), gain=1))
            stride = down
        else:                                              # filter and subsample first
            layers.append(UpFirDn(in_c, down=down, pad=(1, 1), gain=1))
        pad = 0
    layers += [EqConv(in_c, out_c, k, gain=1, bias=bias, stride=stride, padding=pad),
               ScaledLReLU(0.2 if act else 1.0, (SQRT2 if act else 1.0) * gain)]
    return nn.Sequential(*layers)


class DBlock(nn.Module):
    def __init__(self, in_c, tmp_c, out_c, img_c):
        super().__init__()
        half = math.sqrt(0.5)
        self.fromrgb = conv_layer(img_c, tmp_c, 1) if in_c == 0 else None
        self.main = nn.Sequential(conv_layer(tmp_c, tmp_c, 3),
                                  conv_layer(tmp_c, out_c, 3, down=2, gain=half))
        self.skip = conv_layer(tmp_c, out_c, 1, down=2, bias=False, act=False, gain=half)

    def forward(self, x):
        if self.fromrgb is not None:
            x = self.fromrgb(x)
        return self.skip(x) + self.main(x)


class StyleGAN2Discriminator(nn.Module):
    def __init__(self, c):
        super().__init__()
        res, img_c = c['image_size'], c['channels']
        ch = lambda r: min(c['channel_base'] // r, c['channel_max'])  # noqa: E731
        self.blocks = nn.Sequential(*[
            DBlock(ch(r) if r < res else 0, ch(r), ch(r // 2), img_c)
            for r in [2 ** i for i in range(int(math.log2(res)), 2, -1)]])
        k = ch(4)
        self.epilogue = nn.Sequential(MinibatchStdDev(c['mbstd_group_size']),
                                      conv_layer(k + 1, k, 3), EqDense(k * 16, k, gain=1),
                                      ScaledLReLU(), EqDense(k, 1, gain=1))

    def forward(self, x):
        return self.epilogue(self.blocks(x))


class StyleGAN2Twin:
    """StyleGAN2Step: G main, path length every 4 G steps (half batch), D main, R1 every 16
    D steps, G_ema with the ramped half-life; Adam with the lazy ``c = k / (k + 1)``."""
    batch_kind = 'images'

    def __init__(self, c):
        self.c = c
        self.G, self.D = StyleGAN2Generator(c), StyleGAN2Discriminator(c)
        self.G_ema = frozen_copy(self.G)
        self.networks = {'G': self.G, 'D': self.D}
        self.r1_gamma = (0.0002 * c['image_size'] ** 2 / 64 if c['r1_gamma'] is None
                         else c['r1_gamma'])
        self.r1_interval, self.pl_interval = 16, 4
        self.opt_G = self.lazy_adam(self.G, self.pl_interval if c['pl_weight'] else 0)
        self.opt_D = self.lazy_adam(self.D, self.r1_interval if self.r1_gamma else 0)
        self.iteration = self.images_seen = 0
        self.pl_mean = 0.0

    def lazy_adam(self, net, interval):
        k = interval / (interval + 1) if interval else 1.0
        return torch.optim.Adam(net.parameters(), self.c['lr'] * k, (0.0, 0.99 ** k), 1e-8)

    def mixed_ws(self, n):
        ws = self.G.map(torch.randn(n, self.G.z_dim))
        if self.c['style_mixing'] and float(torch.rand(())) < self.c['style_mixing']:
            cut = int(torch.randint(1, self.G.num_ws, ()))
            other = self.G.map(torch.randn(n, self.G.z_dim))
            ws = torch.cat([ws[:, :cut], other[:, cut:]], 1)
        return ws

    def train_step(self, X):
        n, c, it = X.shape[0], self.c, self.iteration
        synthesis = self.G.synthesis
        self.opt_G.zero_grad()                                           # G main
        with frozen(self.D):
            F.softplus(-self.D(synthesis(self.mixed_ws(n)))).sum().div(n).backward()
        self.opt_G.step()
        if c['pl_weight'] and it % self.pl_interval == 0:                # G regularisation
            self.opt_G.zero_grad()
            m = max(n // 2, 1)
            ws = self.mixed_ws(m)
            img = synthesis(ws)
            y = torch.randn_like(img) / math.sqrt(img.shape[2] * img.shape[3])
            grad, = torch.autograd.grad((img * y).sum(), ws, create_graph=True)
            lengths = grad.square().sum(2).mean(1).sqrt()
            self.pl_mean += (float(lengths.mean()) - self.pl_mean) * 0.01
            penalty = c['pl_weight'] * (lengths - self.pl_mean).square().mean()
            (penalty * self.pl_interval).backward()
            self.opt_G.step()
        with torch.no_grad():
            fake = synthesis(self.mixed_ws(n))
        self.opt_D.zero_grad()                                           # D main
        (F.softplus(self.D(fake)) + F.softplus(-self.D(X))).sum().div(n).backward()
        self.opt_D.step()
        if self.r1_gamma and it % self.r1_interval == 0:                  # D regularisation
            self.opt_D.zero_grad()
            x = X.detach().requires_grad_(True)
            grad, = torch.autograd.grad(self.D(x).sum(), x, create_graph=True)
            r1 = 0.5 * self.r1_gamma * self.r1_interval * grad.square().sum((1, 2, 3))
            r1.sum().div(n).backward()
            self.opt_D.step()
        self.images_seen += n
        half_life = c['ema_nimg']
        if c['ema_rampup']:
            half_life = min(half_life, self.images_seen * c['ema_rampup'])
        update_ema(self.G_ema, self.G, 0.5 ** (n / max(half_life, 1e-8)))
        self.iteration += 1


# == StarGAN v2 (d2gan/models/starganv2.py, d2gan/gans/starganv2.py) ===========================
def instance_norm(x, eps=1e-5):
    return F.instance_norm(x, eps=eps)


class ResBlk(nn.Module):
    def __init__(self, dim_in, dim_out, normalize=False, downsample=False):
        super().__init__()
        main = []
        if normalize:
            main.append(nn.InstanceNorm2d(dim_in, affine=True))
        main += [nn.LeakyReLU(0.2), nn.Conv2d(dim_in, dim_in, 3, 1, 1)]
        if downsample:
            main.append(nn.AvgPool2d(2))
        if normalize:
            main.append(nn.InstanceNorm2d(dim_in, affine=True))
        main += [nn.LeakyReLU(0.2), nn.Conv2d(dim_in, dim_out, 3, 1, 1)]
        skip = [nn.Conv2d(dim_in, dim_out, 1, bias=False)] if dim_in != dim_out else []
        if downsample:
            skip.append(nn.AvgPool2d(2))
        self.main, self.skip = nn.Sequential(*main), nn.Sequential(*skip)

    def forward(self, x):
        return (self.skip(x) + self.main(x)) / SQRT2


class AdaIN(nn.Module):
    def __init__(self, style_dim, features):
        super().__init__()
        self.fc = nn.Linear(style_dim, 2 * features)

    def forward(self, x, s):
        gamma, beta = self.fc(s)[:, :, None, None].chunk(2, 1)
        return (1 + gamma) * instance_norm(x) + beta


class AdainResBlk(nn.Module):
    def __init__(self, dim_in, dim_out, style_dim, upsample=False):
        super().__init__()
        self.upsample = upsample
        self.norm1, self.norm2 = AdaIN(style_dim, dim_in), AdaIN(style_dim, dim_out)
        self.conv1 = nn.Conv2d(dim_in, dim_out, 3, 1, 1)
        self.conv2 = nn.Conv2d(dim_out, dim_out, 3, 1, 1)
        self.conv1x1 = nn.Conv2d(dim_in, dim_out, 1, bias=False) if dim_in != dim_out else None

    def _up(self, x):
        return F.interpolate(x, scale_factor=2, mode='nearest') if self.upsample else x

    def forward(self, x, s):
        h = self.conv1(self._up(F.leaky_relu(self.norm1(x, s), 0.2)))
        h = self.conv2(F.leaky_relu(self.norm2(h, s), 0.2))
        sc = self._up(x)
        if self.conv1x1 is not None:
            sc = self.conv1x1(sc)
        return (h + sc) / SQRT2


def first_width(c):
    return 2 ** 14 // c['image_size'] if c['dim_in'] is None else c['dim_in']


class StarGANv2Generator(nn.Module):
    def __init__(self, c):
        super().__init__()
        dim_in = first = first_width(c)
        encode, decode = [], []
        dim_out = dim_in
        for _ in range(int(math.log2(c['image_size'])) - 4):
            dim_out = min(dim_in * 2, c['max_conv_dim'])
            encode.append(ResBlk(dim_in, dim_out, normalize=True, downsample=True))
            decode.insert(0, AdainResBlk(dim_out, dim_in, c['style_dim'], upsample=True))
            dim_in = dim_out
        for _ in range(2):
            encode.append(ResBlk(dim_out, dim_out, normalize=True))
            decode.insert(0, AdainResBlk(dim_out, dim_out, c['style_dim']))
        self.from_rgb = nn.Conv2d(c['channels'], first, 3, 1, 1)
        self.encode, self.decode = nn.Sequential(*encode), nn.ModuleList(decode)
        self.to_rgb = nn.Sequential(nn.InstanceNorm2d(first, affine=True), nn.LeakyReLU(0.2),
                                    nn.Conv2d(first, c['channels'], 1))

    def forward(self, x, s):
        x = self.encode(self.from_rgb(x))
        for block in self.decode:
            x = block(x, s)
        return self.to_rgb(x)


def pick(out, y):
    """``out[n, y[n]]`` with every head computed (d2gan's one-hot product)."""
    return out[torch.arange(out.shape[0]), y]


class StarGANv2Mapping(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, layers = c['hidden_dim'], [nn.Linear(c['latent_dim'], c['hidden_dim']), nn.ReLU()]
        for _ in range(3):
            layers += [nn.Linear(h, h), nn.ReLU()]
        self.shared = nn.Sequential(*layers)
        self.unshared = nn.ModuleList(
            nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                          nn.Linear(h, h), nn.ReLU(), nn.Linear(h, c['style_dim']))
            for _ in range(c['num_domains']))

    def forward(self, z, y):
        h = self.shared(z)
        return pick(torch.stack([head(h) for head in self.unshared], 1), y)


def down_trunk(c):
    dim_in = first_width(c)
    layers = [nn.Conv2d(c['channels'], dim_in, 3, 1, 1)]
    dim_out = dim_in
    for _ in range(int(math.log2(c['image_size'])) - 2):
        dim_out = min(dim_in * 2, c['max_conv_dim'])
        layers.append(ResBlk(dim_in, dim_out, downsample=True))
        dim_in = dim_out
    layers += [nn.LeakyReLU(0.2), nn.Conv2d(dim_out, dim_out, 4), nn.LeakyReLU(0.2)]
    return layers, dim_out


class StarGANv2StyleEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        layers, width = down_trunk(c)
        self.shared = nn.Sequential(*layers)
        self.unshared = nn.ModuleList(nn.Linear(width, c['style_dim'])
                                      for _ in range(c['num_domains']))

    def forward(self, x, y):
        h = self.shared(x).flatten(1)
        return pick(torch.stack([head(h) for head in self.unshared], 1), y)


class StarGANv2Discriminator(nn.Module):
    def __init__(self, c):
        super().__init__()
        layers, width = down_trunk(c)
        self.main = nn.Sequential(*layers, nn.Conv2d(width, c['num_domains'], 1))

    def forward(self, x, y):
        return pick(self.main(x).flatten(1), y)


def reference_indices(y, rng):
    """d2gan's reference images from the batch: a permutation, and a second image of each
    reference's domain (itself where it is the only one)."""
    ref = rng.permutation(len(y))
    ref2 = np.empty_like(ref)
    for i, j in enumerate(ref):
        same = np.flatnonzero((y == y[j]) & (np.arange(len(y)) != j))
        ref2[i] = rng.choice(same) if len(same) else j
    return ref, ref2


def l1(x, y):
    return (x - y).abs().flatten(1).mean(1).mean()


class StarGANv2Twin:
    """StarGANv2Step: D latent- and reference-guided (non-saturating + R1 every D step), G
    latent-guided (steps G, F, E) and reference-guided (steps G), EMA of G, F and E."""
    batch_kind = 'labelled'

    def __init__(self, c):
        self.c = c
        self.G, self.F = StarGANv2Generator(c), StarGANv2Mapping(c)
        self.E, self.D = StarGANv2StyleEncoder(c), StarGANv2Discriminator(c)
        self.networks = {'G': self.G, 'F': self.F, 'E': self.E, 'D': self.D}
        self.emas = [(frozen_copy(net), net) for net in (self.G, self.F, self.E)]
        adam = lambda net, lr: torch.optim.Adam(  # noqa: E731
            net.parameters(), lr, (0.0, 0.99), 1e-8, weight_decay=c['weight_decay'])
        self.opt = {'G': adam(self.G, c['lr']), 'F': adam(self.F, c['f_lr']),
                    'E': adam(self.E, c['lr']), 'D': adam(self.D, c['lr'])}
        self.iteration = 0
        self.rng = np.random.default_rng(0)

    def zero_grad(self):
        for net in self.networks.values():
            net.zero_grad(set_to_none=True)

    def styles(self, src, y_trg, latent):
        return self.F(src, y_trg) if latent else self.E(src, y_trg)

    def d_step(self, x, y, y_trg, src, latent):
        with torch.no_grad():
            fake = self.G(x, self.styles(src, y_trg, latent))
        self.zero_grad()
        x = x.detach().requires_grad_(True)
        real_out = self.D(x, y)
        loss = (F.softplus(-real_out) + F.softplus(self.D(fake, y_trg))).mean()
        if self.c['lambda_reg']:    # R1 on the reals, their own domain; reuses the forward
            grad, = torch.autograd.grad(real_out.sum(), x, create_graph=True)
            loss = loss + self.c['lambda_reg'] * 0.5 * grad.square().flatten(1).sum(1).mean()
        loss.backward()
        self.opt['D'].step()

    def g_step(self, x, y, y_trg, src, src2, latent):
        c = self.c
        lambda_ds = c['lambda_ds'] * (max(0.0, 1 - self.iteration / c['ds_iter'])
                                      if c['ds_iter'] else 1.0)
        self.zero_grad()
        with frozen(self.D, *(() if latent else (self.F, self.E))):     # what is not stepped
            s = self.styles(src, y_trg, latent)
            fake = self.G(x, s)
            adv = F.softplus(-self.D(fake, y_trg)).mean()
            sty = l1(self.E(fake, y_trg), s)
            fake2 = self.G(x, self.styles(src2, y_trg, latent)).detach()
            ds = l1(fake, fake2)
            cyc = l1(self.G(fake, self.E(x, y)), x)
            (adv + c['lambda_sty'] * sty - lambda_ds * ds + c['lambda_cyc'] * cyc).backward()
        for name in ('G', 'F', 'E') if latent else ('G',):
            self.opt[name].step()

    def train_step(self, batch):
        X, y = batch
        n = X.shape[0]
        ref, ref2 = reference_indices(y.numpy(), self.rng)
        y_trg, x_ref, x_ref2 = y[ref], X[ref], X[ref2]
        z, z2 = torch.randn(n, self.c['latent_dim']), torch.randn(n, self.c['latent_dim'])
        self.d_step(X, y, y_trg, z, latent=True)
        self.d_step(X, y, y_trg, x_ref, latent=False)
        self.g_step(X, y, y_trg, z, z2, latent=True)
        self.g_step(X, y, y_trg, x_ref, x_ref2, latent=False)
        for ema, net in self.emas:
            update_ema(ema, net, self.c['ema_beta'])
        self.iteration += 1


# == U-GAT-IT (d2gan/models/ugatit.py, d2gan/gans/ugatit.py) ====================================
def refl(p):
    return nn.ReflectionPad2d(p)


def ilnorm(x, rho, eps=1e-5):
    """``rho * IN(x) + (1 - rho) * LN(x)``, biased variances (d2gan's default)."""
    def norm(axes):
        centred = x - x.mean(axes, keepdim=True)
        return centred * torch.rsqrt(centred.square().mean(axes, keepdim=True) + eps)
    return rho * norm((2, 3)) + (1 - rho) * norm((1, 2, 3))


class AdaILN(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.rho = nn.Parameter(torch.full((1, features, 1, 1), 0.9))

    def forward(self, x, gamma, beta):
        return ilnorm(x, self.rho) * gamma[:, :, None, None] + beta[:, :, None, None]


class ILN(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.rho = nn.Parameter(torch.zeros(1, features, 1, 1))
        self.gamma = nn.Parameter(torch.ones(1, features, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, features, 1, 1))

    def forward(self, x):
        return ilnorm(x, self.rho) * self.gamma + self.beta


class CAM(nn.Module):
    """Class activation map attention; ``sn``: the logits use ``w / ||w||`` (D's)."""

    def __init__(self, channels, sn=False, slope=0.0):
        super().__init__()
        bound = 1 / math.sqrt(channels)
        self.gap_weight = nn.Parameter(torch.empty(1, channels).uniform_(-bound, bound))
        self.gmp_weight = nn.Parameter(torch.empty(1, channels).uniform_(-bound, bound))
        self.conv1x1 = nn.Conv2d(2 * channels, channels, 1)
        self.sn, self.slope = sn, slope

    def _logit(self, pooled, w):
        if self.sn:
            w = w / (w.square().sum().sqrt() + 1e-12)
        return pooled @ w.t()

    def forward(self, x):
        logits = torch.cat([self._logit(x.mean((2, 3)), self.gap_weight),
                            self._logit(x.amax((2, 3)), self.gmp_weight)], 1)
        weighted = torch.cat([x * self.gap_weight[:, :, None, None],
                              x * self.gmp_weight[:, :, None, None]], 1)
        h = self.conv1x1(weighted)
        h = F.leaky_relu(h, self.slope) if self.slope else F.relu(h)
        return h, logits, h.sum(1, keepdim=True)


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.body = nn.Sequential(refl(1), nn.Conv2d(dim, dim, 3, bias=False),
                                  nn.InstanceNorm2d(dim), nn.ReLU(),
                                  refl(1), nn.Conv2d(dim, dim, 3, bias=False),
                                  nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.body(x)


class ResnetAdaILNBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.pad = refl(1)
        self.conv1 = nn.Conv2d(dim, dim, 3, bias=False)
        self.conv2 = nn.Conv2d(dim, dim, 3, bias=False)
        self.norm1, self.norm2 = AdaILN(dim), AdaILN(dim)

    def forward(self, x, gamma, beta):
        out = F.relu(self.norm1(self.conv1(self.pad(x)), gamma, beta))
        return x + self.norm2(self.conv2(self.pad(out)), gamma, beta)


class UGATITGenerator(nn.Module):
    def __init__(self, ch, ngf, n_blocks, size, light):
        super().__init__()
        dim, self.light = ngf * 4, light
        down = [refl(3), nn.Conv2d(ch, ngf, 7, bias=False), nn.InstanceNorm2d(ngf), nn.ReLU()]
        for mult in (1, 2):
            down += [refl(1), nn.Conv2d(ngf * mult, ngf * mult * 2, 3, 2, bias=False),
                     nn.InstanceNorm2d(ngf * mult * 2), nn.ReLU()]
        down += [ResnetBlock(dim) for _ in range(n_blocks)]
        self.down = nn.Sequential(*down)
        self.cam = CAM(dim)
        fc_in = dim if light else (size // 4) ** 2 * dim
        self.fc = nn.Sequential(nn.Linear(fc_in, dim, bias=False), nn.ReLU(),
                                nn.Linear(dim, dim, bias=False), nn.ReLU())
        self.gamma = nn.Linear(dim, dim, bias=False)
        self.beta = nn.Linear(dim, dim, bias=False)
        self.up_blocks = nn.ModuleList(ResnetAdaILNBlock(dim) for _ in range(n_blocks))
        up = []
        for mult in (4, 2):
            up += [nn.Upsample(scale_factor=2, mode='nearest'), refl(1),
                   nn.Conv2d(ngf * mult, ngf * mult // 2, 3, bias=False),
                   ILN(ngf * mult // 2), nn.ReLU()]
        up += [refl(3), nn.Conv2d(ngf, ch, 7, bias=False), nn.Tanh()]
        self.up = nn.Sequential(*up)

    def forward(self, x):
        x, cam_logits, heatmap = self.cam(self.down(x))
        h = self.fc(x.mean((2, 3)) if self.light else x.flatten(1))
        gamma, beta = self.gamma(h), self.beta(h)
        for block in self.up_blocks:
            x = block(x, gamma, beta)
        return self.up(x), cam_logits, heatmap


def sn_conv(in_c, out_c, stride, bias=True):
    """Spectral norm with one power-iteration step per training forward (as d2gan's)."""
    return nn.utils.spectral_norm(nn.Conv2d(in_c, out_c, 4, stride, bias=bias))


class UGATITDiscriminator(nn.Module):
    def __init__(self, ch, ndf, n_layers):
        super().__init__()
        layers, width = [refl(1), sn_conv(ch, ndf, 2), nn.LeakyReLU(0.2)], ndf
        for _ in range(1, n_layers - 2):
            layers += [refl(1), sn_conv(width, width * 2, 2), nn.LeakyReLU(0.2)]
            width *= 2
        layers += [refl(1), sn_conv(width, width * 2, 1), nn.LeakyReLU(0.2)]
        width *= 2
        self.model = nn.Sequential(*layers)
        self.cam = CAM(width, sn=True, slope=0.2)
        self.head = nn.Sequential(refl(1), sn_conv(width, 1, 1, bias=False))

    def forward(self, x):
        h, cam_logits, heatmap = self.cam(self.model(x))
        return self.head(h), cam_logits, heatmap


def discriminator_layers(size):
    """d2gan's ``(global, local)`` layer counts: 7 and 5 where the image allows."""
    def out_size(k):
        s = size
        for _ in range(k - 2):
            s = (s + 2 - 4) // 2 + 1
        return s - 2
    top = max(k for k in range(3, 8) if out_size(k) >= 1)
    return top, max(3, min(5, top - 2))


class UGATITTwin:
    """UGATITStep: the four discriminators (LSGAN on patches and CAM logits), then both
    generators (adversarial, cycle, identity, CAM), rho clipped to [0, 1]."""
    batch_kind = 'unpaired'

    def __init__(self, c):
        self.c = c
        ch = c['channels']
        self.G_A, self.G_B = (UGATITGenerator(ch, c['ngf'], c['n_blocks'], c['image_size'],
                                              c['light']) for _ in range(2))
        n_global, n_local = discriminator_layers(c['image_size'])
        self.Ds = {name: UGATITDiscriminator(ch, c['ndf'], k) for name, k in
                   (('D_GA', n_global), ('D_LA', n_local), ('D_GB', n_global),
                    ('D_LB', n_local))}
        self.networks = dict(G_A=self.G_A, G_B=self.G_B, **self.Ds)
        adam = lambda nets: torch.optim.Adam(  # noqa: E731
            [p for net in nets for p in net.parameters()], c['lr'], (0.5, 0.999), 1e-8,
            weight_decay=c['weight_decay'])
        self.opt_G, self.opt_D = adam([self.G_A, self.G_B]), adam(self.Ds.values())
        self.judges = [(self.Ds['D_GA'], 'A'), (self.Ds['D_LA'], 'A'), (self.Ds['D_GB'], 'B'),
                       (self.Ds['D_LB'], 'B')]

    def zero_grad(self):
        for net in self.networks.values():
            net.zero_grad(set_to_none=True)

    def train_step(self, batch):
        a, b = batch
        c = self.c
        mse = lambda x, t: (x - t).square().mean()  # noqa: E731
        with torch.no_grad():
            fakes = {'A': self.G_B(b)[0], 'B': self.G_A(a)[0]}
        reals = {'A': a, 'B': b}
        self.zero_grad()                                                 # D step
        loss_D = 0
        for D, domain in self.judges:
            real_logit, real_cam, _ = D(reals[domain])
            fake_logit, fake_cam, _ = D(fakes[domain])
            loss_D = loss_D + (mse(real_logit, 1) + mse(fake_logit, 0) + mse(real_cam, 1)
                               + mse(fake_cam, 0))
        (c['adv_weight'] * loss_D).backward()
        self.opt_D.step()
        self.zero_grad()                                                 # G step
        with frozen(*(D for D, _ in self.judges)):
            fake_b, cam_ab, _ = self.G_A(a)
            fake_a, cam_ba, _ = self.G_B(b)
            idt_a, cam_aa, _ = self.G_B(a)
            idt_b, cam_bb, _ = self.G_A(b)
            fake = {'A': fake_a, 'B': fake_b}
            adv = 0
            for D, domain in self.judges:
                logit, cam, _ = D(fake[domain])
                adv = adv + mse(logit, 1) + mse(cam, 1)
            cycle = l1(self.G_B(fake_b)[0], a) + l1(self.G_A(fake_a)[0], b)
            identity = l1(idt_a, a) + l1(idt_b, b)
            cam = (F.softplus(-cam_ba).mean() + F.softplus(cam_aa).mean()
                   + F.softplus(-cam_ab).mean() + F.softplus(cam_bb).mean())
            (c['adv_weight'] * adv + c['cycle_weight'] * cycle + c['identity_weight'] * identity
             + c['cam_weight'] * cam).backward()
        self.opt_G.step()
        with torch.no_grad():
            for G in (self.G_A, self.G_B):
                for name, p in G.named_parameters():
                    if name.endswith('rho'):
                        p.clamp_(0, 1)


# == driver ======================================================================================
TWINS = {'pggan': PGGANTwin, 'stylegan2': StyleGAN2Twin, 'starganv2': StarGANv2Twin,
         'ugatit': UGATITTwin}


def run(model, setting, iters, warmup, threads):
    """Build the twin of ``SETTINGS[model][setting]``, run ``warmup`` then ``iters`` timed
    iterations (``iters=0``: build only) and return the JSON row."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    spec = SETTINGS[model][setting]
    config = dict(DEFAULTS[model], **spec['config'])
    twin = TWINS[model](config)
    params = {name: trainable(net) for name, net in twin.networks.items()}
    batch = make_batch(twin.batch_kind, spec['batch'], config['channels'],
                       config['image_size'], config.get('num_domains'))
    for _ in range(warmup):
        twin.train_step(batch)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(iters):
        twin.train_step(batch)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {'images_per_s': iters * spec['batch'] / wall if iters else None,
            'cpu_s_per_iter': cpu / iters if iters else None, 'version': torch.__version__,
            'params': params}


def main(argv):
    if argv[:1] == ['--list']:
        print('\n'.join(TWINS))
        return
    payload = json.loads(argv[0])
    print(json.dumps(run(payload['model'], payload['setting'], int(payload.get('iters', 5)),
                         int(payload.get('warmup', 2)), int(payload.get('threads', 1)))))


if __name__ == '__main__':
    main(sys.argv[1:])
