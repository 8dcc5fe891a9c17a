"""``train --resume``: the checkpoint fixes the run; options given again must agree with it.

A resumed run rebuilds its networks from the checkpoint's config and restores the optimizer
states, the data order and the noise (the seed), so that it continues exactly where it
stopped. An option given again that would change any of these and differs from the checkpoint
used to be dropped silently (``--lr 1e6`` trained at 2e-4, ``--attrs Hat`` trained Smile and
Hat). Now it is refused, naming both values. ``--epochs`` is the option that applies: it says
how long to train (CycleGAN's schedule follows it, see :mod:`d2gan.cli.unpaired`).

:func:`recipe_options` is the other half: an option given for a new run reaches the recipe
when the recipe has that argument, and is refused when it has none.
"""
import inspect

from ..registry import RECIPES
from ..train.checkpoint import read_meta

#: command-line option (argparse dest) -> the config key it sets
RESUME_FIXED = {'image_size': 'image_size', 'ngf': 'ngf', 'ndf': 'ndf', 'lr': 'lr',
                'n_critic': 'n_critic', 'direction': 'direction', 'attrs': 'attrs',
                'dim_in': 'dim_in', 'max_conv_dim': 'max_conv_dim',
                'lod_training_kimg': 'lod_training_kimg',
                'lod_transition_kimg': 'lod_transition_kimg', 'hidden_dim': 'hidden_dim',
                'f_lr': 'f_lr', 'lambda_ds': 'lambda_ds', 'ds_iter': 'ds_iter',
                'ema_beta': 'ema_beta', 'fmap_base': 'fmap_base', 'fmap_max': 'fmap_max',
                'channel_base': 'channel_base', 'channel_max': 'channel_max',
                'mapping_layers': 'mapping_layers', 'layer': 'layer',
                'mbstd_group_size': 'mbstd_group_size', 'r1_gamma': 'r1_gamma',
                'pl_weight': 'pl_weight', 'style_mixing': 'style_mixing'}


def given_options(args):
    """The options of ``train`` given on the command line (argparse leaves the rest None)."""
    return {k: v for k, v in vars(args).items() if v is not None}


def split_list(text):
    """``'Smile, Hat'`` -> ``['Smile', 'Hat']`` (None for None or an empty list)."""
    return [a.strip() for a in text.split(',') if a.strip()] or None if text else None


def recipes_with(argument):
    """The recipes whose constructor takes ``argument`` (the ones an option for it fits)."""
    return [name for name in RECIPES.names() if argument in RECIPES.parameters(name)]


def recipe_options(args, options, renamed=None):
    """``{config key: value}`` for each of ``options`` given on the command line.

    ``renamed`` maps an option to the recipe argument it sets where the names differ (SPADE's
    ``--lr`` is ``lr_G``). An option that the recipe ``args.model`` has no argument for is a
    ``ValueError`` naming the recipes it applies to (it used to be ignored).
    """
    renamed = renamed or {}
    accepted = RECIPES.parameters(args.model)
    chosen = {}
    for option in options:
        value = getattr(args, option, None)
        if value is None:
            continue
        key = renamed.get(option, option)
        if key not in accepted:
            flag = '--' + option.replace('_', '-')
            raise ValueError(f'{flag} does not apply to {args.model!r} (its recipe has no '
                             f'{key!r}); it applies to: {", ".join(recipes_with(option))}')
        chosen[key] = value
    return chosen


def resumed_config(args, checkpoint, lr_key='lr'):
    """The config that rebuilds the checkpoint's step, after checking ``args`` against it.

    ``lr_key`` is the config key ``--lr`` sets (SPADE: ``'lr_G'``). Raises ``ValueError``
    for another model, or for an option in :data:`RESUME_FIXED` or ``--seed`` that differs
    from the checkpoint.
    """
    meta = read_meta(checkpoint)
    config = dict(meta['config'])
    model = config.pop('model')
    if model != args.model:
        raise ValueError(f'{checkpoint} holds a {model!r} run, not {args.model!r}')
    given = getattr(args, 'given', {})
    defaults = {k: v for k, v in RECIPES.parameters(model).items()
                if v is not inspect.Parameter.empty}
    effective = dict(defaults, **config)          # a recipe's default is a setting too
    saved = {option: effective.get(lr_key if option == 'lr' else key)
             for option, key in RESUME_FIXED.items()}
    saved['seed'] = meta.get('seed')
    for option, value in given.items():
        if option not in saved or saved[option] is None:
            continue
        value = split_list(value) if option == 'attrs' else value
        if value != saved[option]:
            flag = '--' + option.replace('_', '-')
            shown = ','.join(value) if option == 'attrs' else value
            before = ','.join(saved[option]) if option == 'attrs' else saved[option]
            raise ValueError(f'{flag} {shown} contradicts {checkpoint}, which was trained with '
                             f'{flag} {before}: a resumed run keeps its checkpoint\'s settings '
                             '(drop the option, or start a new run with another --out)')
    return config


__all__ = ['RESUME_FIXED', 'given_options', 'recipe_options', 'recipes_with', 'resumed_config',
           'split_list']
