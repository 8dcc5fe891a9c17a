"""``infer --weights X.params``: translate or edit images with a converted reference network.

``python -m d2gan convert`` writes a reference's released weights as ``X.params`` + ``X.json``
(:mod:`d2gan.pretrained`); ``infer --weights X.params`` runs that network with no d2gan
checkpoint. The network named in ``X.json`` decides what ``infer`` does:

================================  ==========================================================
converted network                 ``infer --weights``
================================  ==========================================================
``unet_generator``,               translate every image of ``--input`` into ``--out`` (as a
``resnet_generator``              pix2pix / cyclegan checkpoint): ``--paired`` (A|B images,
(``junyanz-*``)                   the side by ``--direction``) or ``--target`` report L1 /
                                  PSNR; ``--mode train`` is junyanz ``test.py`` without
                                  ``--eval`` (dropout on, each batch's statistics: use
                                  ``--batch-size 1``)
``ugatit_generator``              the same, with the same options (as a ugatit checkpoint):
(``ugatit-generator``,            the image is the first of the network's ``(image,
``ugatit-genA2B``, ``-genB2A``)   cam_logits, heatmap)``; convert ``genB2A`` for B->A
``photo2cartoon_generator``       the same as U-GAT-IT's (sides divisible by 16, at least 32)
(``photo2cartoon-generator``,
``photo2cartoon-genA2B``, ...)
``stargan_generator``             the grid of edits (as a stargan checkpoint): row 1 the
(``yunjey-generator``),           originals, one row per flipped attribute; ``--attrs`` names
``attgan_generator``              *all* the network's labels in its order (default: the
(``attgan-generator``),           reference's CelebA five / thirteen when it has as many);
``stgan_generator``               AttGAN is told ``(2 b - 1) * 0.5``, the flipped attribute
(``stgan-generator``)             at +-1, STGAN ``(b - a)`` in that code (each reference's
                                  ``test.py``)
``starganv2_generator``           StarGAN v2 into ``--target-domain``, its styles from
(``starganv2-generator``)         ``--mapping F.params`` (latent-guided) and / or
                                  ``--style-encoder E.params`` (reference-guided), converted
                                  from the same checkpoint (:mod:`d2gan.cli.domains`)
``spade_generator``               photos from the label maps of ``--input`` (as a spade
(``spade-generator*``)            checkpoint: a folder, ``--instances``, or a list file with
                                  L1 / PSNR), resized to ``--image-size`` squares (a multiple
                                  of 32; 64 for ``more``); ``--num-classes`` when the model
                                  used no instance edges (ADE20K: 151)
================================  ==========================================================

A converted network mostly knows no image size: ``--image-size`` (default 256 for the
translators, 128 for StarGAN: the sizes of the released weights). A full (non-light) U-GAT-IT
or Photo2Cartoon generator is the exception: its MLP takes the ``(img_size / 4)^2`` bottleneck
cells, so it runs only at its trained ``img_size`` (the ``.json`` kwargs), which is then the
default and any other ``--image-size`` an error; the light variant pools them and takes any
size. Discriminators are refused, as are the options of the other kinds.
"""
import os

import numpy as np
import mxnet as mx
from mxnet import autograd, nd

from .. import pretrained
from ..data import list_images, paired
from ..data.celeba_attrs import (ATTGAN_ATTRS, STARGAN_ATTRS, check_attribute_conflict,
                                 load_attribute_folder)
from ..device import as_device_list
from ..models.spade import NUM_UPSAMPLING
from ..plot import save_grid
from . import domains, semantic
from .common import recipes_of, report_vs_truth, write_pngs
from .resume import given_options, split_list

#: converted network -> (the batch kinds whose infer options it takes, default image size)
ROLES = {'unet_generator': (('paired', 'unpaired'), 256),
         'resnet_generator': (('paired', 'unpaired'), 256),
         'ugatit_generator': (('paired', 'unpaired'), 256),
         'photo2cartoon_generator': (('paired', 'unpaired'), 256),
         'stargan_generator': (('attributes',), 128),
         'attgan_generator': (('attributes',), 128),
         'stgan_generator': (('attributes',), 128),
         'starganv2_generator': (('domains',), None),
         'spade_generator': (('semantic',), 256)}


#: generators whose full (non-light) variant runs only at its ``img_size`` -> their name
FIXED_SIZE = {'ugatit_generator': 'U-GAT-IT', 'photo2cartoon_generator': 'Photo2Cartoon'}


def infer(args, owned):
    """``python -m d2gan infer --weights``; ``owned``: ``{option: batch kinds taking it}``."""
    meta = pretrained.read_sidecar(args.weights)
    model = meta['model']
    if model not in ROLES:
        raise ValueError(f'{args.weights} holds a {model} (format {meta.get("format")}); '
                         '`infer --weights` runs a converted generator: '
                         + ', '.join(ROLES))
    kinds, default_size = ROLES[model]
    given = given_options(args)
    for option, takers in owned.items():
        if option in given and (not set(kinds) & set(takers) or option == 'intensity'):
            raise ValueError(f'--{option.replace("_", "-")} does not apply to a converted '
                             f'{model}; it applies to: ' + ', '.join(recipes_of(takers)))
    if model == 'starganv2_generator':          # G with F and / or E: d2gan.cli.domains
        return domains.infer_weights(args, meta)
    size = _image_size(args, model, meta['kwargs'], default_size)
    device = as_device_list(args.device)[0]
    net = pretrained.load_converted(args.weights, device)
    if model in ('stargan_generator', 'attgan_generator', 'stgan_generator'):
        return _edit(args, net, model, meta['kwargs'], size, device)
    if model == 'spade_generator':
        return _synthesise(args, net, meta['kwargs'], size, device)
    return _translate(args, net, meta['kwargs'], size, device)


def _image_size(args, model, kwargs, default):
    """``--image-size``, else ``default``; a full U-GAT-IT (or Photo2Cartoon) generator runs
    only at its ``img_size``."""
    if model not in FIXED_SIZE or kwargs.get('light'):
        return args.image_size or default
    trained = kwargs['img_size']
    if args.image_size and args.image_size != trained:
        raise ValueError(f'{args.weights} is a full (non-light) {FIXED_SIZE[model]} generator '
                         f'trained at '
                         f'{trained}x{trained}: it runs only at that size, not at --image-size '
                         f'{args.image_size} (omit --image-size, or use {trained})')
    return trained


def _run(net, inputs, batch_size, device, mode='eval'):
    """``net`` on float32 NCHW arrays (each a list of chunks of ``inputs``), on the CPU; of a
    network returning a tuple (U-GAT-IT's ``(image, cam_logits, heatmap)``), the first."""
    scope = autograd.train_mode if mode == 'train' else autograd.predict_mode
    outs = []
    with scope():
        for i in range(0, len(inputs[0]), batch_size):
            y = net(*[nd.array(x[i:i + batch_size], ctx=device) for x in inputs])
            outs.append((y[0] if isinstance(y, (tuple, list)) else y).as_in_context(mx.cpu()))
    return nd.concat(*outs, dim=0)


def _translate(args, net, kwargs, size, device):
    files = list_images(args.input)
    direction = args.direction or 'AtoB'
    if args.direction and not args.paired:
        raise ValueError('--direction with --weights picks the side of --paired A|B images; a '
                         'converted network is one generator (convert G_B, or genB2A, for BtoA)')
    inputs, targets = [], []
    for path in files:
        image = paired._decode(path)
        if args.paired:
            a, b = paired.split_pair(image, path)
            image, target = (a, b) if direction == 'AtoB' else (b, a)
            targets.append(paired._resize(target, size))
        inputs.append(paired._resize(image, size))
    source = paired.to_tensor(inputs)
    channels = kwargs.get('in_channels', 3)
    if channels != source.shape[1]:
        raise ValueError(f'{args.weights} takes {channels}-channel images; {args.input} holds '
                         f'{source.shape[1]}-channel (RGB) ones')
    mode = args.mode or 'eval'
    print(f'translating {len(files)} images of {args.input} ...', flush=True)
    fake = _run(net, [source], args.batch_size or 8, device, mode)
    write_pngs(fake, files, args.out)
    print(f'translated {len(files)} images ({size}x{size}, mode {mode}) with {args.weights} '
          f'into {args.out}')
    if args.paired:
        report_vs_truth(fake, paired.to_tensor(targets), source)
    if args.target:
        truth = [os.path.join(args.target, os.path.basename(f)) for f in files]
        missing = [t for t in truth if not os.path.isfile(t)]
        if missing:
            raise ValueError(f'--target {args.target} lacks {len(missing)} of the input file '
                             f'names, e.g. {missing[0]}')
        report_vs_truth(fake, paired.to_tensor([paired._resize(paired._decode(t), size)
                                                for t in truth]), source)


def _synthesise(args, net, kwargs, size, device):
    """SPADE: label maps (a folder or a list file) -> photos, as ``infer --checkpoint``."""
    channels = kwargs['label_channels']
    num_classes = args.num_classes or channels - 1
    if num_classes not in (channels, channels - 1):
        raise ValueError(f'{args.weights} takes maps of {channels} channels: --num-classes '
                         f'{num_classes} fits neither with the instance-edge channel '
                         f'({channels - 1}) nor without it ({channels})')
    multiple = 2 ** NUM_UPSAMPLING[kwargs['num_upsampling']]
    if size % multiple:
        raise ValueError(f'--image-size {size}: this SPADE generator (num_upsampling '
                         f"{kwargs['num_upsampling']!r}) takes sides that are multiples of "
                         f'{multiple}')
    names, maps, targets = semantic.read_input(args, num_classes, size,
                                               num_classes == channels - 1)
    fake = _run(net, [maps], args.batch_size or 8, device)
    semantic.finish(args, fake, names, targets, f'({size}x{size}) with {args.weights}')


THRES_INT, TEST_INT = 0.5, 1.0     # the references' test.py: labels told, and the edit's


def _told(model, A, B, edited):
    """The label vectors a converted editor is given for source and target attributes ``A``,
    ``B`` (each reference's ``test.py``): StarGAN's are ``B``; AttGAN's ``(2 B - 1) *
    thres_int`` with the edited one at ``+-test_int``; STGAN's the difference of the codes,
    the edited target multiplied by ``test_int``."""
    if model == 'stargan_generator':
        return B
    told = (2 * B - 1) * THRES_INT
    if model == 'attgan_generator':
        told[:, edited] *= TEST_INT / THRES_INT
        return told
    told[:, edited] *= TEST_INT
    return told - (2 * A - 1) * THRES_INT


def _edit(args, net, model, kwargs, size, device):
    c_dim = kwargs['c_dim'] if model == 'stargan_generator' else kwargs['n_attrs']
    default = STARGAN_ATTRS if model == 'stargan_generator' else ATTGAN_ATTRS
    names = split_list(args.attrs) or (list(default) if c_dim == len(default) else None)
    if names is None or len(names) != c_dim:
        got = f'--attrs gives {len(names)}' if names else 'no --attrs given'
        raise ValueError(f'{args.weights} takes {c_dim} labels ({got}): with --weights, '
                         '--attrs names all of them in the order the network was trained with')
    celeba_crop = 178 if model == 'stargan_generator' else 170    # the references' CelebA
    crop = celeba_crop if args.crop is None and 'celeba' in os.path.basename(
        os.path.normpath(args.input)).lower() else args.crop
    data = load_attribute_folder(args.input, names, args.split or 'test', size, crop,
                                 args.limit or 8)
    X, A = np.asarray(data.images, np.float32), np.asarray(data.attrs, np.float32)
    rows = [nd.array(X)]
    for i, name in enumerate(names):
        B = A.copy()
        B[:, i] = 1 - B[:, i]
        B = check_attribute_conflict(B, name, names)
        rows.append(_run(net, [X, _told(model, A, B, i).astype(np.float32)],
                         args.batch_size or 8, device))
    out = args.out if args.out.lower().endswith(('.png', '.jpg')) else \
        os.path.join(args.out, 'edits.png')
    save_grid(nd.concat(*rows, dim=0), out, nrow=len(data))
    print(f'wrote {out}: row 1 = {len(data)} original images ({", ".join(data.files)}), rows '
          f'2-{1 + len(names)} = flipped ' + ', '.join(names))
