"""``infer`` for domain translation: StarGAN v2 (``labelled`` recipes whose labels are domains).

Every image of ``--input`` (a folder, or one image) goes into domain ``--target-domain K`` as
``G(x, s)``, with a style ``s`` of domain ``K`` from the moving averages ``G_ema``, ``F_ema``,
``E_ema`` (what the reference samples with, and :meth:`StarGANv2Step.translate` uses):

* latent-guided (``--latent-seed S``, ``--num-styles N``): ``s = F(z, K)`` for ``N`` latents
  drawn from seed ``S`` (:func:`latent_codes`); style ``k`` is the same for every input;
* reference-guided (``--reference IMAGE_OR_FOLDER``): ``s = E(r, K)`` for each reference ``r``
  (an image of domain ``K``), one style per reference.

A checkpoint holds F and E, so one of the two must be chosen. ``--out FOLDER`` receives
``NAME.png`` per input (``NAME_k.png`` for style ``k`` of several) and ``grid.png``;
``--out X.png`` only the grid. The grid's first row holds the inputs, then one row per style;
reference-guided rows start with their reference (top-left blank), as the reference's
``translate_using_reference``. It shows at most the first 16 inputs in the first 16 styles
(the output line says so when there are more); with ``--out X.png`` only those are computed.

``--weights G.params`` (converted ``starganv2-generator``) takes its styles from ``--mapping
F.params`` and / or ``--style-encoder E.params`` (``starganv2-mapping_network``,
``-style_encoder``), each with the ``.json`` that ``convert`` writes (:func:`infer_weights`).
Inputs are resized to ``--image-size`` (default: G's ``img_size``; any multiple of ``2**levels``
of its down-sampling runs), references to E's ``img_size`` (the only size E takes). Only
``w_hpf = 0`` (AFHQ) generators run: CelebA-HQ's ``w_hpf = 1`` needs face masks from the
reference's FAN landmark network, which d2gan does not ship.
"""
import os

import cv2
import numpy as np
import mxnet as mx
from mxnet import autograd, nd

from .. import pretrained
from ..data import list_images, paired
from ..device import as_device_list
from ..plot import save_grid
from .common import load_step, write_pngs
from .values import positive_int

KINDS = ('domains',)
TITLE = 'domain translation'
#: The grid shows at most this many inputs (columns) and styles (rows); every output is still
#: written as its own PNG (a folder of 500 references once made a 318 MB grid).
GRID_INPUTS, GRID_STYLES = 16, 16


def add_infer_options(group):
    group.add_argument('--target-domain', type=int, default=None, metavar='K',
                       help='the domain to translate into (0 .. num_domains - 1; required)')
    group.add_argument('--latent-seed', type=int, default=None, metavar='S',
                       help='latent-guided: styles F(z, K) from latents of this seed')
    group.add_argument('--num-styles', type=positive_int, default=None, metavar='N',
                       help='latent-guided: N styles (outputs) per input (default 1)')
    group.add_argument('--reference', default=None, metavar='IMAGE_OR_FOLDER',
                       help='reference-guided: styles E(r, K) of these images (of domain K)')
    group.add_argument('--mapping', default=None, metavar='F.params',
                       help='with --weights: a converted starganv2-mapping_network')
    group.add_argument('--style-encoder', default=None, metavar='E.params',
                       help='with --weights: a converted starganv2-style_encoder')


def latent_codes(seed, num, latent_dim):
    """``num`` latents of ``seed``, float32 ``(num, latent_dim)``; the same for any inputs."""
    return np.random.default_rng(seed).standard_normal((num, latent_dim)).astype(np.float32)


def image_files(path, option):
    """``[path]`` for an image file, the images under a folder (sorted)."""
    if os.path.isfile(path):
        return [path]
    if not os.path.exists(path):
        raise ValueError(f'{option} {path}: no such file or folder')
    return list_images(path)


def load_images(files, size, channels):
    """Image files resized to ``size``, float32 NCHW in [-1, 1]; grey when ``channels == 1``."""
    images = [paired._resize(paired._decode(f), size) for f in files]
    if channels == 1:
        images = [cv2.cvtColor(im, cv2.COLOR_RGB2GRAY)[..., None] for im in images]
    return paired.to_tensor(images)


def _guidance(args, latent_ok, reference_ok):
    """``True`` for latent-guided, ``False`` for reference-guided; refuses a choice that is
    missing, ambiguous or impossible with the networks at hand."""
    latent = args.latent_seed is not None or args.num_styles is not None
    if latent and args.reference:
        raise ValueError('--reference (reference-guided) and --latent-seed / --num-styles '
                         '(latent-guided) exclude each other: give one of them')
    if not latent and not args.reference:
        if latent_ok and reference_ok:
            raise ValueError('choose the style: --latent-seed S [--num-styles N] (latent-'
                             'guided) or --reference IMAGE_OR_FOLDER (reference-guided)')
        latent = latent_ok
    if latent and not latent_ok:
        raise ValueError('latent-guided translation needs a mapping network: --mapping '
                         'F.params (or --reference IMAGE with the style encoder)')
    if not latent and not reference_ok:
        raise ValueError('reference-guided translation needs a style encoder: '
                         '--style-encoder E.params')
    if not latent and not args.reference:
        raise ValueError('a style encoder alone translates reference-guided: give --reference '
                         'IMAGE_OR_FOLDER (or --mapping F.params for latent-guided)')
    return latent


def translate(G, F, E, args, num_domains, size, ref_size, channels, device):
    """Translate every input in every style into ``--target-domain`` and write the PNGs as
    they come (``--out FOLDER``) and the grid of the first 16 inputs x 16 styles; with
    ``--out X.png`` only the grid, and only what it shows is computed."""
    domain = args.target_domain
    if domain is None or not 0 <= domain < num_domains:
        got = 'none given' if domain is None else f'got {domain}'
        raise ValueError(f'--target-domain must be one of the {num_domains} domains, '
                         f'0..{num_domains - 1} ({got})')
    latent = _guidance(args, F is not None, E is not None)
    files = image_files(args.input, '--input')
    X = load_images(files, size, channels)
    references = None
    with autograd.predict_mode():
        if latent:
            z = latent_codes(args.latent_seed or 0, args.num_styles or 1, F.latent_dim)
            s = F(nd.array(z, ctx=device), nd.full((len(z),), domain, ctx=device))
        else:
            references = load_images(image_files(args.reference, '--reference'), ref_size,
                                     channels)
            s = E(nd.array(references, ctx=device),
                  nd.full((len(references),), domain, ctx=device))
        grid_only = args.out.lower().endswith(('.png', '.jpg'))
        num_styles = min(s.shape[0], GRID_STYLES) if grid_only else s.shape[0]
        num_inputs = min(len(X), GRID_INPUTS) if grid_only else len(X)
        stems = [os.path.splitext(os.path.basename(f))[0] for f in files]
        batch = args.batch_size or 8
        shown = []                               # the grid's rows: its inputs in one style
        for k in range(num_styles):
            outs = []
            for i in range(0, num_inputs, batch):
                x = nd.array(X[i:min(i + batch, num_inputs)], ctx=device)
                style = nd.broadcast_to(s[k:k + 1], (x.shape[0], s.shape[1]))
                out = G(x, style).as_in_context(mx.cpu())
                if not grid_only:                # written now: nothing piles up in memory
                    names = stems[i:i + x.shape[0]]
                    write_pngs(out, names if s.shape[0] == 1 else [f'{n}_{k}' for n in names],
                               args.out)
                if k < GRID_STYLES and i < GRID_INPUTS:
                    outs.append(out)
            if outs:
                shown.append(nd.concat(*outs, dim=0)[:GRID_INPUTS])
    how = (f'latent-guided, seed {args.latent_seed or 0}' if latent
           else f'reference-guided by {args.reference}')
    grid = _write_grid(args.out if grid_only else os.path.join(args.out, 'grid.png'),
                       X[:GRID_INPUTS], shown,
                       None if references is None else references[:GRID_STYLES])
    capped = len(X) > GRID_INPUTS or s.shape[0] > GRID_STYLES
    print(f'translated {num_inputs} images ({size}x{size}) into domain {domain} in '
          f'{num_styles} style(s) ({how}); wrote {args.out}'
          + (f' ({grid} shows the first {len(shown[0])} inputs x {len(shown)} styles of '
             f'{len(X)} x {s.shape[0]})' if capped else ''))


def _write_grid(path, X, rows, references):
    """The grid: inputs on top, one row per style; reference-guided rows start with their
    reference (top-left blank). Returns ``path``."""
    cells = [nd.array(X)] + rows
    if references is not None:       # a first column: blank, then each row's reference
        side = [nd.ones((1,) + X.shape[1:])] + [nd.array(r[None]) for r in
                                                _fit(references, X.shape[2])]
        cells = [nd.concat(c, row, dim=0) for c, row in zip(side, cells)]
    save_grid(nd.concat(*cells, dim=0), path, nrow=cells[0].shape[0])
    return path


def _fit(images, size):
    """NCHW images resized to ``size`` (references at E's size, in a grid of G's)."""
    if images.shape[2] == size:
        return images
    hwc = [cv2.resize(np.ascontiguousarray(im.transpose(1, 2, 0)), (size, size))
           for im in images]
    return np.stack([im.reshape(size, size, -1).transpose(2, 0, 1) for im in hwc])


def infer(args):
    """``infer --checkpoint`` of a starganv2 run: its ``G_ema``, ``F_ema``, ``E_ema``."""
    for option in ('mapping', 'style_encoder'):
        if getattr(args, option):
            raise ValueError(f'--{option.replace("_", "-")} applies to --weights; a checkpoint '
                             'holds its own mapping network and style encoder')
    step, config = load_step(args)
    size = config['image_size']
    translate(step.G_ema, step.F_ema, step.E_ema, args, step.num_domains, size, size,
              config.get('channels', 3), step.devices[0])


def _part(path, flag, model, device):
    """``(net, kwargs)`` of a converted network given by ``flag``, which must be ``model``."""
    if not path:
        return None, None
    meta = pretrained.read_sidecar(path)
    if meta['model'] != model:
        raise ValueError(f'{flag} {path} holds a {meta["model"]} (format {meta.get("format")}); '
                         f'{flag} takes a converted {model}')
    return pretrained.load_converted(path, device), meta['kwargs']


def infer_weights(args, meta):
    """``infer --weights G.params`` of a converted StarGAN v2 generator (``meta``: its
    ``.json``) with ``--mapping`` and / or ``--style-encoder``."""
    kwargs = meta['kwargs']
    if kwargs.get('w_hpf', 1):
        raise ValueError(f'{args.weights} is a w_hpf={kwargs.get("w_hpf", 1)} generator (the '
                         "reference's CelebA-HQ models), whose high-pass skips need face masks "
                         "from the reference's FAN landmark network, which d2gan does not ship; "
                         'only w_hpf=0 generators (AFHQ) run')
    device = as_device_list(args.device)[0]
    F, f_kwargs = _part(args.mapping, '--mapping', 'starganv2_mapping', device)
    E, e_kwargs = _part(args.style_encoder, '--style-encoder', 'starganv2_style_encoder',
                        device)
    if F is None and E is None:
        raise ValueError(f'{args.weights} is a StarGAN v2 generator: its styles come from '
                         '--mapping F.params (latent-guided) or --style-encoder E.params '
                         '(reference-guided), converted networks of the same model')
    parts = [(flag, k) for flag, k in (('--mapping', f_kwargs), ('--style-encoder', e_kwargs))
             if k is not None]
    for flag, k in parts:
        if k['style_dim'] != kwargs['style_dim']:
            raise ValueError(f'{flag} gives styles of {k["style_dim"]} numbers, {args.weights} '
                             f'takes {kwargs["style_dim"]}: not networks of one model')
    domains = {k['num_domains'] for _, k in parts}
    if len(domains) > 1:
        raise ValueError(f'--mapping has {f_kwargs["num_domains"]} domains, --style-encoder '
                         f'{e_kwargs["num_domains"]}: not networks of one model')
    channels = kwargs.get('in_channels', 3)
    if e_kwargs and e_kwargs.get('in_channels', 3) != channels:
        raise ValueError(f'--style-encoder takes {e_kwargs.get("in_channels", 3)}-channel '
                         f'images, {args.weights} {channels}-channel ones')
    trained = kwargs['img_size']
    step = 2 ** (int(np.log2(trained)) - 4)          # G's down-sampling factor
    size = args.image_size or trained
    if size % step:
        raise ValueError(f'{args.weights} halves images {int(np.log2(step))} times: '
                         f'--image-size must be a multiple of {step} (its img_size is {trained}),'
                         f' got {size}')
    G = pretrained.load_converted(args.weights, device)
    translate(G, F, E, args, domains.pop(), size, e_kwargs and e_kwargs['img_size'], channels,
              device)


__all__ = ['KINDS', 'TITLE', 'add_infer_options', 'latent_codes', 'image_files',
           'load_images', 'translate', 'infer', 'infer_weights']
