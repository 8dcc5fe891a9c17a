"""Clear errors when an image of the wrong size reaches a network built for a fixed size."""
import numpy as np
import mxnet as mx


def check_image_batch(x, channels, image_size, network):
    """Raise ``ValueError`` unless ``x`` is ``(N, channels, image_size, image_size)``.

    Only NDArrays are checked (symbols carry no shapes while a network is being hybridized).
    """
    if not isinstance(x, mx.nd.NDArray):
        return
    expected = (channels, image_size, image_size)
    if x.ndim != 4 or tuple(x.shape[1:]) != expected:
        raise ValueError(
            f'{network} expects images of shape (N, {channels}, {image_size}, {image_size}) '
            f'but got {tuple(x.shape)}; resize the data (e.g. --image-size) or build the '
            f'network for this size')


def num_parameters(net):
    """Number of trainable parameters of ``net``, from the declared shapes (no forward pass).

    This is the count the tests compare with the reference implementations. A parameter whose
    shape is still unknown (a layer built without its input width, before its first forward
    pass) raises ``ValueError`` rather than being silently left out of the count.
    """
    total = 0
    for p in net.collect_params().values():
        if p.grad_req == 'null':
            continue
        if not p.shape or 0 in p.shape:
            raise ValueError(f'parameter {p.name} has unknown shape {p.shape}: give the layer '
                             'its input width or run one forward pass first')
        total += int(np.prod(p.shape))
    return total


def resolution_log2(resolution):
    """``log2(resolution)`` for the growing / style-based networks, which need a power of 2 of
    at least 4; anything else is a ``ValueError``."""
    res = int(round(np.log2(resolution))) if resolution > 0 else 0
    if resolution < 4 or 2 ** res != resolution:
        raise ValueError(f'resolution must be a power of 2, at least 4; got {resolution}')
    return res
