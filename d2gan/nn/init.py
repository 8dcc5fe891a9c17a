"""Weight initialisation used by the GAN papers."""
import mxnet as mx


class DCGANNormal(mx.init.Initializer):
    """DCGAN's scheme: weights ~ N(0, gain), BN gamma ~ N(1, gain), biases and beta = 0.

    Pix2Pix and CycleGAN reuse it (``init_type='normal'`` in their reference code).
    """

    def __init__(self, gain=0.02):
        super().__init__(gain=gain)
        self.gain = gain

    def _init_weight(self, name, arr):
        # Gluon routes an explicitly given initializer through _init_weight for every
        # parameter, so dispatch on the parameter's name here.
        name = str(name)
        if name.endswith(('running_var', 'moving_var')):
            arr[:] = 1
        elif name.endswith(('running_mean', 'moving_mean', 'beta', 'bias')):
            arr[:] = 0
        elif name.endswith('gamma'):
            mx.nd.random.normal(1, self.gain, shape=arr.shape, out=arr)
        else:
            mx.nd.random.normal(0, self.gain, shape=arr.shape, out=arr)

    _init_gamma = _init_beta = _init_bias = _init_default = _init_weight


def dcgan_init(net, device=None, gain=0.02, force_reinit=False):
    """Initialise every parameter of ``net`` with :class:`DCGANNormal` (overriding layer defaults)."""
    init = DCGANNormal(gain)
    for param in net.collect_params().values():
        param.initialize(init=init, ctx=device, force_reinit=force_reinit)
    return net
