"""The command line, ``python -m d2gan train|sample|eval|infer|launch|models``.

:mod:`~d2gan.cli.main` parses and dispatches; :mod:`~d2gan.cli.common` does what every
command shares once (resume, devices / kvstore / AMP, build-and-load, image writing); one
small module per batch kind (:mod:`~d2gan.cli.images`, :mod:`~d2gan.cli.paired`,
:mod:`~d2gan.cli.unpaired`, :mod:`~d2gan.cli.semantic`, :mod:`~d2gan.cli.attributes`) holds
only its own options, config and data; :mod:`~d2gan.cli.domains` is ``infer`` of the
``labelled`` recipes whose labels are domains (StarGAN v2). A new recipe of an existing batch
kind needs no change here.
"""
from .main import build_parser, main

__all__ = ['build_parser', 'main']
