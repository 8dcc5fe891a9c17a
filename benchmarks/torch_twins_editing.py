"""PyTorch twins of d2gan's StarGAN, AttGAN, STGAN and SPADE training iterations (issue #17).

Each twin builds the networks of d2gan's recipe (``d2gan.build_gan(model, **config)``, the
recipe's defaults for the keys ``config`` leaves out) in PyTorch with the same layers, widths
and biases -- the trainable parameter counts are equal -- and runs the iteration of d2gan's
step, so that ``model_table.py`` compares the two frameworks on the same work:

* StarGAN / AttGAN / STGAN (``d2gan.gans.attribute_step.AttributeStep``): the batch ``(X, A)``
  is cut into ``n_critic`` chunks; on each, one critic update (a fresh fake from a no-grad
  generator pass in train mode, WGAN loss + attribute BCE on the real image + WGAN-GP on
  interpolates of the adversarial head, here by real double back-propagation); then one
  generator update on the last chunk (edit + reconstruction, WGAN + BCE + L1). Targets: the
  labels of the chunk shuffled. Adam with the recipe's lr and betas.
* SPADE (``d2gan.gans.spade.SPADEStep``): G update first (hinge G loss + feature matching x10,
  the real features as constants; no VGG term, as d2gan without the VGG-19 weights), then the D
  update on the detached fakes of the G update; TTUR Adam(1e-4 / 4e-4, betas (0, 0.9)).

As in d2gan the generator update also back-propagates into D's weights (neither side turns
D's gradients off); D's gradients are cleared before its own update. Initialisation mirrors
d2gan's scheme per recipe (it does not change the work, only the numbers).

    python benchmarks/torch_twins_editing.py '{"model": "stgan", "setting": "chapter",
                                                "iters": 1, "warmup": 1, "threads": 1}'
    python benchmarks/torch_twins_editing.py --list

The last stdout line is one JSON object (images/s, CPU s per iteration, torch version, the
trainable parameters per network: ``G`` and ``D``, d2gan's ``step.networks`` keys).
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_settings import SETTINGS  # noqa: E402
from torch_frozen import frozen  # noqa: E402

STARGAN_ATTRS = ('Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Male', 'Young')
ATTGAN_ATTRS = ('Bald', 'Bangs', 'Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Bushy_Eyebrows',
                'Eyeglasses', 'Male', 'Mouth_Slightly_Open', 'Mustache', 'No_Beard',
                'Pale_Skin', 'Young')

# d2gan's recipe defaults (RECIPES.parameters(model), devices/hybridize left out)
DEFAULTS = {
    'stargan': dict(attrs=STARGAN_ATTRS, image_size=128, channels=3, conv_dim=64, repeat_num=6,
                    d_conv_dim=64, d_repeat_num=6, lambda_cls=1.0, lambda_rec=10.0,
                    lambda_gp=10.0, n_critic=5, target_mode='shuffle', lr=1e-4, lr_D=None,
                    beta1=0.5, beta2=0.999),
    'attgan': dict(attrs=ATTGAN_ATTRS, image_size=128, channels=3, enc_dim=64, dec_dim=64,
                   enc_layers=5, dec_layers=5, shortcut_layers=1, inject_layers=1, dis_dim=64,
                   dis_fc_dim=1024, dis_layers=5, max_dim=1024, thres_int=0.5, test_int=1.0,
                   b_distribution='none', lambda_rec=100.0, lambda_cls_G=10.0,
                   lambda_cls_D=1.0, lambda_gp=10.0, n_critic=5, target_mode='shuffle',
                   lr=2e-4, beta1=0.5, beta2=0.999),
    'stgan': dict(attrs=ATTGAN_ATTRS, image_size=128, channels=3, enc_dim=64, dec_dim=64,
                  enc_layers=5, dec_layers=5, shortcut_layers=4, inject_layers=4, stu_dim=64,
                  stu_layers=4, stu_inject_layers=4, stu_kernel_size=3, dis_dim=64,
                  dis_fc_dim=1024, dis_layers=5, max_dim=1024, label='diff', thres_int=0.5,
                  test_int=1.0, b_distribution='none', lambda_rec=100.0, lambda_cls_G=10.0,
                  lambda_cls_D=1.0, lambda_gp=10.0, n_critic=5, target_mode='shuffle',
                  lr=2e-4, beta1=0.5, beta2=0.999, init='xavier'),
    'spade': dict(image_size=256, num_classes=35, use_instance=True, ngf=64, ndf=64,
                  n_layers=4, num_D=2, hidden=128, num_upsampling='normal', norm_G='batch',
                  lambda_feat=10.0, lambda_vgg=None, vgg_weights=None, loss='hinge',
                  lr_G=1e-4, lr_D=4e-4, beta1=0.0, beta2=0.9, dataset=None),
}


def tile(c, like):
    """``(N, k)`` labels -> ``(N, k, H, W)`` at ``like``'s resolution."""
    return c[:, :, None, None].expand(-1, -1, like.shape[2], like.shape[3])


def init_weights(net, scheme, gain=0.02):
    """d2gan's ``init_weights`` schemes: MXNet initialises weights by the scheme, biases to 0.

    ``'torch'``: U(+-1/sqrt(fan_in)); ``'xavier'``: Glorot uniform; ``'xavier_normal'``:
    Glorot normal with ``gain`` (SPADE: 0.02). Norm layers keep gamma 1, beta 0.
    """
    for m in net.modules():
        if not isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            continue
        w = m.weight_orig if hasattr(m, 'weight_orig') else m.weight
        with torch.no_grad():
            if scheme == 'torch':
                fan_in = nn.init._calculate_fan_in_and_fan_out(w)[0]
                w.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
            elif scheme == 'xavier':
                nn.init.xavier_uniform_(w)
            else:
                nn.init.xavier_normal_(w, gain=gain)
            if m.bias is not None:
                m.bias.zero_()


# ---------------------------------------------------------------------------------------------
# StarGAN (d2gan/models/stargan.py)

def conv_in_relu(cin, cout, k, s, p, transpose=False):
    conv = (nn.ConvTranspose2d if transpose else nn.Conv2d)(cin, cout, k, s, p, bias=False)
    return [conv, nn.InstanceNorm2d(cout, affine=True), nn.ReLU()]


class StarResBlock(nn.Module):
    """``x + IN(conv3x3(ReLU(IN(conv3x3(x)))))``, bias-free convolutions."""

    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(*conv_in_relu(c, c, 3, 1, 1),
                                  nn.Conv2d(c, c, 3, 1, 1, bias=False),
                                  nn.InstanceNorm2d(c, affine=True))

    def forward(self, x):
        return x + self.body(x)


class StarGANGenerator(nn.Module):
    """``(image, labels) -> image``: labels tiled and concatenated, 7x7 stem, 2 down, residual
    blocks, 2 up, 7x7 to the image, tanh; affine instance norm everywhere."""

    def __init__(self, c_dim, conv_dim, repeat_num, channels):
        super().__init__()
        layers, w = conv_in_relu(channels + c_dim, conv_dim, 7, 1, 3), conv_dim
        for _ in range(2):
            layers += conv_in_relu(w, 2 * w, 4, 2, 1)
            w *= 2
        layers += [StarResBlock(w) for _ in range(repeat_num)]
        for _ in range(2):
            layers += conv_in_relu(w, w // 2, 4, 2, 1, transpose=True)
            w //= 2
        layers += [nn.Conv2d(w, channels, 7, 1, 3, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x, c):
        return self.main(torch.cat([x, tile(c, x)], 1))


class StarGANDiscriminator(nn.Module):
    """``image -> (src patch scores, cls logits)``; :meth:`adv` runs the adversarial head only
    (what d2gan's gradient penalty differentiates)."""

    def __init__(self, image_size, c_dim, conv_dim, repeat_num, channels):
        super().__init__()
        layers, cin, w = [], channels, conv_dim
        for _ in range(repeat_num):
            layers += [nn.Conv2d(cin, w, 4, 2, 1), nn.LeakyReLU(0.01)]
            cin, w = w, 2 * w
        self.main = nn.Sequential(*layers)
        self.src = nn.Conv2d(cin, 1, 3, 1, 1, bias=False)
        self.cls = nn.Conv2d(cin, c_dim, image_size // 2 ** repeat_num, bias=False)

    def forward(self, x):
        h = self.main(x)
        return self.src(h), self.cls(h).flatten(1)

    def adv(self, x):
        return self.src(self.main(x))


# ---------------------------------------------------------------------------------------------
# AttGAN / STGAN (d2gan/models/attgan.py, stgan.py, nn/stu.py)

def widths(dim, layers, max_dim):
    return [min(dim * 2 ** i, max_dim) for i in range(layers)]


class SelectiveTransferUnit(nn.Module):
    """STGAN's STU: a convolutional GRU on a skip link, ``(f, s) -> (f_t, s_new)``."""

    def __init__(self, c, cin, state, k):
        super().__init__()
        self.up = nn.ConvTranspose2d(state, c, 4, 2, 1)
        self.reset, self.update, self.info = (nn.Conv2d(cin + c, c, k, 1, k // 2)
                                              for _ in range(3))

    def forward(self, f, s):
        s_hat = self.up(s)
        both = torch.cat([f, s_hat], 1)
        r, z = torch.sigmoid(self.reset(both)), torch.sigmoid(self.update(both))
        s_new = r * s_hat
        f_hat = torch.tanh(self.info(torch.cat([f, s_new], 1)))
        return (1 - z) * s_hat + z * f_hat, s_new


class STUStack(nn.Module):
    """STUs on the ``n_layers`` levels above the bottleneck, coarse to fine."""

    def __init__(self, n_attrs, enc_widths, dim, n_layers, inject_layers, k, max_dim):
        super().__init__()
        levels = len(enc_widths)
        self.inject_layers, self.out_widths = inject_layers, list(enc_widths)
        units, state = [], enc_widths[-1] + n_attrs
        for i in range(n_layers):
            level, w = levels - 2 - i, min(dim * 2 ** (n_layers - 1 - i), max_dim)
            units.append(SelectiveTransferUnit(w, enc_widths[level], state, k))
            self.out_widths[level] = w
            state = w + (n_attrs if inject_layers > i else 0)
        self.units = nn.ModuleList(units)

    def rewrite(self, zs, a):
        zs, state = list(zs), torch.cat([zs[-1], tile(a, zs[-1])], 1)
        for i, unit in enumerate(self.units):
            level = len(zs) - 2 - i
            zs[level], state = unit(zs[level], state)
            if self.inject_layers > i:
                state = torch.cat([state, tile(a, state)], 1)
        return zs


class AttGANGenerator(nn.Module):
    """Encoder (conv-BN-LReLU stride 2), optional STUs on the skips, decoder (convT-BN-ReLU,
    last convT with bias + tanh) with shortcut and attribute-injection concatenations."""

    def __init__(self, n_attrs, enc_dim, dec_dim, enc_layers, dec_layers, shortcut_layers,
                 inject_layers, max_dim, channels, stu=None):
        super().__init__()
        enc_w = widths(enc_dim, enc_layers, max_dim)
        enc, cin = [], channels
        for w in enc_w:
            enc.append(nn.Sequential(nn.Conv2d(cin, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w),
                                     nn.LeakyReLU(0.2)))
            cin = w
        self.encoder = nn.ModuleList(enc)
        self.stu = None if stu is None else STUStack(n_attrs, enc_w, **stu, max_dim=max_dim)
        skip_w = enc_w if stu is None else self.stu.out_widths
        self.dec_layers = dec_layers
        self.shortcut_layers = min(shortcut_layers, dec_layers - 1)
        self.inject_layers = min(inject_layers, dec_layers - 1)
        self.channels = channels
        dec, cin = [], skip_w[-1] + n_attrs
        for i in range(dec_layers):
            if i < dec_layers - 1:
                w = min(dec_dim * 2 ** (dec_layers - i - 1), max_dim)
                dec.append(nn.Sequential(nn.ConvTranspose2d(cin, w, 4, 2, 1, bias=False),
                                         nn.BatchNorm2d(w), nn.ReLU()))
                cin = w + (skip_w[dec_layers - 2 - i] if self.shortcut_layers > i else 0) \
                    + (n_attrs if self.inject_layers > i else 0)
            else:  # d2gan keeps a spare output channel for 1-channel images (oneDNN bug)
                dec.append(nn.Sequential(nn.ConvTranspose2d(cin, max(channels, 2), 4, 2, 1),
                                         nn.Tanh()))
        self.decoder = nn.ModuleList(dec)

    def encode(self, x):
        zs = []
        for block in self.encoder:
            x = block(x)
            zs.append(x)
        return zs

    def decode(self, zs, a):
        if self.stu is not None:
            zs = self.stu.rewrite(zs, a)
        z = torch.cat([zs[-1], tile(a, zs[-1])], 1)
        for i, block in enumerate(self.decoder):
            z = block(z)
            parts = [z]
            if self.shortcut_layers > i:
                parts.append(zs[self.dec_layers - 2 - i])
            if self.inject_layers > i:
                parts.append(tile(a, z))
            if len(parts) > 1:
                z = torch.cat(parts, 1)
        return z[:, :self.channels]


class AttGANDiscriminator(nn.Module):
    """Conv-IN-LReLU stride 2 layers, then two fc heads (adversarial, attributes)."""

    def __init__(self, n_attrs, dim, fc_dim, n_layers, image_size, max_dim, channels,
                 stgan=False):
        super().__init__()
        layers, cin = [], channels
        for w in widths(dim, n_layers, max_dim):      # STGAN: TF slim's epsilon
            norm = nn.InstanceNorm2d(w, affine=True, eps=1e-6 if stgan else 1e-5)
            layers += [nn.Conv2d(cin, w, 4, 2, 1, bias=False), norm, nn.LeakyReLU(0.2)]
            cin = w
        self.conv = nn.Sequential(*layers, nn.Flatten())
        flat = cin * (image_size // 2 ** n_layers) ** 2
        act = nn.LeakyReLU(0.2) if stgan else nn.ReLU()
        self.fc_adv = nn.Sequential(nn.Linear(flat, fc_dim), act, nn.Linear(fc_dim, 1))
        self.fc_cls = nn.Sequential(nn.Linear(flat, fc_dim), act, nn.Linear(fc_dim, n_attrs))

    def forward(self, x):
        h = self.conv(x)
        return self.fc_adv(h), self.fc_cls(h)

    def adv(self, x):
        return self.fc_adv(self.conv(x))


# ---------------------------------------------------------------------------------------------
# SPADE (d2gan/models/spade.py, nn/spade.py)

SN = nn.utils.spectral_norm  # the reference's: weight_orig trainable, u and v buffers


class SPADE(nn.Module):
    """``norm(x) * (1 + gamma(m)) + beta(m)``; param-free batch or instance norm."""

    def __init__(self, c, label_c, hidden, norm):
        super().__init__()
        self.norm = (nn.BatchNorm2d(c, affine=False) if norm == 'batch'
                     else nn.InstanceNorm2d(c, affine=False))
        self.shared = nn.Sequential(nn.Conv2d(label_c, hidden, 3, padding=1), nn.ReLU())
        self.gamma = nn.Conv2d(hidden, c, 3, padding=1)
        self.beta = nn.Conv2d(hidden, c, 3, padding=1)

    def forward(self, x, m):
        a = self.shared(m)
        return self.norm(x) * (1 + self.gamma(a)) + self.beta(a)


class SPADEResBlock(nn.Module):
    def __init__(self, fin, fout, label_c, hidden, norm):
        super().__init__()
        mid, self.learned = min(fin, fout), fin != fout
        self.norm_0 = SPADE(fin, label_c, hidden, norm)
        self.conv_0 = SN(nn.Conv2d(fin, mid, 3, padding=1))
        self.norm_1 = SPADE(mid, label_c, hidden, norm)
        self.conv_1 = SN(nn.Conv2d(mid, fout, 3, padding=1))
        if self.learned:
            self.norm_s = SPADE(fin, label_c, hidden, norm)
            self.conv_s = SN(nn.Conv2d(fin, fout, 1, bias=False))

    def forward(self, x, m):
        s = self.conv_s(self.norm_s(x, m)) if self.learned else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, m), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, m), 0.2))
        return s + dx


class SPADEGenerator(nn.Module):
    """Map/2^n -> conv 16nf -> SPADE blocks with nearest 2x upsamplings -> conv -> tanh."""

    def __init__(self, label_c, ngf, num_upsampling, hidden, norm):
        super().__init__()
        self.num_up = {'normal': 5, 'more': 6, 'most': 7}[num_upsampling]
        nf = ngf
        self.fc = nn.Conv2d(label_c, 16 * nf, 3, padding=1)
        names = [('head_0', 16, 16), ('G_middle_0', 16, 16), ('G_middle_1', 16, 16),
                 ('up_0', 16, 8), ('up_1', 8, 4), ('up_2', 4, 2), ('up_3', 2, 1)]
        for name, fin, fout in names:
            setattr(self, name, SPADEResBlock(fin * nf, fout * nf, label_c, hidden, norm))
        final = nf
        if self.num_up == 7:
            self.up_4, final = SPADEResBlock(nf, nf // 2, label_c, hidden, norm), nf // 2
        self.conv_img = nn.Conv2d(final, 3, 3, padding=1)

    def forward(self, m):
        n = self.num_up
        seg = lambda level: m[:, :, ::2 ** level, ::2 ** level]  # noqa: E731 (nearest)
        up = lambda x: F.interpolate(x, scale_factor=2, mode='nearest')  # noqa: E731
        x = self.head_0(self.fc(seg(n)), seg(n))
        x = self.G_middle_0(up(x), seg(n - 1))
        level = n - 1
        if n >= 6:
            x, level = up(x), level - 1
        x = self.G_middle_1(x, seg(level))
        for name in ('up_0', 'up_1', 'up_2', 'up_3') + (('up_4',) if n == 7 else ()):
            level -= 1
            x = getattr(self, name)(up(x), seg(level))
        return torch.tanh(self.conv_img(F.leaky_relu(x, 0.2)))


class NLayerDiscriminator(nn.Module):
    """SPADE's PatchGAN returning every stage's output (spectral + param-free instance norm)."""

    def __init__(self, cin, ndf, n_layers):
        super().__init__()
        stages, w = [nn.Sequential(nn.Conv2d(cin, ndf, 4, 2, 2), nn.LeakyReLU(0.2))], ndf
        for n in range(1, n_layers):
            out = min(2 * w, 512)
            stages.append(nn.Sequential(
                SN(nn.Conv2d(w, out, 4, 1 if n == n_layers - 1 else 2, 2, bias=False)),
                nn.InstanceNorm2d(out), nn.LeakyReLU(0.2)))
            w = out
        stages.append(nn.Conv2d(w, 1, 4, 1, 2))
        self.stages = nn.ModuleList(stages)

    def forward(self, x):
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


class MultiscaleDiscriminator(nn.Module):
    """``num_D`` PatchGANs, the k-th on the input average-pooled k times (padding excluded)."""

    def __init__(self, cin, ndf, n_layers, num_D):
        super().__init__()
        self.nets = nn.ModuleList(NLayerDiscriminator(cin, ndf, n_layers) for _ in range(num_D))

    def judge(self, m, image):
        x, outs = torch.cat([m, image], 1), []
        for k, net in enumerate(self.nets):
            if k:
                x = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
            outs.append(net(x))
        return outs


# ---------------------------------------------------------------------------------------------
# The iterations

def per_example(t):
    return t.flatten(1).mean(1)


def split_sizes(n, parts):
    base, extra = divmod(n, parts)
    return [base + (i < extra) for i in range(parts)]


class AttributeTwin:
    """d2gan's ``AttributeStep``: ``n_critic`` critic updates on the chunks, one G update."""

    def __init__(self, model, cfg):
        self.model, self.cfg = model, cfg
        k, ch, size = len(cfg['attrs']), cfg['channels'], cfg['image_size']
        self.n_attrs = k
        if model == 'stargan':
            self.G = StarGANGenerator(k, cfg['conv_dim'], cfg['repeat_num'], ch)
            self.D = StarGANDiscriminator(size, k, cfg['d_conv_dim'], cfg['d_repeat_num'], ch)
            self.lambda_cls_G = self.lambda_cls_D = cfg['lambda_cls']
            self.cls_reduce, init, lr_G = 'sum', 'torch', cfg['lr']
            lr_D = cfg['lr_D'] or cfg['lr']
        else:
            stu = None
            if model == 'stgan':
                stu = dict(dim=cfg['stu_dim'], n_layers=cfg['stu_layers'],
                           inject_layers=cfg['stu_inject_layers'], k=cfg['stu_kernel_size'])
            self.G = AttGANGenerator(k, cfg['enc_dim'], cfg['dec_dim'], cfg['enc_layers'],
                                     cfg['dec_layers'], cfg['shortcut_layers'],
                                     cfg['inject_layers'], cfg['max_dim'], ch, stu)
            self.D = AttGANDiscriminator(k, cfg['dis_dim'], cfg['dis_fc_dim'],
                                         cfg['dis_layers'], size, cfg['max_dim'], ch,
                                         stgan=model == 'stgan')
            self.lambda_cls_G, self.lambda_cls_D = cfg['lambda_cls_G'], cfg['lambda_cls_D']
            self.cls_reduce, lr_G = 'mean', cfg['lr']
            lr_D, init = lr_G, cfg.get('init', 'torch')
            self.label = cfg.get('label', 'target')
        init_weights(self.G, init)
        init_weights(self.D, init)
        betas = (cfg['beta1'], cfg['beta2'])
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr_G, betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr_D, betas)
        self.networks = {'G': self.G, 'D': self.D}

    def targets(self, a):
        if self.cfg['target_mode'] == 'shuffle':
            return a[torch.randperm(len(a))]
        which = torch.randint(0, self.n_attrs, (len(a),))
        return (a - F.one_hot(which, self.n_attrs).float()).abs()

    def generate(self, x, a, b, reconstruct=False):
        if self.model == 'stargan':
            fake = self.G(x, b)
            return fake, (self.G(fake, a) if reconstruct else None)
        t = self.cfg['thres_int']
        code_a, code_b = (2 * a - 1) * t, (2 * b - 1) * t
        if self.cfg['b_distribution'] == 'uniform':      # d2gan: always while training
            code_b = code_b * torch.rand_like(code_b) * 2
        if self.label == 'diff':
            c_fake, c_rec = code_b - code_a, torch.zeros_like(code_a)
        else:
            c_fake, c_rec = code_b, code_a
        zs = self.G.encode(x)
        fake = self.G.decode(zs, c_fake)
        return fake, (self.G.decode(zs, c_rec) if reconstruct else None)

    def bce(self, logits, targets):
        terms = F.binary_cross_entropy_with_logits(logits, targets, reduction='none')
        return terms.sum(1) if self.cls_reduce == 'sum' else terms.mean(1)

    def d_update(self, x, a):
        with torch.no_grad():                                  # d2gan: train mode, not recorded
            fake = self.generate(x, a, self.targets(a))[0]
        real_adv, real_cls = self.D(x)
        fake_adv, _ = self.D(fake)
        loss = (per_example(fake_adv) - per_example(real_adv)).mean() \
            + self.lambda_cls_D * self.bce(real_cls, a).mean()
        eps = torch.rand(len(x), 1, 1, 1)
        x_hat = (eps * x + (1 - eps) * fake).requires_grad_(True)
        grad, = torch.autograd.grad(per_example(self.D.adv(x_hat)).sum(), x_hat,
                                    create_graph=True)
        gp = self.cfg['lambda_gp'] * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
        self.opt_D.zero_grad()
        (loss + gp).backward()
        self.opt_D.step()

    def g_update(self, x, a):
        b = self.targets(a)
        with frozen(self.D):                    # no critic weight gradients, as in d2gan
            fake, rec = self.generate(x, a, b, reconstruct=True)
            fake_adv, fake_cls = self.D(fake)
            loss = -per_example(fake_adv).mean() \
                + self.lambda_cls_G * self.bce(fake_cls, b).mean() \
                + self.cfg['lambda_rec'] * per_example((rec - x).abs()).mean()
            self.opt_G.zero_grad()
            loss.backward()
        self.opt_G.step()

    def batch(self, n):
        size, ch = self.cfg['image_size'], self.cfg['channels']
        return (torch.rand(n, ch, size, size) * 2 - 1,
                torch.randint(0, 2, (n, self.n_attrs)).float())

    def train_step(self, batch):
        X, A = batch
        chunks, start = [], 0
        for size in split_sizes(len(X), self.cfg['n_critic']):
            chunks.append((X[start:start + size], A[start:start + size]))
            start += size
        for x, a in chunks:
            self.d_update(x, a)
        self.g_update(*chunks[-1])


class SPADETwin:
    """d2gan's ``SPADEStep``: G update (hinge + feature matching), then D on the same fakes."""

    def __init__(self, cfg):
        self.cfg = cfg
        if cfg['lambda_vgg']:
            raise ValueError('the twin has no VGG loss (d2gan runs without it unless the VGG-19 '
                             'weights are on disk)')
        if cfg['loss'] != 'hinge':
            raise ValueError(f"only the hinge loss is mirrored, got {cfg['loss']!r}")
        self.label_c = cfg['num_classes'] + (1 if cfg['use_instance'] else 0)
        self.G = SPADEGenerator(self.label_c, cfg['ngf'], cfg['num_upsampling'], cfg['hidden'],
                                cfg['norm_G'])
        self.D = MultiscaleDiscriminator(self.label_c + 3, cfg['ndf'], cfg['n_layers'],
                                         cfg['num_D'])
        for net in (self.G, self.D):
            init_weights(net, 'xavier_normal', gain=0.02)
        betas = (cfg['beta1'], cfg['beta2'])
        self.opt_G = torch.optim.Adam(self.G.parameters(), cfg['lr_G'], betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), cfg['lr_D'], betas)
        self.networks = {'G': self.G, 'D': self.D}

    def batch(self, n):
        size, c = self.cfg['image_size'], self.cfg['num_classes']
        maps = F.one_hot(torch.randint(0, c, (n, size, size)), c).permute(0, 3, 1, 2).float()
        if self.cfg['use_instance']:
            maps = torch.cat([maps, torch.randint(0, 2, (n, 1, size, size)).float()], 1)
        return maps, torch.rand(n, 3, size, size) * 2 - 1

    def train_step(self, batch):
        m, x = batch
        num_D = len(self.D.nets)
        with frozen(self.D):
            fake = self.G(m)
            fake_out = self.D.judge(m, fake)
            with torch.no_grad():  # d2gan records it but detaches it: no backward through it
                real_out = self.D.judge(m, x)
            gan = -sum(per_example(f[-1]) for f in fake_out) / num_D
            fm = sum(per_example((f - r).abs()) for fo, ro in zip(fake_out, real_out)
                     for f, r in zip(fo[:-1], ro[:-1])) / num_D
            self.opt_G.zero_grad()
            (gan + self.cfg['lambda_feat'] * fm).mean().backward()
        self.opt_G.step()
        fake = fake.detach()
        real_out, fake_out = self.D.judge(m, x), self.D.judge(m, fake)
        loss_D = sum(per_example(F.relu(1 - r[-1])) + per_example(F.relu(1 + f[-1]))
                     for r, f in zip(real_out, fake_out)) / num_D
        self.opt_D.zero_grad()
        loss_D.mean().backward()
        self.opt_D.step()


def build(model, config):
    cfg = dict(DEFAULTS[model], **config)
    return SPADETwin(cfg) if model == 'spade' else AttributeTwin(model, cfg)


def trainable(net):
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def main(argv):
    if argv and argv[0] == '--list':
        print('\n'.join(DEFAULTS))
        return
    args = json.loads(argv[0])
    torch.set_num_threads(int(args.get('threads', 1)))
    torch.manual_seed(0)
    spec = SETTINGS[args['model']][args['setting']]
    twin = build(args['model'], spec['config'])
    batch = twin.batch(spec['batch'])
    iters, warmup = int(args.get('iters', 5)), int(args.get('warmup', 2))
    for _ in range(warmup):
        twin.train_step(batch)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(iters):
        twin.train_step(batch)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(json.dumps({'images_per_s': iters * spec['batch'] / wall, 'cpu_s_per_iter': cpu / iters,
                      'version': torch.__version__,
                      'params': {k: trainable(v) for k, v in twin.networks.items()}}))


if __name__ == '__main__':
    main(sys.argv[1:])
