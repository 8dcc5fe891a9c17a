"""Command line: ``python -m d2gan train|sample|eval|infer|convert|models``.

Examples::

    python -m d2gan train --model dcgan --dataset mnist-digits --epochs 20 --out runs/dcgan
    python -m d2gan train --model dcgan --out runs/dcgan --resume      # continue a run
    python -m d2gan launch -n 2 -s 1 -- python -m d2gan train --kvstore dist_sync --out runs/d
    python -m d2gan sample --checkpoint runs/dcgan/checkpoint.ckpt --out grid.png
    python -m d2gan eval --checkpoint runs/dcgan/checkpoint.ckpt --metric fid,kid --num 2000
    python -m d2gan train --model pix2pix --dataset synth-facades --image-size 64 --out runs/p2p
    python -m d2gan infer --checkpoint runs/p2p/checkpoint.ckpt --input data/synth-facades/test \
        --paired --out runs/p2p/test
    python -m d2gan train --model spade --image-size 64 --ngf 16 --ndf 16 --batch-size 4 \
        --out runs/spade
    python -m d2gan infer --checkpoint runs/spade/checkpoint.ckpt \
        --input data/synth-facades/val_list.txt --out runs/spade/val     # or a folder of labels
    python -m d2gan train --model cyclegan --image-size 64 --ngf 16 --ndf 32 --batch-size 1 \
        --epochs 3 --out runs/cyclegan   # offline photo<->cartoon; --dataset horse2zebra: paper
    python -m d2gan infer --checkpoint runs/cyclegan/checkpoint.ckpt --direction AtoB \
        --input data/synth-photo2cartoon/testA --target data/synth-photo2cartoon/truth/testA \
        --out runs/cyclegan/testA
    python -m d2gan train --model stgan --attrs Red_Stroke,Thick,Inverted,Framed --epochs 10 \
        --out runs/stgan      # offline digit-attrs; --dataset celeba for the paper's setting
    python -m d2gan infer --checkpoint runs/stgan/checkpoint.ckpt --input data/digit-attrs \
        --attrs Inverted,Framed --out runs/stgan/edits.png    # row 1 originals, 1 row per flip
    python -m d2gan train --model starganv2 --dim-in 32 --max-conv-dim 128 --out runs/sg2
    python -m d2gan infer --checkpoint runs/sg2/checkpoint.ckpt --input digits/ \
        --target-domain 7 --latent-seed 0 --num-styles 4 --out runs/sg2/to7  # or --reference
    python -m d2gan convert --format junyanz-unet_256 --input latest_net_G.pth --out G.params
    python -m d2gan infer --weights G.params --input data/facades/test --paired \
        --direction BtoA --out runs/facades_G  # a converted generator, no d2gan checkpoint
    python -m d2gan convert --format nvlabs-stylegan2-generator --input ffhq_G_ema.npz \
        --out ffhq.params && python -m d2gan sample --weights ffhq.params --truncation 0.7
    python -m d2gan infer --weights afhq_G.params --style-encoder afhq_E.params \
        --reference cat.jpg --target-domain 0 --input dogs/ --out cats  # starganv2-* converted
"""
import argparse
import sys

from ..data import DatasetNotFoundError, list_datasets
from ..losses_faceid import FACE_FEATURES
from ..data.paired import PIX2PIX_DATASETS, SYNTH_FACADES
from ..data.unpaired import CYCLEGAN_DATASETS, SYNTH_PHOTO2CARTOON
from ..metrics import InceptionWeightsNotFoundError
from ..pretrained.mobilefacenet import FaceWeightsNotFoundError
from ..registry import batch_kind, list_gans, list_models
from ..train import CheckpointError, TrainingDivergedError, read_meta
from ..train.distributed import KVSTORES
from . import (attributes, convert, domains, evaluate, images, launch_job, paired,
               sample_weights, semantic, unpaired, weights)
from .common import kind_of, recipes_of, refuse_foreign_options, train
from .resume import given_options, recipes_with
from .values import (ArgumentParser, HelpFormatter, non_negative_float, non_negative_int,
                     positive_float, positive_int, probability, unit_interval)

EXAMPLES = __doc__.split('Examples::', 1)[1]

#: One module per batch kind (:data:`d2gan.registry.BATCH_KINDS`); a new kind adds its own.
KIND_MODULES = (images, paired, unpaired, semantic, attributes)
MODULE_OF_KIND = {kind: module for module in KIND_MODULES for kind in module.KINDS}
#: Modules of ``infer`` only, for the recipes :func:`~d2gan.cli.common.kind_of` sets apart.
INFER_MODULES = (domains,)
INFER_MODULE_OF_KIND = dict(MODULE_OF_KIND, **{k: m for m in INFER_MODULES for k in m.KINDS})
INFER_KINDS = ('paired', 'unpaired', 'semantic', 'attributes', 'domains')


class _Recorder:
    """An argument group that remembers which options it added (for the kinds that own them)."""

    def __init__(self, group, kinds, owned):
        self.group, self.kinds, self.owned = group, kinds, owned

    def add_argument(self, *names, **kwargs):
        action = self.group.add_argument(*names, **kwargs)
        self.owned[action.dest] = self.owned.get(action.dest, ()) + tuple(self.kinds)
        return action


def _kind_groups(parser, hook, modules=KIND_MODULES):
    """One argument group per batch kind module that has options for this command, titled with
    its recipes; returns ``{option: kinds that take it}``."""
    owned = {}
    for module in modules:
        if hasattr(module, hook):
            names = ', '.join(recipes_of(module.KINDS))
            group = parser.add_argument_group(f'{module.TITLE} ({names})')
            getattr(module, hook)(_Recorder(group, module.KINDS, owned))
    return owned


def face_feature_names():
    return list(FACE_FEATURES.names())


def _for_recipes(argument, text):
    return f'{text} (recipes: {", ".join(recipes_with(argument))})'


def build_parser():
    parser = ArgumentParser(
        prog='python -m d2gan', formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Train GANs from the d2gan book and sample from their checkpoints.',
        epilog='examples:' + EXAMPLES)
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True
    add_train_parser(sub)

    sample = sub.add_parser('sample', help='write an image grid from a checkpoint or a converted '
                                      'generator (--weights)',
                            formatter_class=HelpFormatter)
    source = sample.add_mutually_exclusive_group(required=True)
    source.add_argument('--checkpoint', help='a d2gan checkpoint of a noise -> image GAN')
    source.add_argument('--weights', metavar='X.params',
                        help='a converted reference generator (python -m d2gan convert, e.g. '
                             'nvlabs-stylegan2-generator); see d2gan.cli.sample_weights')
    sample.add_argument('--num', type=positive_int, default=64)
    sample.add_argument('--nrow', type=positive_int, default=8)
    sample.add_argument('--seed', type=int, default=0)
    sample.add_argument('--device', default='auto')
    sample.add_argument('--out', default='samples.png')
    sample.add_argument('--truncation', type=float, default=None, metavar='PSI',
                        help='truncation psi of a style-based generator (stylegan2): w is pulled '
                             'towards its running mean, w_avg + psi (w - w_avg); 1 = none, '
                             'smaller = typical images, less variety')

    evaluate.add_parser(sub)
    add_infer_parser(sub)
    launch_job.add_parser(sub)
    convert.add_parser(sub)
    sub.add_parser('models', help='list GAN recipes, networks and datasets')
    return parser


def add_train_parser(sub):
    train_parser = sub.add_parser(
        'train', help='train a GAN; checkpoints after every epoch',
        formatter_class=HelpFormatter,
        description='Every option means the same for every recipe; an option a recipe does not '
                    'take is an error naming the recipes it applies to. Defaults shown as None '
                    "are the recipe's.")
    add = train_parser.add_argument
    add('--model', default='dcgan', help='GAN recipe: ' + ', '.join(list_gans()))
    add('--dataset', default=None,
        help='mnist-digits (offline, 5,000 real digits; the default), mnist, fashion-mnist, '
             'folder; for pix2pix: synth-facades (offline, the default), facades, cityscapes, '
             'maps, edges2shoes, folder; for spade: synth-facades (offline, the default), '
             'cityscapes, list (--dataroot = a label<TAB>image<TAB>instance list); for '
             'cyclegan: synth-photo2cartoon (offline, the default), horse2zebra, apple2orange, '
             'summer2winter, monet2photo, cityscapes, folder (--dataroot with trainA/ trainB/ '
             'testA/ testB/); for stargan, attgan, stgan: digit-attrs (offline, the default), '
             "celeba, folder (CelebA's layout); for starganv2: mnist-digits (the default: a "
             'domain per digit), digit-domains (offline: 3 backgrounds, with styles), '
             'domain-folder (--dataroot with one sub-folder per domain, as AFHQ)')
    add('--dataroot', default=None,
        help='dataset directory (default: data/ or $D2GAN_DATA; required for folder)')
    add('--image-size', type=positive_int, default=None,
        help='default 32; 256 for pix2pix, cyclegan, spade; 128 for celeba (the papers)')
    add('--epochs', type=positive_int, default=20)
    add('--batch-size', type=positive_int, default=None,
        help='the global batch (split over --device, shared by dist_sync workers); default 64; '
             '1 for pix2pix, cyclegan, spade; 16 per critic update for the attribute editors')
    add('--limit', type=positive_int, default=None,
        help='use only the first N training images (labelled data: N spread over the classes)')
    add('--seed', type=int, default=None, help='base seed (default 0)')
    add('--out', default='runs/gan', help='directory for checkpoint and samples')
    add('--resume', action='store_true', help='continue from OUT/checkpoint.ckpt if it exists')

    scale = train_parser.add_argument_group('devices and scale (every recipe)')
    scale.add_argument('--device', default='auto',
                       help='auto, cpu, gpu (all GPUs), cpu:N, gpu:N, or a list: cpu:0,cpu:1')
    scale.add_argument('--kvstore', default=None, choices=list(KVSTORES),
                       help='gradient aggregation: local/device/nccl over the --device list, '
                            'dist_sync(_device) over the workers of `launch` (the batch size '
                            'is then the global one); default: one process, the steps\' own')
    scale.add_argument('--amp', action='store_true', default=None,
                       help='float16 mixed precision (mxnet.contrib.amp; GPUs only)')

    recipe = train_parser.add_argument_group(
        "the recipe's arguments (refused by recipes that do not have them)")
    recipe.add_argument('--lr', type=positive_float, default=None,
                        help=_for_recipes('lr', 'learning rate') + '; spade: the generator\'s '
                             "(the discriminator's is 4x)")
    recipe.add_argument('--ngf', type=positive_int, default=None,
                        help=_for_recipes('ngf', 'generator width'))
    recipe.add_argument('--ndf', type=positive_int, default=None,
                        help=_for_recipes('ndf', 'discriminator width'))
    recipe.add_argument('--n-critic', type=positive_int, default=None,
                        help=_for_recipes('n_critic', 'critic updates per generator update'))
    recipe.add_argument('--dim-in', type=positive_int, default=None,
                        help=_for_recipes('dim_in', 'width of the first convolution (reference: '
                                          '2**14 // image size)'))
    recipe.add_argument('--light', action=argparse.BooleanOptionalAction, default=None,
                        help=_for_recipes('light', "the reference's light generator (its "
                                          'gamma/beta MLP reads pooled features)'))
    recipe.add_argument('--face-features', default=None, choices=face_feature_names(),
                        help=_for_recipes('face_features', 'the face-identity loss: a face '
                                          'recognition network whose weights are in data/ '
                                          '(photo2cartoon: data/model_mobilefacenet.pth); off '
                                          'when not given'))
    recipe.add_argument('--faceid-weight', type=positive_float, default=None,
                        help=_for_recipes('faceid_weight', 'weight of the face-identity loss '
                                          "(the reference's 1; needs --face-features)"))
    recipe.add_argument('--max-conv-dim', type=positive_int, default=None,
                        help=_for_recipes('max_conv_dim', 'widest convolution'))
    recipe.add_argument('--hidden-dim', type=positive_int, default=None,
                        help=_for_recipes('hidden_dim', 'width of the mapping network '
                                          "(reference: 512)"))
    recipe.add_argument('--f-lr', type=positive_float, default=None,
                        help=_for_recipes('f_lr', "the mapping network's learning rate "
                                          '(reference: lr / 100)'))
    recipe.add_argument('--lambda-ds', type=non_negative_float, default=None,
                        help=_for_recipes('lambda_ds', 'initial weight of the diversity loss '
                                          '(reference: 1; AFHQ 2)'))
    recipe.add_argument('--ds-iter', type=non_negative_int, default=None,
                        help=_for_recipes('ds_iter', 'iterations over which the diversity '
                                          'weight falls to 0 (reference: 100000; 0: constant)'))
    recipe.add_argument('--ema-beta', type=unit_interval, default=None,
                        help=_for_recipes('ema_beta', 'decay of the moving averages that '
                                          'translate (reference: 0.999; short runs: 0.99)'))
    recipe.add_argument('--lod-training-kimg', type=positive_float, default=None,
                        help=_for_recipes('lod_training_kimg', 'thousands of real images '
                                          'shown at each level before the next fades in '
                                          '(paper: 600)'))
    recipe.add_argument('--lod-transition-kimg', type=positive_float, default=None,
                        help=_for_recipes('lod_transition_kimg', 'thousands of real images '
                                          'over which a new level fades in (paper: 600)'))
    recipe.add_argument('--fmap-base', type=positive_int, default=None,
                        help=_for_recipes('fmap_base', 'channels: min(fmap_base / 2**stage, '
                                          'fmap_max) (paper: 8192)'))
    recipe.add_argument('--fmap-max', type=positive_int, default=None,
                        help=_for_recipes('fmap_max', 'widest level (paper: 512)'))
    recipe.add_argument('--channel-base', type=positive_int, default=None,
                        help=_for_recipes('channel_base', 'channels at resolution r: '
                                          'min(channel_base / r, channel_max) (config F: 32768)'))
    recipe.add_argument('--channel-max', type=positive_int, default=None,
                        help=_for_recipes('channel_max', 'widest resolution (config F: 512)'))
    recipe.add_argument('--mapping-layers', type=positive_int, default=None,
                        help=_for_recipes('mapping_layers', 'layers of the mapping network '
                                          "(config F: 8; NVlabs' cifar: 2)"))
    recipe.add_argument('--layer', default=None, choices=('v1', 'v2'),
                        help=_for_recipes('layer', "synthesis layers: 'v2' modulated "
                                          "convolution (StyleGAN2), 'v1' AdaIN (StyleGAN)"))
    recipe.add_argument('--mbstd-group-size', type=positive_int, default=None,
                        help=_for_recipes('mbstd_group_size', 'examples per minibatch-stddev '
                                          'group; divides the batch (reference: 4)'))
    recipe.add_argument('--r1-gamma', type=non_negative_float, default=None,
                        help=_for_recipes('r1_gamma', 'R1 weight (default: the reference\'s '
                                          '0.0002 * size**2 / 64; cifar: 0.01)'))
    recipe.add_argument('--pl-weight', type=non_negative_float, default=None,
                        help=_for_recipes('pl_weight', 'path length regularization weight '
                                          '(config F: 2; 0: off)'))
    recipe.add_argument('--style-mixing', type=probability, default=None,
                        help=_for_recipes('style_mixing', 'probability of style mixing in '
                                          'training (config F: 0.9; 0: off)'))
    train_parser.set_defaults(owned=_kind_groups(train_parser, 'add_train_options'))


def add_infer_parser(sub):
    infer = sub.add_parser(
        'infer', help='translate or edit images with a ' + ', '.join(recipes_of(INFER_KINDS))
        + ' checkpoint',
        formatter_class=HelpFormatter)
    source = infer.add_mutually_exclusive_group(required=True)
    source.add_argument('--checkpoint', help='a d2gan checkpoint (train --out DIR: '
                                             'DIR/checkpoint.ckpt)')
    source.add_argument('--weights', metavar='X.params',
                        help='a generator converted by `convert` (X.json beside it): pix2pix / '
                             'CycleGAN (junyanz-*), U-GAT-IT (ugatit-gen*), Photo2Cartoon '
                             '(photo2cartoon-gen*), StarGAN '
                             '(yunjey-generator), StarGAN v2 (starganv2-generator, with '
                             '--mapping / --style-encoder), SPADE (spade-generator*); '
                             'see d2gan.cli.weights')
    infer.add_argument('--image-size', type=positive_int, default=None,
                       help='with --weights: the size images (SPADE: label maps) are resized '
                            'to (default 256; StarGAN 128; a full U-GAT-IT, Photo2Cartoon or '
                            'StarGAN v2 generator: its own); '
                            'a checkpoint knows its own')
    infer.add_argument('--input', required=True,
                       help='folder of input images (spade: of label maps, or a '
                            '"label<TAB>image<TAB>instance" list file; starganv2: or one image)')
    infer.add_argument('--out', required=True, help='folder for the translated PNGs '
                                                    '(starganv2: and grid.png; X.png: the grid)')
    infer.add_argument('--batch-size', type=positive_int, default=None, help='default 8')
    infer.add_argument('--device', default='auto')
    translators = ', '.join(recipes_of(('paired', 'unpaired')))
    both = infer.add_argument_group(f'translation ({translators})')
    owned = {}
    _Recorder(both, ('paired', 'unpaired'), owned).add_argument(
        '--direction', choices=['AtoB', 'BtoA'], default=None,
        help="pix2pix with --paired: which side is the input (default: the checkpoint's); "
             'cyclegan: G_A (AtoB, the default) or G_B (BtoA)')
    owned.update(_kind_groups(infer, 'add_infer_options', KIND_MODULES + INFER_MODULES))
    infer.set_defaults(owned=owned)


def cmd_train(args):
    return train(args, MODULE_OF_KIND[batch_kind(args.model)], args.owned)


def cmd_infer(args):
    if args.weights:
        return weights.infer(args, args.owned)
    if args.image_size is not None:
        raise ValueError('--image-size applies to --weights; a checkpoint infers at the image '
                         'size it was trained on')
    model = read_meta(args.checkpoint)['config'].get('model')
    kind = kind_of(model)
    if kind not in INFER_KINDS:
        raise ValueError(f'{args.checkpoint} holds a {model!r} model, which generates images '
                         'from noise: use `sample` (`infer` translates or edits images)')
    args.given, args.model = given_options(args), model
    refuse_foreign_options(args, args.owned, kind)
    return INFER_MODULE_OF_KIND[kind].infer(args)


def cmd_sample(args):
    if args.weights:
        return sample_weights.sample(args)
    config = read_meta(args.checkpoint)['config']
    if batch_kind(config.get('model')) not in images.KINDS:
        raise ValueError(f'a {config["model"]} checkpoint translates or edits images: use '
                         f'`python -m d2gan infer --checkpoint {args.checkpoint} --input FOLDER '
                         '--out FOLDER`')
    return images.sample(args)


def cmd_models(args):
    print('GAN recipes (--model):', ', '.join(list_gans()))
    print('networks (d2gan.get_model):', ', '.join(list_models()))
    print('datasets (--dataset):', ', '.join(list_datasets()))
    print('paired datasets (pix2pix --dataset):',
          ', '.join([SYNTH_FACADES, 'folder'] + sorted(PIX2PIX_DATASETS)))
    print('unpaired datasets (cyclegan --dataset):',
          ', '.join([SYNTH_PHOTO2CARTOON, 'folder'] + sorted(CYCLEGAN_DATASETS)))


COMMANDS = {'train': cmd_train, 'sample': cmd_sample, 'eval': evaluate.run, 'infer': cmd_infer,
            'models': cmd_models, 'launch': launch_job.run, 'convert': convert.run}


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:        # --help, or a bad option (one error line already printed)
        return e.code
    try:
        code = COMMANDS[args.command](args)
    except (KeyError, ValueError, FileExistsError, DatasetNotFoundError, CheckpointError,
            InceptionWeightsNotFoundError, FaceWeightsNotFoundError, TrainingDivergedError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = (f'; the last checkpoint in {args.out} is kept: run the same command with '
                '--resume to continue' if args.command == 'train' else '')
        print(f'interrupted{hint}', file=sys.stderr)
        return 130
    return code or 0
