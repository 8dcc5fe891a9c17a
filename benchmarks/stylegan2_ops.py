"""StyleGAN2's resampling and noise / bias operators: the library's fast forms vs the direct
ones they replaced, forward + backward in hybridized blocks (as the models run them), at the
shapes of the book's StyleGAN2 (batch 32, 32 channels, 8x8 to 32x32). The values are equal to
float rounding (``tests/test_stylegan2_models.py``); this prints the time of each and the ratio.

* ``upfirdn2d`` up-sampling: zero insertion + ``pad`` + 4x4 depthwise filter (direct) vs
  polyphase (``d2gan.nn.upfirdn``);
* ``upfirdn2d`` filtering before a strided convolution (the discriminator): ``pad`` and a 2-D
  depthwise filter vs two 1-D passes with their own padding;
* a whole synthesis layer (modulated 3x3 conv, noise, bias, leaky ReLU x sqrt(2)) with the
  direct resampling, two broadcast additions for ``+ noise * strength + bias`` and the gain
  multiplied after the activation vs the library's (polyphase, one 1x1 convolution of the
  noise map, the gain folded into the demodulation);
* a discriminator layer (filter, 3x3 stride-2 conv, leaky ReLU x gain): 2-D filter and the
  gain multiplied after the activation vs separable filter and the gain folded into the
  convolution (``out_gain``);
* ``scale_channels`` (the modulation and demodulation): ``batch_dot`` vs the outer product
  with a row of ones when the layer gives its pixel count (``d2gan.nn.channel_ops``);
* the ``G_ema`` update of the book's generator: four operators per parameter
  (``ema[:] = g + (ema - g) beta``) vs one fused ``multi_sgd_update`` (``d2gan.train.ema``),
  milliseconds per update (no backward).

    python benchmarks/stylegan2_ops.py
"""
import math

from timing import best_ms

N, C = 32, 32


def timed(net, inputs):
    for x in inputs:
        x.attach_grad()
    return best_ms(net, inputs)


def direct_layers():
    """The replaced forms, as subclasses of the library's layers."""
    from d2gan.models.stylegan2 import SynthesisLayer
    from d2gan.nn.channel_ops import scale_channels
    from d2gan.nn.upfirdn import UpFirDn2D, interleave_zeros, pad_or_crop

    class DirectUpFirDn2D(UpFirDn2D):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.polyphase = None

        def hybrid_forward(self, F, x, kernel):
            x = pad_or_crop(F, interleave_zeros(F, x, self.up), *self.pad)
            return F.Convolution(x, kernel, kernel=(self.size, self.size),
                                 stride=(self.down, self.down), num_filter=self.channels,
                                 num_group=self.channels, no_bias=True)

    class DirectSynthesisLayer(SynthesisLayer):
        def __init__(self, in_channels, *args, **kwargs):
            super().__init__(in_channels, *args, **kwargs)
            if self.up > 1:
                pad, self.resample.polyphase = self.resample.pad, None
                with self.name_scope():
                    self.resample = DirectUpFirDn2D(in_channels, up=self.up, pad=pad)

        def hybrid_forward(self, F, x, w, weight, bias, noise_strength):
            styles = self.affine(w)
            y = self._conv(F, scale_channels(F, x, styles), weight)
            power = F.dot(F.square(styles), F.sum(F.square(weight), axis=(2, 3)),
                          transpose_b=True)
            y = scale_channels(F, y, F.rsqrt(power + 1e-8))
            noise = F.random.normal_like(F.slice_axis(y, axis=1, begin=0, end=1))
            y = F.broadcast_add(y, F.broadcast_mul(noise, F.reshape(noise_strength,
                                                                     (1, 1, 1, 1))))
            y = F.broadcast_add(y, F.reshape(bias, (1, -1, 1, 1)))
            return F.LeakyReLU(y, slope=0.2) * math.sqrt(2)

    return DirectUpFirDn2D, DirectSynthesisLayer


def discriminator_layers(folded):
    """A discriminator layer (FIR filter, 3x3 stride-2 conv, leaky ReLU x gain) with the gain
    folded into the convolution (the library's) or multiplied after the activation."""
    from mxnet.gluon import nn
    from d2gan.models.stylegan2 import conv_layer
    from d2gan.nn.equalized import EqualizedConv2D, ScaledLeakyReLU
    chain = conv_layer(C, C, 3, down=2, gain=math.sqrt(0.5))
    if folded:
        return chain
    DirectUpFirDn2D, _ = direct_layers()
    direct = nn.HybridSequential()
    direct.add(DirectUpFirDn2D(C, pad=chain[0].pad, gain=1),
               EqualizedConv2D(C, C, 3, gain=1, stride=2, padding=0),
               ScaledLeakyReLU(0.2, math.sqrt(2) * math.sqrt(0.5)))
    return direct


def scale_block(pixels):
    """``scale_channels`` as a block, by the route ``pixels`` selects (``None``: batch_dot)."""
    from mxnet.gluon import nn
    from d2gan.nn.channel_ops import scale_channels

    class Scale(nn.HybridBlock):
        def hybrid_forward(self, F, x, s):
            return scale_channels(F, x, s, pixels)
    return Scale()


def ema_update_ms(reps=20):
    """Milliseconds per ``G_ema`` update of the book's StyleGAN2 generator: the replaced
    per-parameter formula and the library's ``update_ema``."""
    import time
    from mxnet import nd
    import d2gan
    from d2gan.train.ema import update_ema
    step = d2gan.build_gan('stylegan2', image_size=32, channels=1, z_dim=128, w_dim=128,
                           mapping_layers=2, channel_base=2048, channel_max=32, pl_weight=0)

    def formula():
        source = step.net_G._collect_params_with_prefix()
        for name, p in step.G_ema._collect_params_with_prefix().items():
            for mine, theirs in zip(p.list_data(), source[name].list_data()):
                mine[:] = theirs + (mine - theirs) * 0.99

    times = []
    for fn in (formula, lambda: update_ema(step.G_ema, step.net_G, 0.99)):
        fn()
        nd.waitall()
        best = float('inf')
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(reps):
                fn()
            nd.waitall()
            best = min(best, (time.perf_counter() - start) / reps * 1000)
        times.append(best)
    return times


def ready(layer):
    layer.initialize()
    layer.hybridize()
    return layer


def main():
    from mxnet import nd
    from d2gan.models.stylegan2 import SynthesisLayer
    from d2gan.nn.upfirdn import UpFirDn2D
    DirectUpFirDn2D, DirectSynthesisLayer = direct_layers()
    print(f'{"operator":<40}{"input":<18}{"direct ms":>10}{"d2gan ms":>10}{"speed-up":>10}')
    cases = [('upfirdn2d up x2, pad (3, 2)', (N, C, 8, 8), dict(up=2, pad=(3, 2))),
             ('upfirdn2d up x2, pad (3, 2)', (N, C, 16, 16), dict(up=2, pad=(3, 2))),
             ('upfirdn2d up x2, pad (2, 1) (image)', (N, 1, 16, 16), dict(up=2, pad=(2, 1))),
             ('upfirdn2d filter, pad (2, 2) (D)', (N, C, 32, 32), dict(pad=(2, 2), gain=1)),
             ('upfirdn2d down x2, pad (1, 1) (D)', (N, C, 32, 32),
              dict(down=2, pad=(1, 1), gain=1))]
    for name, shape, kwargs in cases:
        x = nd.random.normal(shape=shape)
        old = ready(DirectUpFirDn2D(shape[1], **kwargs))
        new = ready(UpFirDn2D(shape[1], **kwargs))
        t_old, t_new = timed(old, [x]), timed(new, [x])
        print(f'{name:<40}{str(shape[1:]):<18}{t_old:10.3f}{t_new:10.3f}{t_old / t_new:10.2f}')
    for res, up in ((16, 2), (16, 1), (32, 2), (32, 1)):
        x = nd.random.normal(shape=(N, C, res // up, res // up))
        w = nd.random.normal(shape=(N, 64))
        old = ready(DirectSynthesisLayer(C, C, 64, res, up=up))
        new = ready(SynthesisLayer(C, C, 64, res, up=up))
        t_old, t_new = timed(old, [x, w]), timed(new, [x, w])
        name = f'synthesis layer{" (up x2)" if up > 1 else ""}'
        print(f'{name:<40}{str(x.shape[1:]):<18}{t_old:10.3f}{t_new:10.3f}'
              f'{t_old / t_new:10.2f}')
    for res in (32, 16):
        x = nd.random.normal(shape=(N, C, res, res))
        old, new = ready(discriminator_layers(False)), ready(discriminator_layers(True))
        t_old, t_new = timed(old, [x]), timed(new, [x])
        print(f'{"discriminator layer (down x2)":<40}{str(x.shape[1:]):<18}{t_old:10.3f}'
              f'{t_new:10.3f}{t_old / t_new:10.2f}')
    for res in (32, 16):
        x, scale = nd.random.normal(shape=(N, C, res, res)), nd.random.normal(shape=(N, C))
        t_old = timed(ready(scale_block(None)), [x, scale])
        t_new = timed(ready(scale_block(res * res)), [x, scale])
        print(f'{"scale_channels (modulation)":<40}{str(x.shape[1:]):<18}{t_old:10.3f}'
              f'{t_new:10.3f}{t_old / t_new:10.2f}')
    t_old, t_new = ema_update_ms()
    print(f'{"G_ema update (forward only)":<40}{"book G":<18}{t_old:10.3f}{t_new:10.3f}'
          f'{t_old / t_new:10.2f}')
    print('ms per forward + backward, batch', N)


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
