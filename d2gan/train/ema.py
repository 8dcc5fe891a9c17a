"""An exponential moving average of a generator's weights (PGGAN's ``Gs``, StyleGAN2's
``G_ema``): the network that samples, because it averages out the last steps' oscillation."""


def update_ema(ema_net, net, beta):
    """``ema = net + beta (ema - net)`` for every trainable parameter, on every device.

    ``beta = 0`` copies ``net``. Parameters without a gradient (buffers, fixed noise) are
    always copied, as the references copy buffers. The two networks must have the same
    structure (parameter names relative to the block).
    """
    source = net._collect_params_with_prefix()
    for name, p in ema_net._collect_params_with_prefix().items():
        if name not in source:
            raise KeyError(f'update_ema: {name!r} of {type(ema_net).__name__} has no '
                           f'counterpart in {type(net).__name__}')
        for mine, theirs in zip(p.list_data(), source[name].list_data()):
            if beta and source[name].grad_req != 'null':
                mine[:] = theirs + (mine - theirs) * beta
            else:
                mine[:] = theirs


__all__ = ['update_ema']
