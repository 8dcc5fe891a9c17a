"""Photo2Cartoon's generator (minivision-ai/photo2cartoon, ``models/networks.py``): U-GAT-IT
with hourglass blocks and Soft-AdaLIN.

The generator (``ResnetGenerator``) is U-GAT-IT's (:mod:`d2gan.models.ugatit`) with three
changes::

    reflect-pad 3, conv 7x7 -> ngf, IN, ReLU; 2 hourglasses          (no conv biases but the
    2 x [reflect-pad 1, conv 3x3 stride 2, IN, ReLU]                    CAM's and hourglasses'
    4 residual blocks at 4 ngf (IN); after each, its global mean:       1x1 convs)
        the content features c_1 .. c_4
    CAM (classifiers with a bias), 1x1 conv, ReLU; the heatmap
    style features s = MLP(features)  (``light``: of their global mean)
    4 residual blocks with Soft-AdaLIN, block k fed c_{5-k} and s
    2 x [nearest up x2, reflect-pad 1, conv 3x3, ILN, ReLU]
    hourglass; last hourglass -> 3 channels; reflect-pad 3, conv 7x7 (3 -> 3), tanh

returning ``(image, cam_logits (N, 2), heatmap (N, 1, S/4, S/4))``.

* **Soft-AdaLIN** mixes the style and the content features into AdaILN's scale and shift, with
  learned per-channel weights ``w`` (start 0, clipped to [0, 1] in training as ``rho`` is)::

      gamma = (1 - w_gamma) s_gamma(s) + w_gamma c_gamma(c),   c_gamma: Dense, ReLU, Dense
      beta  = (1 - w_beta)  s_beta(s)  + w_beta  c_beta(c),    s_gamma, s_beta: one Dense

* **Hourglass** ``x -> x + conv1x1(h) + conv1x1(to_image(h))``, ``h`` = [hourglass block,
  conv block, 1x1 conv, IN, ReLU](x); ``to_image`` is a 1x1 conv to 3 channels, which the last
  hourglass returns instead. The hourglass block is a four-level U of conv blocks: each level
  keeps a skip branch and descends by a 2x2 average pool; on the way up, nearest x2 up-sampling
  plus the skip. A **conv block** is three [IN, ReLU, reflect-pad 1, conv 3x3] stages of widths
  ``C/2, C/4, C/4``, each fed the previous one, concatenated and added to the input.

The AdaILN and ILN layers, the CAM and the encoder's residual blocks are U-GAT-IT's. Images must
be square sides divisible by 16, at least 32 (four pools, then a reflect-padded 3x3 conv); a
full (non-light) generator runs only at its ``img_size``.

**Where d2gan deviates** -- in one respect only, none that changes an output. The reference's
conv block also builds a 1x1 projection of its input (``ConvBlock4``) for input and output
widths that differ; in this network they never do, so its 56 ``ngf x ngf`` convolutions are
never called and get no gradient (229,376 of the reference's 283,661,447 trainable parameters at
ngf 64, 256 px). d2gan does not build them (an unused Gluon parameter would also keep a stale
gradient for the trainer); the converter (:mod:`d2gan.pretrained.photo2cartoon`) drops their
keys. The (Ada)ILN variance is the reference's unbiased ``torch.var`` by default
(``unbiased_variance=True``): unlike U-GAT-IT, no TensorFlow original uses another.
``tests/test_photo2cartoon_models.py`` checks the counts,
``tests/test_pretrained_photo2cartoon.py`` the outputs against the reference's.
"""
import mxnet as mx
from mxnet.gluon import nn

from ..nn.concat import concat_all
from ..nn.norm import InstanceNorm
from ..nn.padding import ReflectionPad
from ..nn.upsample import upsample_nearest2x
from ..registry import MODELS
from .ugatit import CAM, ILN, AdaILN, ResnetBlock

LEVELS = 4      # the hourglass block's pooling levels
N_BLOCKS = 4    # residual blocks of the encoder and of the decoder (fixed in the reference)


def _upsample(F, x):
    return upsample_nearest2x(F, x)


class ConvBlock(nn.HybridBlock):
    """``x + concat(h1, h2, h3)``, ``h_k`` = [IN, ReLU, reflect-pad 1, conv 3x3](h_{k-1}) of
    widths ``C/2, C/4, C/4`` (no biases). Unless ``C`` is a multiple of 64 (every part a
    multiple of 16 channels) the concat takes :func:`~d2gan.nn.concat.concat_channels`' plain
    route: oneDNN's concat backward otherwise dies with SIGFPE once the block feeds a
    convolution (every hourglass below ``ngf = 64``, the reference's ``ngf = 32`` included)."""

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        widths = [dim, dim // 2, dim // 4, dim // 4]
        self._plain = any(w % 16 for w in widths[1:])
        with self.name_scope():
            self.stages = nn.HybridSequential()
            for w_in, w_out in zip(widths, widths[1:]):
                stage = nn.HybridSequential()
                stage.add(InstanceNorm(), nn.Activation('relu'), ReflectionPad(1),
                          nn.Conv2D(w_out, 3, use_bias=False, in_channels=w_in))
                self.stages.add(stage)

    def hybrid_forward(self, F, x):
        outs, h = [], x
        for stage in self.stages._children.values():
            h = stage(h)
            outs.append(h)
        return x + concat_all(F, outs, self._plain)


class HourGlassBlock(nn.HybridBlock):
    """A four-level U of conv blocks: skip and pooled branch per level, centre, and back up
    (nearest x2 up-sampling plus the level's skip)."""

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.skips, self.downs, self.ups = (nn.HybridSequential() for _ in range(3))
            for _ in range(LEVELS):
                self.skips.add(ConvBlock(dim))
                self.downs.add(ConvBlock(dim))
                self.ups.add(ConvBlock(dim))
            self.center = ConvBlock(dim)

    def hybrid_forward(self, F, x):
        skips = []
        for skip, down in zip(self.skips._children.values(), self.downs._children.values()):
            skips.append(skip(x))
            x = down(F.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='avg'))
        x = self.center(x)
        for up, skip in zip(self.ups._children.values(), reversed(skips)):
            x = _upsample(F, up(x)) + skip
        return x


class HourGlass(nn.HybridBlock):
    """``x + conv1x1(h) + conv1x1(to_image(h))``; ``residual=False``: ``to_image(h)`` (3
    channels), the generator's last hourglass."""

    def __init__(self, dim, residual=True, **kwargs):
        super().__init__(**kwargs)
        self.residual = residual
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(HourGlassBlock(dim), ConvBlock(dim),
                          nn.Conv2D(dim, 1, use_bias=False, in_channels=dim),
                          InstanceNorm(), nn.Activation('relu'))
            self.to_image = nn.Conv2D(3, 1, in_channels=dim)
            if residual:
                self.features = nn.Conv2D(dim, 1, in_channels=dim)
                self.from_image = nn.Conv2D(dim, 1, in_channels=3)

    def hybrid_forward(self, F, x):
        h = self.body(x)
        image = self.to_image(h)
        if not self.residual:
            return image
        return x + self.features(h) + self.from_image(image)


def _mlp(dim, hidden):
    """``hidden``: Dense, ReLU, Dense (the content branch); else one Dense (the style one)."""
    net = nn.HybridSequential()
    if hidden:
        net.add(nn.Dense(dim, activation='relu', in_units=dim))
    net.add(nn.Dense(dim, in_units=dim))
    return net


class SoftAdaLIN(nn.HybridBlock):
    """AdaILN whose ``gamma``, ``beta`` mix the style's and the content's, per channel by ``w``
    in [0, 1] (the module docstring)."""

    def __init__(self, dim, unbiased_variance=True, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.norm = AdaILN(dim, unbiased_variance=unbiased_variance)
            self.w_gamma = self.params.get('w_gamma', shape=(1, dim), init='zeros')
            self.w_beta = self.params.get('w_beta', shape=(1, dim), init='zeros')
            self.c_gamma, self.c_beta = _mlp(dim, True), _mlp(dim, True)
            self.s_gamma, self.s_beta = _mlp(dim, False), _mlp(dim, False)

    def hybrid_forward(self, F, x, content, style, w_gamma, w_beta):
        def mix(w, s, c):
            return F.broadcast_mul(1 - w, s) + F.broadcast_mul(w, c)
        gamma = mix(w_gamma, self.s_gamma(style), self.c_gamma(content))
        beta = mix(w_beta, self.s_beta(style), self.c_beta(content))
        return self.norm(x, gamma, beta)


class ResnetSoftAdaLINBlock(nn.HybridBlock):
    """``x + [pad, conv, SoftAdaLIN, ReLU, pad, conv, SoftAdaLIN](x)`` (no biases)."""

    def __init__(self, dim, unbiased_variance=True, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.pad = ReflectionPad(1)
            self.conv1 = nn.Conv2D(dim, 3, use_bias=False, in_channels=dim)
            self.norm1 = SoftAdaLIN(dim, unbiased_variance)
            self.conv2 = nn.Conv2D(dim, 3, use_bias=False, in_channels=dim)
            self.norm2 = SoftAdaLIN(dim, unbiased_variance)

    def hybrid_forward(self, F, x, content, style):
        out = F.Activation(self.norm1(self.conv1(self.pad(x)), content, style), act_type='relu')
        return x + self.norm2(self.conv2(self.pad(out)), content, style)


def check_image_size(size, what='img_size'):
    if size % (2 ** LEVELS) or size < 2 ** (LEVELS + 1):
        raise ValueError(f'Photo2Cartoon needs images with sides divisible by {2 ** LEVELS} and '
                         f'at least {2 ** (LEVELS + 1)} (its hourglasses pool {LEVELS} times), '
                         f'got {what} {size}')


class Photo2CartoonGenerator(nn.HybridBlock):
    """``x (N, 3, S, S) -> (image, cam_logits (N, 2), heatmap (N, 1, S/4, S/4))``, the
    reference's ``ResnetGenerator(ngf, img_size, light)`` (module docstring)."""

    def __init__(self, ngf=64, img_size=256, light=False, unbiased_variance=True, **kwargs):
        super().__init__(**kwargs)
        check_image_size(img_size)
        if ngf % 4:
            raise ValueError(f'Photo2Cartoon needs ngf divisible by 4 (its conv blocks split '
                             f'the channels into halves and quarters), got {ngf}')
        self.img_size, self.light = img_size, light
        dim = ngf * 4
        with self.name_scope():
            self.stem = nn.HybridSequential()
            self.stem.add(ReflectionPad(3), nn.Conv2D(ngf, 7, use_bias=False, in_channels=3),
                          InstanceNorm(), nn.Activation('relu'),
                          HourGlass(ngf), HourGlass(ngf))
            for mult in (1, 2):
                self.stem.add(ReflectionPad(1),
                              nn.Conv2D(ngf * mult * 2, 3, 2, use_bias=False,
                                        in_channels=ngf * mult),
                              InstanceNorm(), nn.Activation('relu'))
            self.encode_blocks = nn.HybridSequential()
            for _ in range(N_BLOCKS):
                self.encode_blocks.add(ResnetBlock(dim))
            self.cam = CAM(dim, use_bias=True)
            fc_in = dim if light else (img_size // 4) ** 2 * dim
            self.fc = nn.HybridSequential()
            self.fc.add(nn.Dense(dim, activation='relu', in_units=fc_in),
                        nn.Dense(dim, activation='relu', in_units=dim))
            self.decode_blocks = nn.HybridSequential()
            for _ in range(N_BLOCKS):
                self.decode_blocks.add(ResnetSoftAdaLINBlock(dim, unbiased_variance))
            self.up = nn.HybridSequential()
            for mult in (4, 2):
                self.up.add(nn.HybridLambda(_upsample), ReflectionPad(1),
                            nn.Conv2D(ngf * mult // 2, 3, use_bias=False, in_channels=ngf * mult),
                            ILN(ngf * mult // 2, unbiased_variance=unbiased_variance),
                            nn.Activation('relu'))
            self.up.add(HourGlass(ngf), HourGlass(ngf, residual=False),
                        ReflectionPad(3), nn.Conv2D(3, 7, use_bias=False, in_channels=3),
                        nn.Activation('tanh'))

    def forward(self, x, *args):
        if isinstance(x, mx.nd.NDArray):
            for side in x.shape[2:]:
                check_image_size(side, 'an image side')
            if not self.light and tuple(x.shape[2:]) != (self.img_size,) * 2:
                raise ValueError(f'a full (non-light) Photo2Cartoon generator runs at its '
                                 f'img_size {self.img_size}, got images {tuple(x.shape)}')
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        x = self.stem(x)
        content = []
        for block in self.encode_blocks._children.values():
            x = block(x)
            content.append(F.mean(x, axis=(2, 3)))
        x, cam_logits, heatmap = self.cam(x)
        style = self.fc(F.mean(x, axis=(2, 3)) if self.light else F.flatten(x))
        for block, c in zip(self.decode_blocks._children.values(), reversed(content)):
            x = block(x, c, style)
        return self.up(x), cam_logits, heatmap


def clip_mixing(net, low=0.0, high=1.0):
    """Clip every ``rho`` and Soft-AdaLIN ``w_gamma`` / ``w_beta`` of ``net`` to ``[low, high]``
    after each update (the reference's ``RhoClipper`` and ``WClipper``)."""
    for name, param in net.collect_params().items():
        if name.endswith(('rho', 'w_gamma', 'w_beta')):
            for data in param.list_data():
                data[:] = data.clip(low, high)


@MODELS.register('photo2cartoon_generator')
def photo2cartoon_generator(ngf=64, img_size=256, light=False, unbiased_variance=True):
    return Photo2CartoonGenerator(ngf, img_size, light, unbiased_variance)


__all__ = ['Photo2CartoonGenerator', 'SoftAdaLIN', 'HourGlass', 'HourGlassBlock', 'ConvBlock',
           'ResnetSoftAdaLINBlock', 'clip_mixing', 'photo2cartoon_generator']
