"""An exponential moving average of a generator's weights (PGGAN's ``Gs``, StyleGAN2's
``G_ema``): the network that samples, because it averages out the last steps' oscillation."""
from mxnet import nd

# the most weights one ``multi_sgd_update`` call takes (MXNet's aggregation limit)
_GROUP = 60


def update_ema(ema_net, net, beta):
    """``ema = beta ema + (1 - beta) net`` for every trainable parameter, on every device.

    ``beta = 0`` copies ``net``. Parameters without a gradient (buffers, fixed noise) are
    always copied, as the references copy buffers. The two networks must have the same
    structure (parameter names relative to the block).

    The average runs in place as one fused ``multi_sgd_update`` per 60 weights of a device: an
    SGD step with rate ``1 - beta``, weight decay 1 and the gradient ``-net`` is
    ``ema - (1 - beta) (ema - net)``. The formula written out took four operators per
    parameter, about 3 % of the book's StyleGAN2 iteration (``benchmarks/stylegan2_ops.py``
    times both).
    """
    source = net._collect_params_with_prefix()
    pairs = {}                               # per device: one operator runs on one device
    for name, p in ema_net._collect_params_with_prefix().items():
        if name not in source:
            raise KeyError(f'update_ema: {name!r} of {type(ema_net).__name__} has no '
                           f'counterpart in {type(net).__name__}')
        for mine, theirs in zip(p.list_data(), source[name].list_data()):
            if beta and source[name].grad_req != 'null':
                pairs.setdefault(mine.context, []).append((mine, theirs))
            else:
                mine[:] = theirs
    for start, device_pairs in ((s, d) for d in pairs.values()
                                for s in range(0, len(d), _GROUP)):
        group = device_pairs[start:start + _GROUP]
        nd.multi_sgd_update(*[a for pair in group for a in pair], out=[m for m, _ in group],
                            lrs=(1.0 - beta,) * len(group), wds=(1.0,) * len(group),
                            rescale_grad=-1.0, num_weights=len(group))


__all__ = ['update_ema']
