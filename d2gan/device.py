"""Choosing devices (contexts) and spreading a batch over several of them."""
import mxnet as mx
from mxnet import gluon


def num_gpus():
    """Number of GPUs MXNet can see (0 on the CPU wheel)."""
    try:
        return mx.context.num_gpus()
    except mx.base.MXNetError:
        return 0


def try_gpu(i=0):
    """Return ``mx.gpu(i)`` if that GPU exists, else ``mx.cpu()``."""
    return mx.gpu(i) if num_gpus() > i else mx.cpu()


def try_all_gpus():
    """Return every available GPU, or ``[mx.cpu()]`` when there is none."""
    n = num_gpus()
    return [mx.gpu(i) for i in range(n)] if n else [mx.cpu()]


def as_device_list(device):
    """Normalise ``None`` / a context / a list of contexts / a string to a list of contexts.

    Strings: ``'auto'`` (the first GPU, else the CPU), ``'cpu'``, ``'gpu'`` (every GPU),
    ``'cpu:N'`` / ``'gpu:N'``, or a comma-separated list of these (``'cpu:0,cpu:1'``,
    ``'gpu:0,gpu:1'``). A GPU that MXNet does not see is a ``ValueError`` naming it.
    """
    if device is None or device == 'auto':
        return try_all_gpus()[:1]
    if isinstance(device, str):
        if ',' in device:
            devices = [d for part in device.split(',') for d in as_device_list(part.strip())]
            if len(set(devices)) != len(devices):
                raise ValueError(f'device list {device!r} names a device twice')
            return devices
        if device == 'cpu':
            return [mx.cpu()]
        if device == 'gpu':
            if not num_gpus():
                raise ValueError("device='gpu' was asked for, but MXNet sees no GPU "
                                 "(install mxnet-cu112 on a CUDA 11.2 machine)")
            return try_all_gpus()
        kind, _, index = device.partition(':')
        if kind in ('cpu', 'gpu') and index.isdigit():
            if kind == 'gpu' and int(index) >= num_gpus():
                raise ValueError(f'device {device!r}: MXNet sees {num_gpus()} GPU(s) here '
                                 '(the CPU build of mxnet sees none; install mxnet-cu112 on a '
                                 'CUDA 11.2 machine), use cpu')
            return [mx.Context(kind, int(index))]
        raise ValueError(f"unknown device {device!r}: use 'cpu', 'gpu', 'cpu:N', 'gpu:N', "
                         "'auto', a comma-separated list such as 'cpu:0,cpu:1', or an "
                         'mx.Context')
    if isinstance(device, mx.Context):
        return [device]
    devices = list(device)
    if not devices or not all(isinstance(d, mx.Context) for d in devices):
        raise ValueError(f'expected a non-empty list of mx.Context, got {device!r}')
    return devices


def split_and_load(data, devices, batch_axis=0):
    """Split ``data`` along ``batch_axis`` into one slice per device (sizes differ by at most 1).

    The batch must have at least as many examples as there are devices.
    """
    devices = as_device_list(devices)
    if not isinstance(data, mx.nd.NDArray):
        data = mx.nd.array(data, ctx=devices[0])
    n = data.shape[batch_axis]
    if n < len(devices):
        raise ValueError(f'a batch of {n} examples cannot be split over {len(devices)} devices')
    if len(devices) == 1:
        return [data.as_in_context(devices[0])]
    return gluon.utils.split_and_load(data, devices, batch_axis=batch_axis, even_split=False)
