"""Weight initialisation used by the GAN papers, by scheme name: :func:`init_weights`.

==================  ==================================================  =====================
scheme              weights                                             used by
==================  ==================================================  =====================
``normal``          N(0, 0.02); BN gamma N(1, 0.02); biases, beta 0     DCGAN, Pix2Pix, CycleGAN
``torch``           U(+-1/sqrt(fan_in)) (PyTorch's layer default)       StarGAN, AttGAN
``xavier``          Glorot uniform (TF-slim's default)                  STGAN
``xavier_normal``   Xavier normal with gain 0.02, biases 0              SPADE
==================  ==================================================  =====================

``normal`` overrides every parameter's own initialiser (the references re-initialise every
layer); the others leave parameters that bring their own (spectral norm's ``u``, norm
statistics) as they are.
"""
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


SCHEMES = ('normal', 'torch', 'xavier', 'xavier_normal')


def init_weights(net, scheme='normal', device=None, gain=0.02):
    """Initialise ``net`` (one block or a list) on ``device`` with ``scheme`` (see above)."""
    for block in (net if isinstance(net, (list, tuple)) else [net]):
        if scheme == 'normal':
            dcgan_init(block, device, gain)
        elif scheme == 'torch':
            block.initialize(mx.init.Xavier(rnd_type='uniform', factor_type='in', magnitude=1.0),
                             ctx=device)
        elif scheme == 'xavier':
            block.initialize(mx.init.Xavier(rnd_type='uniform', factor_type='avg', magnitude=3.0),
                             ctx=device)
        elif scheme == 'xavier_normal':  # MXNet's magnitude is the squared gain of PyTorch's
            block.initialize(mx.init.Xavier(rnd_type='gaussian', factor_type='avg',
                                            magnitude=gain ** 2), ctx=device)
        else:
            raise ValueError(f'init must be one of {SCHEMES}, got {scheme!r}')
    return net
