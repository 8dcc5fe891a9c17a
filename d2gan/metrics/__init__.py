"""Evaluating generative models: FID, KID, IS and the feature extractors they use.

Typical use (the digit extractor works offline; ``'inception'`` needs a local weight file)::

    from d2gan import metrics
    reference = metrics.reference_stats('heldout', 'digits')   # 1,000 real held-out digits
    metrics.evaluate(metrics.generator_source(step), reference, 'digits',
                     ('fid', 'kid', 'is'), num=1000)
    # -> {'fid': ..., 'kid': ..., 'kid_std': ..., 'is': ..., 'is_std': ..., 'num': 1000}

Pieces: :mod:`.frechet` (FID), :mod:`.kid` (KID), :mod:`.inception_score` (IS),
:mod:`.streaming` (batch-by-batch accumulation, image sources), :mod:`.features` (extractor
interface, Inception-v3), :mod:`.digit_classifier` (offline digit extractor),
:mod:`.evaluation` (one-call evaluation, checkpoints), :mod:`.callback` (FID during training),
:mod:`.path_length` (perceptual path length of a style-based generator), :mod:`.style_mixing`
(which styles decide which factor of an image).
"""
from .digit_classifier import (DIGIT_CONFIG, DigitClassifier, DigitFeatures, digit_split,
                               load_digit_classifier, train_digit_classifier)
from .features import (FeatureExtractor, InceptionV3Features, InceptionWeightsNotFoundError,
                       default_inception_weights)
from .frechet import fid_from_features, frechet_distance, gaussian_stats, sqrtm_product
from .inception_score import inception_score
from .kid import kernel_inception_distance, mmd2_unbiased, polynomial_kernel
from .streaming import (FeatureStats, RunningGaussian, accumulate, compute_metrics,
                        generator_source, image_batches)
from .evaluation import (evaluate, evaluate_checkpoint, get_extractor, load_step, real_digits,
                         reference_stats)
from .callback import FIDCallback, MetricCallback
from .attribute_edit import comparison_table, digit_identity, score_edits
from .path_length import path_lengths, perceptual_path_length
from .style_mixing import mixing_follows

__all__ = ['frechet_distance', 'fid_from_features', 'gaussian_stats', 'sqrtm_product',
           'kernel_inception_distance', 'mmd2_unbiased', 'polynomial_kernel', 'inception_score',
           'RunningGaussian', 'FeatureStats', 'accumulate', 'image_batches', 'generator_source',
           'compute_metrics', 'FeatureExtractor', 'InceptionV3Features',
           'InceptionWeightsNotFoundError', 'default_inception_weights', 'get_extractor',
           'DIGIT_CONFIG', 'DigitClassifier', 'DigitFeatures', 'digit_split',
           'load_digit_classifier', 'train_digit_classifier', 'evaluate', 'evaluate_checkpoint',
           'load_step', 'real_digits', 'reference_stats', 'FIDCallback', 'MetricCallback',
           'score_edits', 'comparison_table', 'digit_identity', 'path_lengths', 'mixing_follows',
           'perceptual_path_length']
