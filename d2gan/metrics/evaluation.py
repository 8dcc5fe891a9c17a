"""One call from images (or a generator, or a checkpoint) to FID / KID / IS numbers."""
from ..registry import build_gan
from ..train.checkpoint import load_checkpoint, read_meta
from . import digit_classifier
from .digit_classifier import DigitFeatures, digit_split
from .features import InceptionV3Features
from .streaming import FeatureStats, accumulate, compute_metrics, generator_source


def get_extractor(name='digits', device=None, **kwargs):
    """``'digits'`` (offline digit classifier, the default) or ``'inception'``.

    An extractor object (anything callable as ``extractor(images) -> (features, probs)``) is
    returned unchanged.
    """
    if callable(name):
        return name
    if name in ('digits', 'digit'):
        return DigitFeatures(device=device, **kwargs)
    if name in ('inception', 'inceptionv3', 'inception_v3'):
        return InceptionV3Features(device=device, **kwargs)
    raise KeyError(f"unknown feature extractor {name!r}; valid names are: digits, inception")


def reference_stats(reference, extractor='digits', num=None, batch_size=200):
    """Features of real images for FID/KID: a :class:`FeatureStats` (passed through as is),
    an image source (array, iterable, generator callable), or, for the shipped digits,
    ``'heldout'`` (the classifier's 1,000 held-out digits) or ``'train'`` (its 4,000)."""
    if isinstance(reference, FeatureStats):
        return reference
    extractor = get_extractor(extractor)
    if isinstance(reference, str):
        reference = real_digits(reference)
    return accumulate(extractor, reference, num, batch_size, keep_probs=False)


def real_digits(split='heldout', image_size=32):
    """The real digits of one part of the fixed split (see :func:`digit_split`)."""
    parts = dict(zip(('train', 'heldout'), digit_split(
        image_size, digit_classifier.DIGIT_CONFIG['heldout_per_class'],
        digit_classifier.DIGIT_CONFIG['split_seed'])))
    if split not in parts:
        raise ValueError(f"split must be 'heldout' or 'train', got {split!r}")
    return parts[split][0]


def evaluate(source, reference=None, extractor='digits', metrics=('fid', 'kid'), num=None,
             batch_size=200, seed=0, kid_subsets=100, kid_subset_size=None, is_splits=10,
             progress=None):
    """FID / KID / IS of the images of ``source`` against ``reference``.

    Parameters
    ----------
    source : generator callable ``fn(n)`` (e.g. :func:`generator_source` of a GAN step), an
        array, or an iterable of batches -- streamed, never all in memory.
    reference : real images or their :class:`FeatureStats` (see :func:`reference_stats`);
        compute it once with :func:`reference_stats` when evaluating several models.
    extractor : ``'digits'``, ``'inception'`` or a feature extractor object.
    num : how many images to draw from ``source`` (required for a generator).
    progress : called with the number of ``source`` images done after every batch.

    Returns a dict: ``fid``, ``kid``/``kid_std``, ``is``/``is_std``, ``num`` (images used).
    """
    metrics = tuple(metrics.split(',')) if isinstance(metrics, str) else tuple(metrics)
    extractor = get_extractor(extractor)
    if reference is not None:
        reference = reference_stats(reference, extractor, batch_size=batch_size)
    stats = accumulate(extractor, source, num, batch_size,
                       keep_features='kid' in metrics, keep_probs='is' in metrics,
                       progress=progress)
    out = compute_metrics(stats, reference, metrics, kid_subsets, kid_subset_size, is_splits,
                          seed)
    out['num'] = stats.n
    return out


def load_step(checkpoint, device=None):
    """Rebuild the GAN step of a checkpoint from its config and load its weights."""
    config = dict(read_meta(checkpoint)['config'])
    step = build_gan(devices=device, **config)
    load_checkpoint(checkpoint, step)
    return step


def evaluate_checkpoint(checkpoint, metrics=('fid', 'kid'), num=2000, extractor='digits',
                        reference='heldout', device=None, batch_size=200, seed=0, **kwargs):
    """:func:`evaluate` for the generator of a checkpoint written by :func:`d2gan.train_gan`.

    By default its samples are compared with the 1,000 real held-out digits through the digit
    classifier's features. Samples are drawn with seeds derived from ``seed``.
    """
    step = load_step(checkpoint, device)
    return evaluate(generator_source(step, seed), reference, extractor, metrics, num,
                    batch_size, seed, **kwargs)
