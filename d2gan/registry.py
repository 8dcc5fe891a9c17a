"""Name -> constructor registries, with errors that list the valid names."""
import inspect


class Registry:
    """A named collection of constructors.

    >>> MODELS = Registry('model')
    >>> @MODELS.register('dcgan_generator')
    ... def build(**kwargs): ...
    """

    def __init__(self, kind):
        self.kind = kind
        self._builders = {}

    def register(self, name):
        def decorator(builder):
            if name in self._builders:
                raise ValueError(f'{self.kind} {name!r} is registered twice')
            self._builders[name] = builder
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

    def get(self, name, **kwargs):
        """Build ``name`` with ``kwargs``; an unknown name raises ``KeyError`` listing valid ones."""
        self._check(name)
        return self._builders[name](**kwargs)


MODELS = Registry('model')


def get_model(name, **kwargs):
    """Build a registered network (a ``HybridBlock``) by name, e.g. ``get_model('dcgan_generator')``."""
    _load_model_families()
    return MODELS.get(name, **kwargs)


def list_models():
    """Names accepted by :func:`get_model`."""
    _load_model_families()
    return MODELS.names()


def _load_model_families():
    from . import models  # noqa: F401  (importing the package registers every family)
