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
        mx.nd.random.normal(0, self.gain, shape=arr.shape, out=arr)

    def _init_gamma(self, name, arr):
        mx.nd.random.normal(1, self.gain, shape=arr.shape, out=arr)

    def _init_bias(self, name, arr):
        arr[:] = 0

    def _init_beta(self, name, arr):
        arr[:] = 0


def dcgan_init(net, device=None, gain=0.02, force_reinit=False):
    """Initialise every parameter of ``net`` with :class:`DCGANNormal` (overriding layer defaults)."""
    init = DCGANNormal(gain)
    for param in net.collect_params().values():
        param.initialize(init=init, ctx=device, force_reinit=force_reinit)
    return net
