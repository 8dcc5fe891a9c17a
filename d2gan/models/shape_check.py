"""Clear errors when an image of the wrong size reaches a network built for a fixed size."""
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
