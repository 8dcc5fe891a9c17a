"""Option types of the command line that refuse impossible values up front.

``--batch-size 0`` used to fall back to the default silently (``0 or 64``), ``--limit -5``
became a Python slice and ``--lr -1`` trained backwards. Each type here turns such a value into
one ``error:`` line (exit 2) naming the option, before anything is loaded or trained.
"""
import argparse
import math


class ArgumentParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose errors are one ``error: ...`` line, like every other
    error of the command line (subcommand parsers inherit it)."""

    def error(self, message):
        self.exit(2, f'error: {message} (see `{self.prog} --help`)\n')


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default unless it is None or False (the help text says those)."""

    def _get_help_string(self, action):
        if action.default in (None, False) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def positive_int(text):
    """An integer >= 1 (sizes, counts, epochs)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not an integer') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be at least 1, got {value}')
    return value


def positive_float(text):
    """A finite number > 0 (learning rates, intensities)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f'must be a finite number > 0, got {text}')
    return value


__all__ = ['ArgumentParser', 'HelpFormatter', 'positive_int', 'positive_float']


def non_negative_int(text):
    """An integer >= 0 (iteration counts where 0 means "off")."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not an integer') from None
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be at least 0, got {value}')
    return value


def non_negative_float(text):
    """A finite number >= 0 (loss weights, where 0 turns a term off)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f'must be a finite number >= 0, got {text}')
    return value


def unit_interval(text):
    """A number in [0, 1) (moving-average decays: 1 would never move)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f'must be in [0, 1), got {text}')
    return value
