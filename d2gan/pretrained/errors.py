"""The one error of :mod:`d2gan.pretrained` (its own module, so that the file readers and
:mod:`.state_dict`, which dispatches to them, can all raise it without importing each other)."""


class PretrainedError(ValueError):
    """A weight file that cannot be read, or a state dict that does not fit the network."""


__all__ = ['PretrainedError']
