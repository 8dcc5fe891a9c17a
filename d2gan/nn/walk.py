"""Walking a Gluon block tree (to find its layers of one kind: norms, rho, batch norms)."""


def walk_blocks(block):
    """``block`` and all its descendants, depth first in the order they were added."""
    yield block
    for child in block._children.values():
        yield from walk_blocks(child)


__all__ = ['walk_blocks']
