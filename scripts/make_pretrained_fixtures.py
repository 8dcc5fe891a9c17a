"""Write the equality fixtures of ``tests/test_pretrained.py``: reference networks' weights,
an input and the reference's output, one ``.npz`` per case in ``tests/data/pretrained/``.

Run where PyTorch and NumPy are installed (not MXNet) and checkouts of the references exist::

    python scripts/make_pretrained_fixtures.py PATH/TO/pytorch-CycleGAN-and-pix2pix \
        --stargan PATH/TO/stargan --ugatit PATH/TO/UGATIT-pytorch --starganv2 PATH/TO/stargan-v2 \
        --nvlabs PATH/TO/stylegan2-ada-pytorch --rosinality PATH/TO/stylegan2-pytorch \
        --photo2cartoon PATH/TO/photo2cartoon --spade PATH/TO/SPADE

(each one alone writes only its family's fixtures). It imports ``models/networks.py``
(junyanz), ``model.py`` (yunjey/stargan, into ``yunjey/``) or ``networks.py``
(znxlwm/UGATIT-pytorch, into ``ugatit/``) or ``core/model.py`` (clovaai/stargan-v2, into
``starganv2/``) or ``models/networks.py`` (minivision-ai/photo2cartoon, into
``photo2cartoon/``: its generator, full at 32 px and light run at 48 px, ngf 4, the same three
outputs as U-GAT-IT's; weights and input float16 to stay small, :func:`coarse`; and, from
``models/mobilefacenet.py`` and ``models/face_features.py``, ``mobilefacenet.npz`` for
``tests/test_faceid.py``: :func:`write_mobilefacenet`) of the checkout,
builds each
network at a small size with
a fixed seed, draws *random* weights -- norm scales, shifts and running statistics included,
so that a key mapped to the wrong place changes the output -- and stores::

    format           the d2gan.pretrained format that converts it (e.g. 'junyanz-unet')
    state/<key>      the state dict, float32 as the reference saves it
    input, output    a random input in [-1, 1] and the reference's output in eval mode,
                     computed in float64 (so the fixture holds the function's value, not
                     PyTorch's float32 rounding)

The norms are built as the reference's current ``get_norm_layer`` builds them (batch norm with
running statistics; instance norm without affine parameters or running statistics; ``none``
an identity), passed in explicitly, so the script works with old and new checkouts. The case
``resnet_instance_2018`` saves the instance norms' running statistics the way the 2018
reference did (``track_running_stats=True``) and takes its output from the current network,
which ignores them -- as the reference's loader does.

The StarGAN fixtures also hold ``labels`` (the generator's target labels, {0, 1}), and take
``output`` in *training* mode, as yunjey/stargan's ``Solver.test`` runs (it never calls
``.eval()``): its instance norms use each image's statistics. ``output_eval`` is the
generator in eval mode (running statistics), ``output_cls`` the discriminator's attribute
logits (``output`` its patch scores).

The U-GAT-IT fixtures hold the reference's three outputs in eval mode: ``output`` (image /
patch logits), ``output_cam`` (CAM logits), ``output_heatmap``. The generator's also hold
``output_biased``: the image of the same reference network with its ``ILN`` / ``adaILN``
computing the *biased* variance (this script's own forward, patched in), which is what d2gan's
default (``unbiased_variance=False``, as the TensorFlow code) computes; the reference's
``torch.var`` is unbiased, as the converted generator (``unbiased_variance=True``) is, which
``output`` checks. Rho, ILN's scale
and shift are random too. The discriminator's spectral norms first run three training-mode
forward passes (power-iteration steps), as a trained network's ``weight_u``/``weight_v`` have;
eval mode then uses the stored ``u``, ``v`` (``sigma = u^T W v``).

StarGAN v2's constructors tie the first width to the image size (``dim_in = 2**14 //
img_size``) and fix the mapping network's width at 512. The generator, style encoder and
discriminator are built by the reference's own constructors with a large ``img_size`` (a
narrow first layer) while its ``np.log2`` answers for a small image (few levels); the mapping
network keeps its 512 units, of which only the first 8 per layer get nonzero weights (the
zeros compress). Each fixture holds the inputs of its network (``input`` = images or latents,
``labels`` = domains, ``style`` = the generator's style codes) and its output; ``w_hpf = 0``.

The SPADE fixtures (``--spade``, NVlabs/SPADE's ``models/networks``, into ``spade/``) hold
its default networks made small (``ngf 1``, ``ndf 2``, 3 classes + instance edges, 32 x 32):
the generator (spectral SPADE residual blocks with synchronised batch norm; SPADE's 128 hidden
units, of which the first 8 get weights) and the two-scale discriminator (``output`` all of its
feature maps, flattened, ``output_shapes`` theirs), after three training-mode passes (power
iteration, batch statistics) and random running statistics, outputs in eval mode as the
reference's ``test.py``. Its ``sync_batchnorm`` (a separate repository) is stood in for by
``nn.BatchNorm2d`` when the checkout lacks it: one device, the same function.

The StyleGAN2 fixtures (``--nvlabs``, NVlabs/stylegan2-ada-pytorch, into ``nvlabs/``) hold a
16 px skip generator (z_dim 24, w_dim 16, 2 mapping layers, channels 16, 16, 8) and a 16 px
residual discriminator of the reference's ``training/networks.py``, run in float32 on the CPU
(the reference's ``upfirdn2d`` asserts float32 filters; without CUDA its custom ops take their
pure-PyTorch paths, no plugin is built). Weights, biases, ``noise_strength`` and ``w_avg`` are
random. The generator's fixture holds ``z``, ``ws`` (the mapping's output, broadcast to every
layer), ``ws_trunc`` (``truncation_psi=0.7``), ``ws_cut`` (psi 0.5, ``truncation_cutoff=2``),
``image`` (``synthesis(ws, noise_mode='none')``) and ``image_trunc``; ``up_x``, ``up_w``,
``up_y``: one ``conv2d_resample(up=2, padding=1, flip_weight=False)``, the reference's
up-sampling convolution on its own. The discriminator's holds ``input`` (4 images, one
mbstd group of 4) and ``output`` (the scores). ``nvlabs/snapshot.pkl`` (also ``--nvlabs-pickle
CHECKOUT`` alone, from those two files) is the reference's own pickle of ``dict(G, D, G_ema,
...)`` as its training loop writes snapshots and the released networks are: ``G_ema`` and ``D``
with the weights of the two ``.npz`` files, ``G`` random others.

The rosinality StyleGAN2 fixtures (``--rosinality``, rosinality/stylegan2-pytorch, into
``rosinality/``) come from its ``model.py`` with two changes made at import, never in the
checkout:

* **the fused ops are stood in for.** ``op/fused_act.py`` and ``op/upfirdn2d.py`` compile CUDA
  extensions when imported. This script writes a package ``op`` of its own to a temporary
  folder (outside the project) and puts it first on ``sys.path``: ``fused_leaky_relu(x, b)`` =
  ``leaky_relu(x + b, 0.2) * sqrt(2)`` (the reference's CPU branch), ``upfirdn2d`` = insert
  ``up - 1`` zeros after every pixel, zero-pad, *convolve* (flipped kernel) with the filter,
  keep every ``down``-th pixel (what ``upfirdn2d_native`` computes), and ``conv2d_gradfix`` =
  plain ``F.conv2d`` / ``F.conv_transpose2d`` (its CPU path);
* **the channel table is narrowed.** ``Generator`` and ``Discriminator`` fix 512 channels up to
  32 px; the script replaces the entries ``4: 512, 8: 512, 16: 512`` of both tables in the
  source it executes by 16, 16, 8, so the 16 px networks stay small (the widths the NVlabs
  fixtures have: ``channel_base`` 128, ``channel_max`` 16).

G is ``Generator(16, style_dim=16, n_mlp=2)``, D ``Discriminator(16)``; biases (the mapping's
times 1 / lr_mul), noise weights and ``latent_avg`` are random, weights the reference's N(0, 1)
(the mapping's N(0, 1) / lr_mul). ``checkpoint.npz`` holds the state dicts as the released
``stylegan2-ffhq-config-f.pt`` does, flattened: ``state/g.*`` (a *different* random G),
``state/g_ema.*``, ``state/d.*``, ``state/latent_avg``; and ``input`` (``z``), ``ws`` (``G.style``),
``output`` (the image of ``g_ema`` with zero noise images), ``image_trunc`` (truncation 0.7
towards ``latent_avg``), ``d_input`` (4 images) and ``d_output`` (D's scores), ``up_x``,
``up_w``, ``up_y`` (one up-sampling ``ModulatedConv2d`` with unit styles and no demodulation:
transposed convolution, then blur), ``down_x``, ``down_w``, ``down_y`` (one ``ConvLayer(
downsample=True)`` without bias or activation: blur, then stride-2 convolution).
"""
import argparse
import copy
import functools
import importlib
import importlib.util
import os
import sys
import tempfile
import types

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'tests', 'data', 'pretrained')


def reference_networks(checkout, path=('models', 'networks.py')):
    path = os.path.join(checkout, *path)
    spec = importlib.util.spec_from_file_location('reference_networks', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def norm_layer(norm, track_instance_stats=False):
    if norm == 'batch':
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    if norm == 'instance':
        return functools.partial(nn.InstanceNorm2d, affine=False,
                                 track_running_stats=track_instance_stats)
    return lambda channels: nn.Identity()


def randomize(net, generator):
    """Random weights of about unit gain, random norm parameters and running statistics."""
    def normal(shape, std):
        return torch.randn(shape, generator=generator) * std

    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            w = module.weight
            stride = module.stride[0] if isinstance(module, nn.ConvTranspose2d) else 1
            fan_in = (w.shape[0] if isinstance(module, nn.ConvTranspose2d) else w.shape[1])
            fan_in *= w.shape[2] * w.shape[3] / stride ** 2
            w.data.copy_(normal(w.shape, 1.2 / fan_in ** 0.5))
            if module.bias is not None:
                module.bias.data.copy_(normal(module.bias.shape, 0.2))
        elif isinstance(module, (nn.BatchNorm2d, nn.InstanceNorm2d)):
            c = module.num_features
            if module.weight is not None:
                module.weight.data.copy_(0.5 + torch.rand(c, generator=generator))
                module.bias.data.copy_(normal(c, 0.2))
            if module.running_mean is not None:
                module.running_mean.copy_(normal(c, 0.3))
                module.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=generator))
                module.num_batches_tracked.fill_(1000)


def reference_output(net, x):
    net = net.double().eval()
    with torch.no_grad():
        return net(torch.from_numpy(x).double()).numpy().astype(np.float32)


def write(name, fmt, state, x, y, out, **more):
    arrays = {f'state/{k}': v.detach().cpu().numpy() for k, v in state.items()}
    path = os.path.join(out, f'{name}.npz')
    np.savez_compressed(path, format=np.array(fmt), input=x, output=y, **more, **arrays)
    print(f'{path}: {len(state)} keys, output {y.shape}, {os.path.getsize(path) // 1024} KiB')


def cases(ref):
    """``name -> (format, build(track_instance_stats), input shape)``."""
    def unet(in_c, out_c, downs, norm, dropout):
        return lambda track=False: ref.UnetGenerator(
            in_c, out_c, downs, ngf=4, norm_layer=norm_layer(norm, track), use_dropout=dropout)

    def resnet(in_c, out_c, blocks, norm, dropout):
        return lambda track=False: ref.ResnetGenerator(
            in_c, out_c, ngf=4, norm_layer=norm_layer(norm, track), use_dropout=dropout,
            n_blocks=blocks)

    def patchgan(in_c, layers, norm):
        return lambda track=False: ref.NLayerDiscriminator(
            in_c, ndf=4, n_layers=layers, norm_layer=norm_layer(norm, track))

    return {
        'unet_batch': ('junyanz-unet', unet(3, 3, 6, 'batch', True), (2, 3, 64, 64)),
        'unet_instance_gray': ('junyanz-unet', unet(1, 1, 5, 'instance', False),
                               (2, 1, 32, 32)),
        'resnet_instance_2018': ('junyanz-resnet_6blocks', resnet(3, 3, 6, 'instance', False),
                                 (1, 3, 32, 32)),
        'resnet_batch_dropout': ('junyanz-resnet', resnet(3, 1, 2, 'batch', True),
                                 (2, 3, 32, 32)),
        'patchgan_basic_batch': ('junyanz-basic', patchgan(6, 3, 'batch'), (2, 6, 64, 64)),
        'patchgan_instance': ('junyanz-n_layers', patchgan(3, 2, 'instance'), (2, 3, 32, 32)),
        'patchgan_none': ('junyanz-n_layers', patchgan(3, 1, 'none'), (2, 3, 32, 32)),
    }


def stargan_cases(ref):
    """``name -> (format, build, image shape, c_dim)`` of yunjey/stargan's networks."""
    return {
        'generator': ('yunjey-generator',
                      lambda: ref.Generator(conv_dim=4, c_dim=3, repeat_num=2), (2, 3, 16, 16),
                      3),
        'discriminator': ('yunjey-discriminator',
                          lambda: ref.Discriminator(image_size=16, conv_dim=4, c_dim=3,
                                                    repeat_num=3), (2, 3, 16, 16), 3),
    }


def write_stargan(ref, out):
    os.makedirs(out, exist_ok=True)
    for i, (name, (fmt, build, shape, c_dim)) in enumerate(stargan_cases(ref).items()):
        generator = torch.Generator().manual_seed(2000 + i)
        net = build()
        randomize(net, generator)
        state = {k: v.clone() for k, v in net.state_dict().items()}
        x = (torch.rand(shape, generator=generator) * 2 - 1).numpy().astype(np.float32)
        net = net.double()
        with torch.no_grad():
            if fmt == 'yunjey-generator':
                c = (torch.rand((shape[0], c_dim), generator=generator) > 0.5).float().numpy()
                inputs = (torch.from_numpy(x).double(), torch.from_numpy(c).double())
                y_eval = copy.deepcopy(net).eval()(*inputs).numpy().astype(np.float32)
                y = net.train()(*inputs).numpy().astype(np.float32)   # as Solver.test runs
                write(name, fmt, state, x, y, out, labels=c, output_eval=y_eval)
            else:
                src, cls = net.train()(torch.from_numpy(x).double())
                write(name, fmt, state, x, src.numpy().astype(np.float32), out,
                      output_cls=cls.numpy().astype(np.float32))


def randomize_ugatit(net, generator):
    """:func:`randomize`, plus the dense layers, ``rho`` in [0, 1] and ILN's scale and shift."""
    randomize(net, generator)
    for module in net.modules():
        if isinstance(module, nn.Linear):
            w = module.weight
            w.data.copy_(torch.randn(w.shape, generator=generator) * 1.2 / w.shape[1] ** 0.5)
        if hasattr(module, 'rho'):
            module.rho.data.copy_(torch.rand(module.rho.shape, generator=generator))
        if hasattr(module, 'rho') and hasattr(module, 'gamma'):
            c = module.gamma.shape
            module.gamma.data.copy_(0.5 + torch.rand(c, generator=generator))
            module.beta.data.copy_(torch.randn(c, generator=generator) * 0.2)
    for name, param in net.named_parameters():   # spectral norm's raw weight
        if name.endswith('weight_orig'):
            fan_in = param[0].numel()
            param.data.copy_(torch.randn(param.shape, generator=generator) / fan_in ** 0.5)


def biased_iln(x, rho, eps):
    """``rho x_in + (1 - rho) x_ln`` with biased variances (d2gan's default, TensorFlow's)."""
    def normalize(dims):
        centred = x - x.mean(dim=dims, keepdim=True)
        return centred / torch.sqrt((centred ** 2).mean(dim=dims, keepdim=True) + eps)
    return rho * normalize((2, 3)) + (1 - rho) * normalize((1, 2, 3))


def ugatit_biased(ref, net, x):
    """``net(x)`` with the reference's ILN / adaILN computing biased variances."""
    saved = ref.adaILN.forward, ref.ILN.forward
    ref.adaILN.forward = lambda self, h, gamma, beta: (
        biased_iln(h, self.rho, self.eps) * gamma[:, :, None, None] + beta[:, :, None, None])
    ref.ILN.forward = lambda self, h: biased_iln(h, self.rho, self.eps) * self.gamma + self.beta
    try:
        return net(x)
    finally:
        ref.adaILN.forward, ref.ILN.forward = saved


def ugatit_cases(ref):
    """``name -> (format, build, input shape)`` of znxlwm/UGATIT-pytorch's networks."""
    return {
        'generator': ('ugatit-generator', lambda: ref.ResnetGenerator(
            3, 3, ngf=4, n_blocks=2, img_size=16, light=False), (2, 3, 16, 16)),
        'generator_light': ('ugatit-generator', lambda: ref.ResnetGenerator(
            3, 1, ngf=2, n_blocks=1, img_size=16, light=True), (2, 3, 16, 16)),
        'discriminator': ('ugatit-discriminator', lambda: ref.Discriminator(
            3, ndf=4, n_layers=5), (2, 3, 32, 32)),
    }


def write_ugatit(ref, out):
    os.makedirs(out, exist_ok=True)
    for i, (name, (fmt, build, shape)) in enumerate(ugatit_cases(ref).items()):
        generator = torch.Generator().manual_seed(3000 + i)
        net = build()
        randomize_ugatit(net, generator)
        x = (torch.rand(shape, generator=generator) * 2 - 1).numpy().astype(np.float32)
        if fmt == 'ugatit-discriminator':
            with torch.no_grad():
                for _ in range(3):   # power-iteration steps: u, v as training leaves them
                    net.train()(torch.randn(shape, generator=generator))
        state = {k: v.clone() for k, v in net.state_dict().items()}
        net = net.double().eval()
        inputs = torch.from_numpy(x).double()
        more = {}
        with torch.no_grad():
            y, cam, heatmap = net(inputs)
            if fmt == 'ugatit-generator':
                more['output_biased'] = ugatit_biased(ref, net, inputs)[0].numpy().astype(
                    np.float32)
        write(name, fmt, state, x, y.numpy().astype(np.float32), out,
              output_cam=cam.numpy().astype(np.float32),
              output_heatmap=heatmap.numpy().astype(np.float32), **more)


def photo2cartoon_cases(ref):
    """``name -> (format, build, input shape)`` of minivision-ai/photo2cartoon's generator."""
    return {
        'generator': ('photo2cartoon-generator', lambda: ref.ResnetGenerator(
            ngf=4, img_size=32, light=False), (2, 3, 32, 32)),
        'generator_light': ('photo2cartoon-generator', lambda: ref.ResnetGenerator(
            ngf=4, img_size=32, light=True), (2, 3, 48, 48)),
    }


def coarse(t):
    """``t`` rounded to float16 with 6 of its 10 mantissa bits: the fixture stores float16
    arrays that deflate well (406 keys of ngf 4 stay below 300 KB), exact in float32."""
    bits = t.detach().numpy().astype(np.float16).view(np.uint16) & np.uint16(0xFFC0)
    return torch.from_numpy(bits.view(np.float16).astype(np.float32))


def write_photo2cartoon(ref, out):
    """Random weights (dense biases and Soft-AdaLIN's ``w_gamma`` / ``w_beta`` included) and an
    input, both :func:`coarse` and stored as float16, and the reference's eval-mode ``(image,
    cam_logits, heatmap)`` computed in float64."""
    os.makedirs(out, exist_ok=True)
    for i, (name, (fmt, build, shape)) in enumerate(photo2cartoon_cases(ref).items()):
        generator = torch.Generator().manual_seed(5000 + i)
        net = build()
        randomize_ugatit(net, generator)
        with torch.no_grad():
            for module in net.modules():
                if isinstance(module, nn.Linear) and module.bias is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.2)
                for w in ('w_gamma', 'w_beta'):
                    if hasattr(module, w):
                        getattr(module, w).copy_(torch.rand((1, module.w_gamma.shape[1]),
                                                            generator=generator))
            for value in net.state_dict().values():
                value.copy_(coarse(value))
        state = {k: v.half() for k, v in net.state_dict().items()}
        x = coarse(torch.rand(shape, generator=generator) * 2 - 1)
        net = net.double().eval()
        with torch.no_grad():
            y, cam, heatmap = net(x.double())
        x = x.numpy().astype(np.float16)
        write(name, fmt, state, x, y.numpy().astype(np.float32), out,
              output_cam=cam.numpy().astype(np.float32),
              output_heatmap=heatmap.numpy().astype(np.float32))


def mobilefacenet_draw(key, shape):
    """``(offset, scale)`` of the random values of one MobileFaceNet key: unit-gain
    convolutions, batch-norm scales near 1, PReLU slopes near 0.25, positive variances."""
    if key.endswith('num_batches_tracked'):
        return 1000.0, 0.0
    if key.endswith('prelu.weight'):
        return 0.25, 0.1
    if len(shape) > 1:
        return 0.0, 1.2 / float(np.prod(shape[1:])) ** 0.5
    return {'weight': (1.0, 0.2), 'bias': (0.0, 0.2), 'running_mean': (0.0, 0.2),
            'running_var': (1.0, 0.2)}[key.rsplit('.', 1)[1]]


def mobilefacenet_state(keys, shapes, dtypes, offsets, scales, seed):
    """The random state dict of the fixture, drawn again from its ``keys`` ... ``seed``:
    ``offset + scale * N(0, 1)`` per key in order (NumPy's ``RandomState``, a frozen stream);
    ``tests/test_faceid.py`` draws it the same way."""
    rng = np.random.RandomState(seed)
    return {k: np.asarray(o + s * rng.standard_normal(tuple(int(n) for n in shape[:rank]))
                          ).astype(str(d))
            for k, (rank, *shape), d, o, s in zip(keys, shapes, dtypes, offsets, scales)}


def reference_face_features(checkout):
    """photo2cartoon's ``models/face_features.py`` (with the ``mobilefacenet.py`` it imports),
    without ``models/__init__.py``, which imports the training code."""
    package = types.ModuleType('photo2cartoon_models')
    package.__path__ = [os.path.join(checkout, 'models')]
    sys.modules[package.__name__] = package
    return importlib.import_module('photo2cartoon_models.face_features')


def write_mobilefacenet(checkout, out, seed=6000):
    """``mobilefacenet.npz``: the reference's ``MobileFaceNet(512)`` -- too large to store (1.2 M
    parameters), so the fixture holds its keys, shapes and the rule of its random values
    (:func:`mobilefacenet_state`) -- with the reference's parameter counts, its eval-mode
    output for ``input`` and ``FaceFeatures.cosine_distance(real, fake)`` (crop, resize,
    cosine) at 256 and 32 px with its gradient with respect to ``fake`` (at 256 px its sums
    along rows and columns), all computed in float64; the images are drawn from
    ``RandomState(seed + 1)``."""
    ref = reference_face_features(checkout)
    net = ref.MobileFaceNet(512)
    template = net.state_dict()
    keys = list(template)
    shapes = np.zeros((len(keys), 5), dtype=np.int64)
    for i, key in enumerate(keys):
        shapes[i, 0] = template[key].dim()
        shapes[i, 1:1 + template[key].dim()] = template[key].shape
    dtypes = [str(v.dtype).replace('torch.', '') for v in template.values()]
    draws = np.array([mobilefacenet_draw(k, tuple(v.shape)) for k, v in template.items()])
    state = mobilefacenet_state(keys, shapes, dtypes, draws[:, 0], draws[:, 1], seed)
    rng = np.random.RandomState(seed + 1)
    images = {'input': rng.uniform(-1, 1, (2, 3, 112, 112))}
    for size in (256, 32):
        images[f'real_{size}'] = rng.uniform(-1, 1, (2, 3, size, size))
        images[f'fake_{size}'] = np.clip(images[f'real_{size}'] + rng.normal(
            0, 0.5, (2, 3, size, size)), -1, 1)
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, 'model_mobilefacenet.pth')
        torch.save({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()}, weights)
        features = ref.FaceFeatures(weights, 'cpu')
    features.model.double()
    more = {}
    with torch.no_grad():
        more['output'] = features.model(torch.from_numpy(images['input'])).numpy()
    for size in (256, 32):
        fake = torch.from_numpy(images[f'fake_{size}']).requires_grad_()
        distance = features.cosine_distance(torch.from_numpy(images[f'real_{size}']), fake)
        distance.sum().backward()
        more[f'faceid_{size}'] = distance.detach().numpy()
        grad = fake.grad.numpy()
        if size == 32:
            more['faceid_grad_32'] = grad.astype(np.float32)
        else:   # the full gradient would not stay small: its sums along rows and columns
            more[f'faceid_grad_{size}_rows'] = grad.sum(axis=3).astype(np.float32)
            more[f'faceid_grad_{size}_cols'] = grad.sum(axis=2).astype(np.float32)
    counts = dict(
        num_trainable=sum(p.numel() for p in net.parameters() if p.requires_grad),
        num_running_mean=sum(v.numel() for k, v in template.items()
                             if k.endswith('running_mean')),
        num_batch_norms=sum(isinstance(m, nn.modules.batchnorm._BatchNorm)
                            for m in net.modules()))
    path = os.path.join(out, 'mobilefacenet.npz')
    np.savez_compressed(path, format=np.array('photo2cartoon-mobilefacenet'), keys=np.array(keys),
                        shapes=shapes, dtypes=np.array(dtypes), offsets=draws[:, 0],
                        scales=draws[:, 1], seed=np.array(seed), image_seed=np.array(seed + 1),
                        **{k: np.array(v) for k, v in counts.items()}, **more)
    print(f'{path}: {len(keys)} keys, {counts}, {os.path.getsize(path) // 1024} KiB')


class _Log2Of:
    """``numpy`` for the reference's ``core/model.py``, but ``log2`` answers for ``size``."""

    def __init__(self, size):
        self.size = size

    def log2(self, _):
        return np.log2(self.size)

    def __getattr__(self, name):
        return getattr(np, name)


def reference_starganv2(checkout):
    """``core/model.py`` of a clovaai/stargan-v2 checkout; its imports that no network needs
    (``munch``, the landmark network ``core.wing``) are stood in for when absent."""
    import sys
    import types
    for name in ('munch', 'core', 'core.wing'):
        try:
            importlib.import_module(name)
        except ImportError:
            sys.modules[name] = types.ModuleType(name)
    sys.modules['munch'].__dict__.setdefault('Munch', dict)
    sys.modules['core.wing'].__dict__.setdefault('FAN', None)
    return reference_networks(checkout, ('core', 'model.py'))


def starganv2_cases(ref):
    """``name -> (format, build, input shapes)``: images 16 px, dim_in 8, max_conv_dim 16."""
    def small(cls, size, **kwargs):
        def build():
            ref.np = _Log2Of(size)
            try:
                return cls(img_size=2 ** 14 // 8, max_conv_dim=16, **kwargs)
            finally:
                ref.np = np
        return build
    images = (3, 3, 16, 16)
    return {
        'generator': ('starganv2-generator',
                      small(ref.Generator, 32, style_dim=4, w_hpf=0), images),
        'mapping_network': ('starganv2-mapping_network',
                            lambda: ref.MappingNetwork(latent_dim=4, style_dim=4,
                                                       num_domains=3), (3, 4)),
        'style_encoder': ('starganv2-style_encoder',
                          small(ref.StyleEncoder, 16, style_dim=4, num_domains=3), images),
        'discriminator': ('starganv2-discriminator',
                          small(ref.Discriminator, 16, num_domains=3), images),
    }


def keep_first_units(net, units=8):
    """Zero every weight and bias of the mapping network's 512-unit layers beyond ``units``."""
    for module in net.modules():
        if isinstance(module, nn.Linear):
            module.weight.data[units:] = 0
            module.weight.data[:, units:] = 0
            module.bias.data[units:] = 0


def write_starganv2(ref, out):
    os.makedirs(out, exist_ok=True)
    for i, (name, (fmt, build, shape)) in enumerate(starganv2_cases(ref).items()):
        generator = torch.Generator().manual_seed(4000 + i)
        net = build()
        randomize_ugatit(net, generator)
        for module in net.modules():
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.copy_(torch.randn(module.bias.shape, generator=generator) * 0.2)
        if name == 'mapping_network':
            keep_first_units(net)
        state = {k: v.clone() for k, v in net.state_dict().items()}
        x = (torch.rand(shape, generator=generator) * 2 - 1).numpy().astype(np.float32)
        more = {}
        if name == 'generator':
            more['style'] = torch.randn((shape[0], 4), generator=generator).numpy()
            args = (torch.from_numpy(more['style']).double(),)
        else:
            more['labels'] = np.array([2, 0, 1], dtype=np.int64)   # every domain
            args = (torch.from_numpy(more['labels']),)
        net = net.double().eval()
        with torch.no_grad():
            y = net(torch.from_numpy(x).double(), *args).numpy().astype(np.float32)
        write(name, fmt, state, x, y, out, **more)


def reference_nvlabs(checkout):
    """``(training.networks, torch_utils.ops)`` of a stylegan2-ada-pytorch checkout; ``requests``
    (imported by ``dnnlib`` for downloads only) is stood in for when absent."""
    import sys
    import types
    try:
        importlib.import_module('requests')
    except ImportError:
        sys.modules['requests'] = types.ModuleType('requests')
    sys.path.insert(0, os.path.abspath(checkout))
    networks = importlib.import_module('training.networks')
    ops = importlib.import_module('torch_utils.ops.conv2d_resample')
    return networks, ops


def randomize_stylegan2(net, generator):
    """Random biases, noise strengths and ``w_avg`` on top of the N(0, 1) weights."""
    for name, value in net.state_dict().items():
        leaf = name.rsplit('.', 1)[-1]
        noise = torch.randn(value.shape, generator=generator)
        if leaf == 'bias':
            scale = 20.0 if name.startswith('mapping.') else 0.2   # x lr_multiplier 0.01
            value.copy_((1 if '.affine.' in name else 0) + noise * scale)
        elif leaf in ('noise_strength', 'w_avg'):
            value.copy_(noise * (0.3 if leaf == 'noise_strength' else 1.0))


def write_nvlabs(checkout, out):
    networks, resample = reference_nvlabs(checkout)
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(2000)
    torch.manual_seed(2000)                     # the reference's own torch.randn initialisers
    widths = dict(channel_base=128, channel_max=16)
    G = networks.Generator(z_dim=24, c_dim=0, w_dim=16, img_resolution=16, img_channels=3,
                           mapping_kwargs=dict(num_layers=2), synthesis_kwargs=widths).eval()
    with torch.no_grad():
        randomize_stylegan2(G, generator)
        z = torch.randn((3, 24), generator=generator)
        ws = G.mapping(z, None)
        more = dict(z=z, ws=ws, ws_trunc=G.mapping(z, None, truncation_psi=0.7),
                    ws_cut=G.mapping(z, None, truncation_psi=0.5, truncation_cutoff=2),
                    image=G.synthesis(ws, noise_mode='none'),
                    image_trunc=G(z, None, truncation_psi=0.7, noise_mode='none'))
        x = torch.randn((2, 5, 4, 4), generator=generator)
        w = torch.randn((6, 5, 3, 3), generator=generator)
        f = G.synthesis.b8.conv0.resample_filter
        more.update(up_x=x, up_w=w, up_y=resample.conv2d_resample(x, w, f, up=2, padding=1,
                                                                  flip_weight=False))
    more = {k: v.numpy().astype(np.float32) for k, v in more.items()}
    write('generator', 'nvlabs-stylegan2-generator', G.state_dict(), more.pop('z'),
          more.pop('image'), out, **more)
    D = networks.Discriminator(c_dim=0, img_resolution=16, img_channels=3,
                               epilogue_kwargs=dict(mbstd_group_size=4), **widths).eval()
    with torch.no_grad():
        randomize_stylegan2(D, generator)
        x = torch.rand((4, 3, 16, 16), generator=generator) * 2 - 1
        y = D(x, None)
    write('discriminator', 'nvlabs-stylegan2-discriminator', D.state_dict(), x.numpy(),
          y.numpy(), out)


def write_nvlabs_pickle(checkout, out):
    """``nvlabs/snapshot.pkl``: the reference's networks pickled as its ``training_loop.py``
    writes snapshots (and the released ``ffhq.pkl`` etc. are): ``pickle.dump(dict(
    training_set_kwargs=..., G=..., D=..., G_ema=..., augment_pipe=None))`` of its persistent
    classes. ``G_ema`` and ``D`` hold the weights of ``generator.npz`` / ``discriminator.npz``
    (written before), ``G`` random others; the test compares the outputs with those files'."""
    import pickle
    networks, _ = reference_nvlabs(checkout)
    widths = dict(channel_base=128, channel_max=16)

    def state_of(name):
        with np.load(os.path.join(out, f'{name}.npz')) as f:
            return {k[len('state/'):]: torch.from_numpy(f[k]) for k in f.files
                    if k.startswith('state/')}

    def generator():
        return networks.Generator(z_dim=24, c_dim=0, w_dim=16, img_resolution=16,
                                  img_channels=3, mapping_kwargs=dict(num_layers=2),
                                  synthesis_kwargs=widths)
    G_ema, G = generator(), generator()
    G_ema.load_state_dict(state_of('generator'))
    with torch.no_grad():
        randomize_stylegan2(G, torch.Generator().manual_seed(2001))
    D = networks.Discriminator(c_dim=0, img_resolution=16, img_channels=3,
                               epilogue_kwargs=dict(mbstd_group_size=4), **widths)
    D.load_state_dict(state_of('discriminator'))
    snapshot = dict(training_set_kwargs=dict(resolution=16, use_labels=False))
    for name, net in (('G', G), ('D', D), ('G_ema', G_ema)):
        snapshot[name] = copy.deepcopy(net).eval().requires_grad_(False).cpu()
    snapshot['augment_pipe'] = None
    path = os.path.join(out, 'snapshot.pkl')
    with open(path, 'wb') as f:
        pickle.dump(snapshot, f)
    print(f'{path}: {os.path.getsize(path) // 1024} KiB')


ROSINALITY_OP = {
    '__init__.py': """from .fused_act import FusedLeakyReLU, fused_leaky_relu
from .upfirdn2d import upfirdn2d
from . import conv2d_gradfix
""",
    'fused_act.py': """import math
import torch
from torch import nn
from torch.nn import functional as F


def fused_leaky_relu(x, bias=None, negative_slope=0.2, scale=math.sqrt(2)):
    if bias is not None:
        x = x + bias.reshape((1, -1) + (1,) * (x.ndim - 2))
    return F.leaky_relu(x, negative_slope) * scale


class FusedLeakyReLU(nn.Module):
    def __init__(self, channel, bias=True, negative_slope=0.2, scale=math.sqrt(2)):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channel)) if bias else None
        self.negative_slope, self.scale = negative_slope, scale

    def forward(self, x):
        return fused_leaky_relu(x, self.bias, self.negative_slope, self.scale)
""",
    'upfirdn2d.py': """import torch
from torch.nn import functional as F


def upfirdn2d(x, kernel, up=1, down=1, pad=(0, 0)):
    px0, px1, py0, py1 = tuple(pad) * 2 if len(pad) == 2 else pad
    assert min(px0, px1, py0, py1) >= 0, 'negative padding is not stood in for'
    n, c, h, w = x.shape
    if up > 1:
        z = x.new_zeros((n, c, h * up, w * up))
        z[:, :, ::up, ::up] = x
        x = z
    x = F.pad(x, [px0, px1, py0, py1])
    k = torch.flip(kernel, [0, 1]).to(x.dtype)[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(x, k, groups=c)[:, :, ::down, ::down]
""",
    'conv2d_gradfix.py': """from torch.nn import functional as F

conv2d = F.conv2d
conv_transpose2d = F.conv_transpose2d
""",
}
ROSINALITY_WIDTHS = {4: 16, 8: 16, 16: 8}


def reference_rosinality(checkout):
    """rosinality's ``model.py`` with the stand-in ``op`` package and the narrowed channel
    table (the module docstring says why)."""
    import re
    import sys
    import tempfile
    import types
    folder = tempfile.mkdtemp(prefix='rosinality_op_')
    os.makedirs(os.path.join(folder, 'op'))
    for name, text in ROSINALITY_OP.items():
        with open(os.path.join(folder, 'op', name), 'w') as f:
            f.write(text)
    sys.path.insert(0, folder)
    with open(os.path.join(checkout, 'model.py')) as f:
        source = f.read()
    source, count = re.subn(r'\b(4|8|16): 512,',
                            lambda m: f'{m.group(1)}: {ROSINALITY_WIDTHS[int(m.group(1))]},',
                            source)
    assert count == 6, f'expected two channel tables in model.py, patched {count} entries'
    module = types.ModuleType('rosinality_model')
    module.__file__ = os.path.join(checkout, 'model.py')
    exec(compile(source, module.__file__, 'exec'), module.__dict__)
    return module


def randomize_rosinality(net, generator):
    """Random biases and noise weights on top of the reference's own random weights."""
    for name, value in net.state_dict().items():
        leaf = name.rsplit('.', 1)[-1]
        noise = torch.randn(value.shape, generator=generator)
        if leaf == 'bias':
            mapping = name.startswith('style.')
            scale = 20.0 if mapping else 0.2   # x lr_mul 0.01
            value.copy_((1 if '.modulation.' in name else 0) + noise * scale)
        elif name.endswith('noise.weight'):
            value.copy_(noise * 0.3)


def write_rosinality(checkout, out):
    model = reference_rosinality(checkout)
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(3000)
    torch.manual_seed(3000)
    nets = {}
    for name in ('g', 'g_ema'):
        nets[name] = model.Generator(16, 16, 2, channel_multiplier=1).eval()
        randomize_rosinality(nets[name], generator)
    nets['d'] = model.Discriminator(16, channel_multiplier=1).eval()
    randomize_rosinality(nets['d'], generator)
    G, D = nets['g_ema'], nets['d']
    with torch.no_grad():
        latent_avg = torch.randn(16, generator=generator)
        z = torch.randn((3, 16), generator=generator)
        zeros = [torch.zeros((1, 1, 2 ** ((i + 5) // 2), 2 ** ((i + 5) // 2)))
                 for i in range(G.num_layers)]
        more = dict(ws=G.style(z), output=G([z], noise=zeros)[0],
                    image_trunc=G([z], truncation=0.7, truncation_latent=latent_avg,
                                  noise=zeros)[0])
        d_input = torch.rand((4, 3, 16, 16), generator=generator) * 2 - 1
        more.update(d_input=d_input, d_output=D(d_input))
        up = model.ModulatedConv2d(5, 6, 3, 4, demodulate=False, upsample=True)
        up.modulation.weight.zero_()
        up.modulation.bias.fill_(1)
        x, style = torch.randn((2, 5, 4, 4), generator=generator), torch.zeros((2, 4))
        more.update(up_x=x, up_w=up.weight[0], up_y=up(x, style) / up.scale)
        down = model.ConvLayer(5, 6, 3, downsample=True, bias=False, activate=False)
        x = torch.randn((2, 5, 8, 8), generator=generator)
        more.update(down_x=x, down_w=down[1].weight, down_y=down(x) / down[1].scale)
    more = {k: v.detach().numpy().astype(np.float32) for k, v in more.items()}
    state = {f'{name}.{k}': v for name, net in nets.items() for k, v in net.state_dict().items()}
    state['latent_avg'] = latent_avg
    write('checkpoint', 'rosinality-stylegan2-generator', state, z.numpy(), more.pop('output'),
          out, **more)


def reference_spade(checkout):
    """``models.networks`` of an NVlabs/SPADE checkout, imported as a package (its modules
    import each other by absolute name). Imports no network needs are stood in for when
    absent: ``torchvision`` (the VGG loss), ``dill`` and ``PIL`` (``util.util``'s saving), and
    ``sync_batchnorm`` (vacancy/Synchronized-BatchNorm-PyTorch, which the reference's README
    copies into ``models/networks/``) by ``nn.BatchNorm2d``: on one device, as here, its
    ``SynchronizedBatchNorm2d`` computes ``F.batch_norm`` with the same state dict keys."""
    for name in ('torchvision', 'dill', 'PIL', 'PIL.Image'):
        try:
            importlib.import_module(name)
        except ImportError:
            sys.modules[name] = types.ModuleType(name)
    sys.modules['PIL'].__dict__.setdefault('Image', sys.modules['PIL.Image'])
    sys.path.insert(0, os.path.abspath(checkout))
    batchnorm = os.path.join(checkout, 'models', 'networks', 'sync_batchnorm')
    if not os.path.isdir(batchnorm):    # a separate repository the README copies in
        stand_in = types.ModuleType('models.networks.sync_batchnorm')
        stand_in.SynchronizedBatchNorm2d = nn.BatchNorm2d
        sys.modules['models.networks.sync_batchnorm'] = stand_in
    return importlib.import_module('models.networks')


def spade_options(**more):
    """The reference's options for its default Cityscapes-like networks, small."""
    opt = dict(ngf=1, ndf=2, label_nc=3, output_nc=3, contain_dontcare_label=False,
               no_instance=False, semantic_nc=4, norm_G='spectralspadesyncbatch3x3',
               norm_D='spectralinstance', use_vae=False, num_upsampling_layers='normal',
               crop_size=32, aspect_ratio=1.0, n_layers_D=4, num_D=2, netD_subarch='n_layer',
               no_ganFeat_loss=False)
    return types.SimpleNamespace(**dict(opt, **more))


def keep_first_spade_units(net, units=8):
    """Zero SPADE's 128 hardcoded hidden units beyond ``units`` (they compress to nothing)."""
    for name, module in net.named_modules():
        if name.endswith('mlp_shared.0'):
            module.weight.data[units:] = 0
            module.bias.data[units:] = 0
        elif name.endswith(('mlp_gamma', 'mlp_beta')):
            module.weight.data[:, units:] = 0


def write_spade(checkout, out):
    """``spade/generator.npz`` (``input`` a one-hot map + instance edges at 32 x 32, ``output``
    the image) and ``spade/discriminator.npz`` (``input`` the concatenated map and image,
    ``output`` every feature map of both scales, flattened in order, ``output_shapes``)."""
    ref = reference_spade(checkout)
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(7000)
    opt = spade_options()
    for name, fmt, net in (('generator', 'spade-generator', ref.SPADEGenerator(opt)),
                           ('discriminator', 'spade-discriminator',
                            ref.MultiscaleDiscriminator(opt))):
        randomize_ugatit(net, generator)
        keep_first_spade_units(net)
        channels = opt.semantic_nc + (opt.output_nc if name == 'discriminator' else 0)
        shape = (2, channels, 32, 32)

        def draw():
            labels = torch.randint(0, opt.label_nc, (shape[0], shape[2], shape[3]),
                                   generator=generator)
            x = torch.nn.functional.one_hot(labels, opt.label_nc).permute(0, 3, 1, 2).float()
            edges = (torch.rand((shape[0], 1) + shape[2:], generator=generator) < 0.2).float()
            image = torch.rand((shape[0], channels - opt.semantic_nc) + shape[2:],
                               generator=generator) * 2 - 1
            return torch.cat([x, edges, image], 1)
        with torch.no_grad():
            for _ in range(3):   # power-iteration steps (and batch statistics), as training
                net.train()(draw())
        randomize_running_stats(net, generator)
        state = {k: v.clone() for k, v in net.state_dict().items()}
        x = draw().numpy()
        net = net.double().eval()
        with torch.no_grad():
            y = net(torch.from_numpy(x).double())
        if name == 'discriminator':
            maps = [m for scale in y for m in scale]
            more = dict(output_shapes=np.array([m.shape for m in maps]))
            y = torch.cat([m.reshape(-1) for m in maps])
        else:
            more = {}
        write(name, fmt, state, x, y.numpy().astype(np.float32), out, **more)


def randomize_running_stats(net, generator):
    """Random running statistics of every batch norm (SPADE's synchronized ones included)."""
    for module in net.modules():
        if getattr(module, 'running_mean', None) is not None:
            c = module.running_mean.shape[0]
            module.running_mean.copy_(torch.randn(c, generator=generator) * 0.3)
            module.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=generator))


def reference_attgan(checkout):
    """``attgan.py`` of an elvisyjlin/AttGAN-PyTorch checkout (it imports the checkout's
    ``nn.py`` as ``nn``); ``torchsummary`` (printing only) is stood in for when absent."""
    try:
        importlib.import_module('torchsummary')
    except ImportError:
        stand_in = types.ModuleType('torchsummary')
        stand_in.summary = lambda *args, **kwargs: None
        sys.modules['torchsummary'] = stand_in
    sys.path.insert(0, os.path.abspath(checkout))
    return reference_networks(checkout, ('attgan.py',))


def keep_first_channels(net, channels=8):
    """Zero every convolution's input and output channels (and their norm's shift) beyond
    ``channels``, and the dense layers' inputs from them: the reference's discriminator is 1024 wide at the
    end whatever its size; the zeros compress."""
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            module.weight.data[channels:] = 0
            module.weight.data[:, max(channels, 3):] = 0
        elif isinstance(module, nn.InstanceNorm2d) and module.bias is not None:
            module.bias.data[channels:] = 0
        elif isinstance(module, nn.Linear) and module.in_features % 1024 == 0:
            # the flattened (1024, f, f) features, channel-major
            module.weight.data.view(module.out_features, 1024, -1)[:, channels:] = 0


def write_attgan(checkout, out):
    """``attgan/generator.npz`` and ``attgan/discriminator.npz`` of the reference's networks
    in eval mode (as its ``test.py``): the generator with 13 attributes, ``enc_dim`` /
    ``dec_dim`` 4, 3 + 3 layers, shortcut 1, inject 1 at 16 px (``input`` images, ``labels``
    the attribute vector it is told, ``(2 b - 1) * 0.5``); the discriminator at its fixed
    1024-wide end (``dim`` 256, 3 layers, 16 px, ``fc_dim`` 16; channels beyond the first 8
    zero), ``output`` the adversarial score, ``output_cls`` the attribute logits."""
    ref = reference_attgan(checkout)
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(8000)
    G = ref.Generator(enc_dim=4, enc_layers=3, dec_dim=4, dec_layers=3, n_attrs=13,
                      shortcut_layers=1, inject_layers=1, img_size=16)
    randomize_ugatit(G, generator)
    x = (torch.rand((3, 3, 16, 16), generator=generator) * 2 - 1).numpy()
    labels = ((torch.rand((3, 13), generator=generator) > 0.5).float() - 0.5).numpy()
    G = G.double().eval()
    with torch.no_grad():
        y = G(torch.from_numpy(x).double(), torch.from_numpy(labels).double())
    write('generator', 'attgan-generator', G.float().state_dict(), x.astype(np.float32),
          y.numpy().astype(np.float32), out, labels=labels.astype(np.float32))
    D = ref.Discriminators(dim=256, fc_dim=16, n_layers=3, img_size=16,
                           fc_acti_fn='relu')
    randomize_ugatit(D, generator)
    keep_first_channels(D)
    x = (torch.rand((3, 3, 16, 16), generator=generator) * 2 - 1).numpy()
    D = D.double().eval()
    with torch.no_grad():
        adv, cls = D(torch.from_numpy(x).double())
    write('discriminator', 'attgan-discriminator', D.float().state_dict(),
          x.astype(np.float32), adv.numpy().astype(np.float32), out,
          output_cls=cls.numpy().astype(np.float32))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkout', nargs='?',
                        help='a checkout of junyanz/pytorch-CycleGAN-and-pix2pix')
    parser.add_argument('--stargan', default=None, metavar='CHECKOUT',
                        help='a checkout of yunjey/stargan')
    parser.add_argument('--ugatit', default=None, metavar='CHECKOUT',
                        help='a checkout of znxlwm/UGATIT-pytorch')
    parser.add_argument('--starganv2', default=None, metavar='CHECKOUT',
                        help='a checkout of clovaai/stargan-v2')
    parser.add_argument('--nvlabs', default=None, metavar='CHECKOUT',
                        help='a checkout of NVlabs/stylegan2-ada-pytorch')
    parser.add_argument('--nvlabs-pickle', default=None, metavar='CHECKOUT',
                        help='only nvlabs/snapshot.pkl (from the .npz fixtures already there)')
    parser.add_argument('--rosinality', default=None, metavar='CHECKOUT',
                        help='a checkout of rosinality/stylegan2-pytorch')
    parser.add_argument('--photo2cartoon', default=None, metavar='CHECKOUT',
                        help='a checkout of minivision-ai/photo2cartoon')
    parser.add_argument('--attgan', default=None, metavar='CHECKOUT',
                        help='a checkout of elvisyjlin/AttGAN-PyTorch')
    parser.add_argument('--spade', default=None, metavar='CHECKOUT',
                        help='a checkout of NVlabs/SPADE')
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    if args.spade:
        write_spade(args.spade, os.path.join(args.out, 'spade'))
    if args.attgan:
        write_attgan(args.attgan, os.path.join(args.out, 'attgan'))
    if args.rosinality:
        write_rosinality(args.rosinality, os.path.join(args.out, 'rosinality'))
    if args.nvlabs:
        write_nvlabs(args.nvlabs, os.path.join(args.out, 'nvlabs'))
    if args.nvlabs or args.nvlabs_pickle:
        write_nvlabs_pickle(args.nvlabs or args.nvlabs_pickle, os.path.join(args.out, 'nvlabs'))
    if args.starganv2:
        write_starganv2(reference_starganv2(args.starganv2), os.path.join(args.out, 'starganv2'))
    if args.photo2cartoon:
        write_photo2cartoon(reference_networks(args.photo2cartoon),
                            os.path.join(args.out, 'photo2cartoon'))
        write_mobilefacenet(args.photo2cartoon, os.path.join(args.out, 'photo2cartoon'))
    if args.ugatit:
        write_ugatit(reference_networks(args.ugatit, ('networks.py',)),
                     os.path.join(args.out, 'ugatit'))
    if args.stargan:
        write_stargan(reference_networks(args.stargan, ('model.py',)),
                      os.path.join(args.out, 'yunjey'))
    if not args.checkout:
        return
    ref = reference_networks(args.checkout)
    os.makedirs(args.out, exist_ok=True)
    for i, (name, (fmt, build, shape)) in enumerate(cases(ref).items()):
        generator = torch.Generator().manual_seed(1000 + i)
        old_style = name.endswith('_2018')
        net = build(old_style)
        randomize(net, generator)
        state = net.state_dict()
        if old_style:   # the current reference keeps no instance-norm statistics
            current = build(False)
            current.load_state_dict({k: v for k, v in state.items()
                                     if k in current.state_dict()})
            net = current
        x = (torch.rand(shape, generator=generator) * 2 - 1).numpy().astype(np.float32)
        write(name, fmt, state, x, reference_output(net, x), args.out)


if __name__ == '__main__':
    main()
