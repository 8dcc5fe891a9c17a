"""``train`` and ``infer`` for the attribute editors (batch kind ``attributes``: StarGAN,
AttGAN, STGAN).

``train --attrs A,B,C``: ``--dataset digit-attrs`` (offline, the default; the book's small
networks at 32x32) or ``celeba`` (``<data root>/celeba``, the papers' networks at 128x128 after
the 178 centre crop), or ``folder`` (``--dataroot`` = any folder in CelebA's layout). Each
generator update follows ``n_critic`` critic updates of ``--batch-size`` images, so a batch
holds ``batch_size * n_critic`` images. ``infer`` writes the seed's grid: the originals in the
first row, then one row per flipped attribute.
"""
import inspect
import os

from ..data import ArrayBatches, DatasetNotFoundError, celeba_attrs, digit_attrs
from ..gans.editing import book_config
from ..metrics import score_edits
from ..plot import save_grid
from ..registry import RECIPES
from .common import TrainData, held_out, load_step
from .resume import split_list
from .values import positive_float, positive_int

KINDS = ('attributes',)
TITLE = 'attribute editing'


def add_train_options(group):
    group.add_argument('--attrs', default=None,
                       help='comma-separated attributes to learn (default: all four of '
                            "digit-attrs, the offline default dataset; the paper's for "
                            '--dataset celeba)')


def add_infer_options(group):
    group.add_argument('--attrs', default=None,
                       help="attributes to flip, one grid row each (default: all the model's); "
                            "--input is a folder in CelebA's layout (img_align_celeba/ + "
                            'list_attr_celeba.txt) and --out the grid PNG (or a folder for '
                            'edits.png); with --weights: all the labels of the converted '
                            'network, in its order')
    group.add_argument('--split', default=None, choices=['train', 'val', 'test', 'all'],
                       help='which images of --input to edit (default: test)')
    group.add_argument('--limit', type=positive_int, default=None,
                       help='edit the first N images of the split (default: 8)')
    group.add_argument('--intensity', type=positive_float, default=None,
                       help='attgan, stgan: code the flipped attributes as +-INTENSITY instead '
                            "of +-0.5 (the references' test_int)")
    group.add_argument('--crop', type=positive_int, default=None,
                       help='centre crop before resizing (default for a folder named celeba: '
                            "178, with --weights of AttGAN or STGAN 170, their references' "
                            'crops; else none)')


def load_attribute_split(dataset, attrs, split, root=None, image_size=32, limit=None):
    """``digit-attrs`` | ``celeba`` | ``folder`` (``root`` = the folder) as AttributeData."""
    if dataset == 'digit-attrs':
        attrs = attrs or digit_attrs.DIGIT_ATTRS
        return digit_attrs.load_digit_attrs(attrs, split, root, image_size, limit)
    if dataset == 'celeba':
        return celeba_attrs.load_celeba_attrs(attrs or celeba_attrs.STARGAN_ATTRS, split, root,
                                              image_size, 178, limit)
    if dataset == 'folder':
        if root is None:
            raise ValueError("--dataset folder needs --dataroot (a folder in CelebA's layout)")
        if not attrs:
            raise ValueError('--dataset folder needs --attrs A,B,...')
        return celeba_attrs.load_attribute_folder(root, attrs, split, image_size, None, limit)
    raise ValueError(f"attribute datasets: digit-attrs, celeba, folder; got {dataset!r}")


def new_config(args, chosen):
    dataset = args.dataset or 'digit-attrs'
    size = args.image_size or (128 if dataset == 'celeba' else 32)
    config = dict(image_size=size) if dataset == 'celeba' else book_config(args.model, size)
    attrs = split_list(args.attrs)
    if attrs:
        config['attrs'] = attrs
    elif dataset == 'digit-attrs':
        config['attrs'] = list(digit_attrs.DIGIT_ATTRS)
    config.update(chosen)
    return config


def load_data(args, config):
    dataset = args.dataset or 'digit-attrs'
    attrs = config.get('attrs') or (celeba_attrs.STARGAN_ATTRS if args.model == 'stargan'
                                    else celeba_attrs.ATTGAN_ATTRS)
    config['attrs'] = list(attrs)
    size = config['image_size']
    train = load_attribute_split(dataset, attrs, 'train', args.dataroot, size, args.limit)
    test = held_out(lambda: load_attribute_split(dataset, attrs, 'test', args.dataroot, size, 8),
                    train.subset(range(min(8, len(train)))), (DatasetNotFoundError, ValueError))
    n_critic = config.get('n_critic', RECIPES.parameters(args.model)['n_critic'])
    batch = (args.batch_size or 16) * n_critic
    k = len(test.images[:8])
    return TrainData(ArrayBatches((train.images, train.attrs), batch), dataset,
                     f'{len(train)} images, attributes {",".join(attrs)}, {size}x{size}; '
                     f'{n_critic} critic updates of {batch // n_critic} images per generator '
                     'update', samples=(test.images[:8], test.attrs[:8]),
                     num_samples=k * (1 + len(attrs)), nrow=k)


def infer(args):
    """Edit the first ``--limit`` images of ``--input`` (a folder in CelebA's layout); write
    the grid (row 0 originals, one row per flipped attribute of ``--attrs``)."""
    step, config = load_step(args)
    names = list(step.names)
    flip = split_list(args.attrs) or names
    unknown = [a for a in flip if a not in names]
    if unknown:
        raise ValueError(f'{unknown} not among the attributes the model was trained on: '
                         + ', '.join(names))
    size = config['image_size']
    folder = args.input
    crop = 178 if args.crop is None and 'celeba' in os.path.basename(
        os.path.normpath(folder)).lower() else args.crop
    data = celeba_attrs.load_attribute_folder(folder, names, args.split or 'test', size,
                                              crop, args.limit or 8)
    kwargs = {'intensity': args.intensity} if args.intensity is not None else {}
    if kwargs and 'intensity' not in inspect.signature(step.edit_rows).parameters:
        raise ValueError(f'--intensity applies to attgan and stgan, whose attributes are coded '
                         f'+-intensity; {config["model"]} takes 0/1 target labels')
    rows = step.edit_rows(data.images, data.attrs, [names.index(a) for a in flip],
                          batch_size=args.batch_size or 8, **kwargs)
    out = args.out if args.out.lower().endswith(('.png', '.jpg')) else \
        os.path.join(args.out, 'edits.png')
    save_grid(rows, out, nrow=len(data))
    print(f'wrote {out}: row 1 = {len(data)} original images ({", ".join(data.files)}), rows '
          f'2-{1 + len(flip)} = flipped ' + ', '.join(flip))
    if set(names) <= set(digit_attrs.DIGIT_ATTRS):
        r = score_edits(step, data.images, data.attrs, names, data.labels, identify=False,
                        batch_size=args.batch_size or 8, **kwargs)
        print('  measured from pixels: edit accuracy '
              + ', '.join(f'{n} {r["per_attr"][n]["edit_acc"]:.2f}' for n in names)
              + f'; other attributes kept {r["mean"]["keep_acc"]:.2f}')
