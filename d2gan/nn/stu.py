"""The Selective Transfer Unit of STGAN (Liu et al., 2019): a convolutional GRU on a skip link.

An encoder-decoder with skip connections (AttGAN with ``shortcut_layers > 1``) copies encoder
features straight into the decoder: good for detail, bad for editing, since the copied
features still describe the *old* attributes. An STU sits on each skip connection and decides,
per pixel and channel, how much of the encoder feature ``f`` to pass on and how much of a
state ``s`` coming up from the coarser level (which carries the attribute *difference*)::

    s_hat = ConvT_4x4/2(s)                       state upsampled to f's resolution, width d
    r     = sigmoid(W_r * [f, s_hat])            reset gate
    z     = sigmoid(W_z * [f, s_hat])            update gate
    s_new = r . s_hat                            state passed to the next (finer) STU
    f_hat = tanh(W_h * [f, s_new])               candidate feature
    f_t   = (1 - z) . s_hat + z . f_hat          the transferred feature, sent to the decoder

(``W *`` = 3x3 convolution with bias, ``.`` = elementwise product), as csmliu/STGAN
``ConvGRUCell`` with ``pass_state='stu'`` and no normalisation.
"""
from mxnet.gluon import nn

from .concat import concat_all
from .conv_transpose import Conv2DTranspose


class SelectiveTransferUnit(nn.HybridBlock):
    """``(f (N, in_channels, H, W), s (N, state_channels, H/2, W/2)) -> (f_t, s_new)``, both
    with ``channels`` channels at ``H x W``."""

    def __init__(self, channels, in_channels, state_channels, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self._plain = (channels % 16 != 0) or (in_channels % 16 != 0)
        pad = kernel_size // 2
        with self.name_scope():
            self.up = Conv2DTranspose(channels, 4, 2, 1, in_channels=state_channels,
                                      via_conv=True)  # used twice per step
            self.reset = nn.Conv2D(channels, kernel_size, 1, pad,
                                   in_channels=in_channels + channels)
            self.update = nn.Conv2D(channels, kernel_size, 1, pad,
                                    in_channels=in_channels + channels)
            self.info = nn.Conv2D(channels, kernel_size, 1, pad,
                                  in_channels=in_channels + channels)

    def hybrid_forward(self, F, f, s):
        s_hat = self.up(s)
        both = concat_all(F, [f, s_hat], self._plain)
        r = F.Activation(self.reset(both), act_type='sigmoid')
        z = F.Activation(self.update(both), act_type='sigmoid')
        s_new = r * s_hat
        f_hat = F.Activation(self.info(concat_all(F, [f, s_new], self._plain)), act_type='tanh')
        return (1 - z) * s_hat + z * f_hat, s_new


__all__ = ['SelectiveTransferUnit']
