"""The benchmarks' one timing loop for an operator or a layer: forward + backward."""
import time


def best_ms(fn, inputs, reps=30, trials=3):
    """Milliseconds per ``fn(*inputs)`` forward + backward (``backward()`` of its output): the
    best of ``trials`` timings of ``reps`` calls, after 3 warm-up calls. Inputs that should get
    a gradient must have one attached."""
    from mxnet import autograd, nd
    for _ in range(3):
        with autograd.record():
            y = fn(*inputs)
        y.backward()
    nd.waitall()
    best = float('inf')
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(reps):
            with autograd.record():
                y = fn(*inputs)
            y.backward()
        nd.waitall()
        best = min(best, (time.perf_counter() - start) / reps * 1000)
    return best


def hybrid_block(fn, *args):
    """``fn(F, *inputs, *args)`` as a hybridized block with static allocation (how the models
    run an operator), for :func:`best_ms`."""
    from mxnet.gluon import nn

    class Wrapped(nn.HybridBlock):
        def hybrid_forward(self, F, *inputs):
            return fn(F, *inputs, *args)

    net = Wrapped()
    net.hybridize(static_alloc=True, static_shape=True)
    return net


def require_native():
    """Stop with a message where the C++ operators these benchmarks time are not available."""
    from d2gan.nn import native
    if not native.available():
        raise SystemExit('the C++ operator is not available here (see d2gan.nn.native)')


def torch_cells(t_torch, t_ours, digits=3):
    """A row's ``PyTorch ms`` (11 wide) and ``d2gan/PyTorch`` (15 wide) cells; ``-`` where
    PyTorch did not run."""
    if not t_torch:
        return f'{"-":>11}', f'{"-":>15}'
    return f'{t_torch:11.{digits}f}', f'{t_torch / t_ours:15.2f}'
