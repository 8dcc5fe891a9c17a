"""``python -m d2gan convert``: a reference implementation's weights -> a d2gan network file.

::

    python -m d2gan convert --format junyanz-resnet_9blocks --input latest_net_G.pth \
        --out runs/horse2zebra/G_A.params

writes ``G_A.params`` (Gluon ``save_parameters``) and ``G_A.json`` (the registry name and
arguments that rebuild the network); ``d2gan.pretrained.load_converted('.../G_A.params')``
loads both, and ``python -m d2gan infer --weights .../G_A.params`` translates with it
(:mod:`d2gan.cli.weights`). Formats: ``junyanz-*`` (pix2pix / CycleGAN generators,
PatchGAN), ``yunjey-generator`` / ``yunjey-discriminator`` (StarGAN). ``--input`` is ``.npz``
(always) or ``.pth`` / ``.pt`` / ``.ckpt`` (needs torch). A file that does not fit the format is
an ``error:`` line naming every unexpected or missing key and wrong shape
(:mod:`d2gan.pretrained`).
"""
from .. import pretrained
from .values import HelpFormatter


def add_parser(sub):
    convert = sub.add_parser(
        'convert', help="convert a reference implementation's weights into a d2gan network",
        formatter_class=HelpFormatter,
        description='Writes OUT (.params, the d2gan network) and OUT with .json (the '
                    'd2gan.get_model arguments that rebuild it).')
    convert.add_argument('--format', required=True, metavar='NAME',
                         help='the reference network: ' + ', '.join(pretrained.list_formats()))
    convert.add_argument('--input', required=True,
                         help='the state dict: .npz, or .pth / .pt / .ckpt (needs torch)')
    convert.add_argument('--out', required=True,
                         help='the d2gan .params file to write (and a .json beside it)')


def run(args):
    state = pretrained.read_state_dict(args.input)
    net, config = pretrained.convert(args.format, state)
    params, sidecar = pretrained.save_converted(net, config, args.out, fmt=args.format,
                                                source=args.input)
    arguments = ', '.join(f'{k}={v!r}' for k, v in config['kwargs'].items())
    print(f'{args.input} ({len(state)} keys) -> {config["model"]}({arguments})')
    print(f'wrote {params} and {sidecar}')
    return 0
