"""Name -> constructor registries, with errors that list the valid names.

Two are shared by the whole library: :data:`MODELS` (networks, filled by the files of
:mod:`d2gan.models`) and :data:`RECIPES` (GANs, filled by the files of :mod:`d2gan.gans`).
A recipe is registered with its **batch kind**, the one place that says what its batches hold
and so which data pipeline the CLI gives it:

==============  ============================================================================
batch kind      a batch is
==============  ============================================================================
``images``      images ``X`` (unconditional GANs)
``labelled``    ``(X, y)``: images and integer class labels
``paired``      ``(A, B)``: aligned input and target images
``unpaired``    ``(A, B)``: images of two domains that do not correspond
``semantic``    ``(maps, images)``: one-hot label maps (+ instance edges) and photos
``attributes``  ``(X, A)``: images and {0, 1} attribute rows
==============  ============================================================================

Importing :mod:`d2gan` imports every family, so every name is registered before
:func:`get_model` or :func:`build_gan` is called.
"""
import inspect

BATCH_KINDS = ('images', 'labelled', 'paired', 'unpaired', 'semantic', 'attributes')


class Registry:
    """A named collection of constructors, each with optional facts about it.

    >>> MODELS = Registry('model')
    >>> @MODELS.register('dcgan_generator')
    ... def build(**kwargs): ...
    """

    def __init__(self, kind):
        self.kind = kind
        self._builders = {}
        self._info = {}

    def register(self, name, **info):
        def decorator(builder):
            if name in self._builders:
                raise ValueError(f'{self.kind} {name!r} is registered twice')
            self._builders[name] = builder
            self._info[name] = dict(info)
            return builder
        return decorator

    def names(self):
        return sorted(self._builders)

    def __contains__(self, name):
        return name in self._builders

    def parameters(self, name):
        """``{argument: default}`` of ``name``'s constructor (``inspect.Parameter.empty``
        for arguments without a default): what a config for it may hold."""
        self._check(name)
        signature = inspect.signature(self._builders[name])
        return {p.name: p.default for p in signature.parameters.values()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}

    def _check(self, name):
        if name not in self._builders:
            raise KeyError(f'unknown {self.kind} {name!r}; valid names are: '
                           + ', '.join(self.names()))

    def info(self, name):
        """The facts ``name`` was registered with; an unknown name raises ``KeyError``."""
        self._check(name)
        return dict(self._info[name])

    def get(self, name, **kwargs):
        """Build ``name`` with ``kwargs``; an unknown name raises ``KeyError`` listing valid ones."""
        self._check(name)
        return self._builders[name](**kwargs)


MODELS = Registry('model')
RECIPES = Registry('GAN model')


def get_model(name, **kwargs):
    """Build a registered network (a ``HybridBlock``) by name, e.g. ``get_model('dcgan_generator')``."""
    return MODELS.get(name, **kwargs)


def list_models():
    """Names accepted by :func:`get_model`."""
    return MODELS.names()


def register_recipe(name, batch_kind='images'):
    """Decorator: register a recipe ``fn(devices=None, **config) -> step`` under ``name``."""
    if batch_kind not in BATCH_KINDS:
        raise ValueError(f'batch kind must be one of {BATCH_KINDS}, got {batch_kind!r}')
    return RECIPES.register(name, batch_kind=batch_kind)


def batch_kind(model):
    """What the batches of recipe ``model`` hold (see :data:`BATCH_KINDS`)."""
    return RECIPES.info(model)['batch_kind']


def build_gan(model, devices=None, **config):
    """Build the step of recipe ``model``; unknown names raise ``KeyError`` listing valid ones.

    ``build_gan('dcgan', image_size=32, channels=1)`` returns a ready-to-train step whose
    ``config`` records every argument, so a checkpoint can rebuild the same networks
    (``build_gan(**read_meta(path)['config'])``); its ``batch_kind`` is the recipe's.
    """
    step = RECIPES.get(model, devices=devices, **config)
    step.config = dict(config, model=model)
    step.batch_kind = batch_kind(model)
    return step


def list_gans():
    """Names accepted by :func:`build_gan` (the CLI's ``--model``)."""
    return RECIPES.names()
