"""Run-size switch of the chapters.

``D2GAN_QUICK=1`` (set by the test command) asks every chapter for a short run that still
exercises every code path; without it the chapters train to the results the book shows. The
command line does not read it: there the run size is what ``--epochs`` and ``--limit`` say.
"""
import os


def quick_mode():
    """True when ``D2GAN_QUICK`` is set to a non-empty value other than ``0``."""
    return os.environ.get('D2GAN_QUICK', '0') not in ('', '0', 'false', 'False')


def pick(full, quick):
    """``quick`` in quick mode, else ``full`` -- e.g. ``num_epochs = d2gan.pick(20, 1)``."""
    return quick if quick_mode() else full
