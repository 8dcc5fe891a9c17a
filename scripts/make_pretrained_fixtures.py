"""Write the equality fixtures of ``tests/test_pretrained.py``: reference networks' weights,
an input and the reference's output, one ``.npz`` per case in ``tests/data/pretrained/``.

Run where PyTorch and NumPy are installed (not MXNet) and checkouts of the references exist::

    python scripts/make_pretrained_fixtures.py PATH/TO/pytorch-CycleGAN-and-pix2pix \
        --stargan PATH/TO/stargan

(either one alone writes only its family's fixtures). It imports ``models/networks.py``
(junyanz) or ``model.py`` (yunjey/stargan, into ``yunjey/``) of the checkout, builds each
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
"""
import argparse
import copy
import functools
import importlib.util
import os

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkout', nargs='?',
                        help='a checkout of junyanz/pytorch-CycleGAN-and-pix2pix')
    parser.add_argument('--stargan', default=None, metavar='CHECKOUT',
                        help='a checkout of yunjey/stargan')
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
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
