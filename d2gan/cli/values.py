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


def _checked(text, cast, accept, rule):
    """``cast(text)`` if it parses and ``accept(value)``; else one ``ArgumentTypeError``."""
    try:
        value = cast(text)
    except ValueError:
        kind = 'an integer' if cast is int else 'a number'
        raise argparse.ArgumentTypeError(f'{text!r} is not {kind}') from None
    if not accept(value):
        raise argparse.ArgumentTypeError(f'must be {rule}, got {text}')
    return value


def positive_int(text):
    """An integer >= 1 (sizes, counts, epochs)."""
    return _checked(text, int, lambda v: v >= 1, 'at least 1')


def positive_float(text):
    """A finite number > 0 (learning rates, intensities)."""
    return _checked(text, float, lambda v: math.isfinite(v) and v > 0, 'a finite number > 0')


def non_negative_int(text):
    """An integer >= 0 (iteration counts where 0 means "off")."""
    return _checked(text, int, lambda v: v >= 0, 'at least 0')


def non_negative_float(text):
    """A finite number >= 0 (loss weights, where 0 turns a term off)."""
    return _checked(text, float, lambda v: math.isfinite(v) and v >= 0, 'a finite number >= 0')


def unit_interval(text):
    """A number in [0, 1) (moving-average decays: 1 would never move)."""
    return _checked(text, float, lambda v: 0 <= v < 1, 'in [0, 1)')


def probability(text):
    """A number in [0, 1]."""
    return _checked(text, float, lambda v: 0 <= v <= 1, 'in [0, 1]')


__all__ = ['ArgumentParser', 'HelpFormatter', 'positive_int', 'positive_float',
           'non_negative_int', 'non_negative_float', 'unit_interval', 'probability']
