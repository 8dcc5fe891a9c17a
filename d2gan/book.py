"""Numbers measured in a chapter's cells, pasted into its prose.

A chapter states its results in sentences ("the FID falls from 120 to 14"); typed by hand, such
numbers drift from what the cells print the next time the chapter runs. ``glue(name, value)``
hands ``value`` to myst-nb's ``glue`` so that the built book prints it where the prose says
``{glue:text}`name:.1f```, and returns ``value``. Outside a book build (a reader's Jupyter
without myst-nb) it only returns ``value``.
"""


def glue(name, value):
    """Record ``value`` (a number or a string) under ``name`` for the prose; returns ``value``."""
    plain = value.item() if hasattr(value, 'item') else value   # NumPy / MXNet scalars
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, plain, display=False)
    return value


__all__ = ['glue']
