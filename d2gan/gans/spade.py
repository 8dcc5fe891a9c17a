"""SPADE: :class:`SPADEStep` (semantic map -> photo with hinge loss, feature matching and VGG
loss) and the recipe ``spade``, whose batches are ``(maps, images)`` with one-hot maps
(+ instance edges) from :class:`d2gan.data.SemanticBatches`."""
import numpy as np
import mxnet as mx
from mxnet import autograd, nd

from ..data.cityscapes import colorize_maps, label_channels, label_palette
from ..losses import (GANLoss, feature_matching_loss, get_loss, multiscale_d_loss,
                      multiscale_g_loss)
from ..losses_perceptual import VGGLoss, vgg19_weights_available
from ..models.spade import spade_discriminator, spade_generator
from ..nn.init import init_weights
from ..registry import register_recipe
from ..train.step import Step
from .translation import translation_metrics


class SPADEStep(Step):
    """SPADE (Park et al., 2019): ``G: m -> x``, ``m`` = one-hot semantic map (+ instance edges).

    ``D`` is multi-scale (``num_D`` PatchGANs) and judges the pair ``concat(m, image)``; its
    outputs ``D_k^(i)`` are all intermediate features of scale ``k``, the last the logits.
    Objective (hinge version, as the paper)::

        L_D = 1/num_D sum_k [ mean relu(1 - D_k(m, x)) + mean relu(1 + D_k(m, G(m))) ]
        L_G = -1/num_D sum_k mean D_k(m, G(m))
              + lambda_feat * 1/num_D sum_k sum_i mean |D_k^(i)(m, G(m)) - D_k^(i)(m, x)|
              + lambda_vgg  * sum_j w_j mean |VGG_j(G(m)) - VGG_j(x)|

    with ``lambda_feat = lambda_vgg = 10`` and ``w = 1/32 ... 1`` on relu1_1 ... relu5_1
    (:class:`d2gan.losses_perceptual.VGGLoss`; ``vgg=None`` drops that term -- it needs the
    ImageNet weights on disk). Optimiser: Adam with TTUR, ``lr_G = 1e-4``, ``lr_D = 4e-4``,
    ``beta = (0, 0.9)``. Each step does the G update first and then the D update, as the
    reference trainer; D is trained on the (detached) images of the G update instead of a
    second forward pass of the updated G, which saves a third of G's compute. No noise: G is
    deterministic given ``m`` (the reference's optional VAE encoder is not built here).

    A batch is ``(M, X)``: maps ``(N, C, H, W)`` and images in [-1, 1]. Logged: ``loss_D``,
    ``loss_G_GAN``, ``FM`` (unweighted), ``VGG`` (unweighted, if used) and ``L1`` = mean
    ``|G(m) - x|`` in the [-1, 1] scale.
    """


    def __init__(self, net_G, net_D, lambda_feat=10.0, vgg=None, lambda_vgg=10.0, loss='hinge',
                 lr_G=1e-4, lr_D=4e-4, beta1=0.0, beta2=0.9, devices=None, initialize=True,
                 hybridize=True):
        super().__init__(devices)
        self.lambda_feat, self.lambda_vgg = float(lambda_feat), float(lambda_vgg)
        self.vgg = vgg
        self.loss = loss if isinstance(loss, GANLoss) else get_loss(loss)
        if initialize:
            for net in (net_G, net_D):
                init_weights(net, 'xavier_normal', self.devices)
        self.set_pair(net_G, net_D, lr_G, beta1, beta2, lr_D=lr_D, initialize=False)
        self.sample_data, self.palette = None, None
        if hybridize:
            self.hybridize()

    # -- training -------------------------------------------------------------------------
    def train_step(self, batch):
        M, X = (x if isinstance(x, nd.NDArray) else nd.array(x) for x in batch)
        if M.shape[0] != X.shape[0] or M.shape[2:] != X.shape[2:]:
            raise ValueError(f'maps {M.shape} and images {X.shape} are not aligned')
        n = M.shape[0]
        Ms, Xs = self.split(M), self.split(X)
        terms = {'loss_G_GAN': [], 'FM': [], 'VGG': [], 'L1': []}
        fakes = []
        with self.only_updating('G'):
            with autograd.record():
                totals = []
                for m, x in zip(Ms, Xs):
                    fake = self.net_G(m)
                    fake_out = self.net_D.judge(m, fake)
                    real_out = self.net_D.judge(m, x)
                    gan = multiscale_g_loss(self.loss, fake_out).sum()
                    fm = feature_matching_loss(fake_out, real_out).sum()
                    total = gan + self.lambda_feat * fm
                    if self.vgg is not None and self.lambda_vgg > 0:
                        vgg = self.vgg(fake, x).sum()
                        total = total + self.lambda_vgg * vgg
                        terms['VGG'].append(vgg)
                    terms['loss_G_GAN'].append(gan)
                    terms['FM'].append(fm)
                    terms['L1'].append(nd.abs(fake - x).reshape((fake.shape[0], -1))
                                       .mean(axis=1).sum().detach())
                    totals.append(total)
                    fakes.append(fake.detach())
            self.backward(totals, self.trainers['G'])
        self.trainers['G'].step(n)
        with autograd.record():
            losses = [multiscale_d_loss(self.loss, self.net_D.judge(m.detach(), x.detach()),
                                        self.net_D.judge(m.detach(), f)).sum()
                      for m, x, f in zip(Ms, Xs, fakes)]
        self.backward(losses, self.trainers['D'])
        self.trainers['D'].step(n)
        logs = {'loss_D': self._mean(losses, n)}
        logs.update({k: self._mean(v, n) for k, v in terms.items() if v})
        return logs

    def _mean(self, values, n):
        return sum(v.detach().as_in_context(self.devices[0]) for v in values) / n

    # -- inference ---------------------------------------------------------------------------
    def translate(self, M, batch_size=16):
        """``G(M)`` for maps (numpy or NDArray, float32 NCHW), in chunks, in predict mode."""
        M = M.asnumpy() if isinstance(M, nd.NDArray) else np.asarray(M, np.float32)
        outs = []
        with autograd.predict_mode():
            for i in range(0, len(M), batch_size):
                outs.append(self.net_G(nd.array(M[i:i + batch_size], ctx=self.devices[0])))
        return nd.concat(*outs, dim=0)

    def evaluate(self, M, X, batch_size=16):
        """``{'L1', 'PSNR', 'sharpness'}`` of ``G(M)`` against ``X`` (translation_metrics)."""
        return translation_metrics(self.translate(M, batch_size), X)

    def set_sample_data(self, M, X, palette=None):
        """Maps and photos that :meth:`sample` shows; ``palette`` colours the classes."""
        M = M.asnumpy() if isinstance(M, nd.NDArray) else np.asarray(M, np.float32)
        X = X.asnumpy() if isinstance(X, nd.NDArray) else np.asarray(X, np.float32)
        if len(M) != len(X) or not len(M):
            raise ValueError('set_sample_data needs the same (non-zero) number of maps and images')
        self.sample_data = (M, X)
        self.palette = (np.asarray(palette) if palette is not None
                        else label_palette(M.shape[1]))
        return self

    def sample(self, num, seed=0):
        """A grid: ``k = max(1, num // 3)`` coloured maps, their ``G(m)``, the real photos."""
        if self.sample_data is None:
            raise ValueError('SPADEStep.sample shows synthesised images: call '
                             'step.set_sample_data(maps, images) first (e.g. the validation split)')
        M, X = self.sample_data
        k = max(1, num // 3)
        index = np.random.default_rng(seed).choice(len(M), k, replace=k > len(M))
        fake = self.translate(M[index]).as_in_context(mx.cpu())
        return nd.concat(nd.array(colorize_maps(M[index], self.palette)), fake,
                         nd.array(X[index]), dim=0)

    @staticmethod
    def sample_nrow(num):
        return max(1, num // 3)


def resolve_vgg(lambda_vgg=None, vgg_weights=None, device=None):
    """``(VGGLoss or None, lambda_vgg)``.

    ``lambda_vgg=None`` (default) means "the paper's 10 if the VGG-19 weights are on disk, else
    no VGG term"; an explicit ``lambda_vgg > 0`` without the weights raises
    :class:`~d2gan.losses_perceptual.VGGWeightsNotFoundError`.
    """
    if lambda_vgg is None:
        if not vgg19_weights_available(vgg_weights):
            return None, 0.0
        lambda_vgg = 10.0
    if lambda_vgg <= 0:
        return None, 0.0
    return VGGLoss(vgg_weights, device=device), float(lambda_vgg)


@register_recipe('spade', batch_kind='semantic')
def spade(image_size=256, num_classes=35, use_instance=True, ngf=64, ndf=64, n_layers=4,
          num_D=2, hidden=128, num_upsampling='normal', norm_G='batch', lambda_feat=10.0,
          lambda_vgg=None, vgg_weights=None, loss='hinge', lr_G=1e-4, lr_D=4e-4, beta1=0.0,
          beta2=0.9, dataset=None, devices=None, hybridize=True):
    """The paper's SPADE: SPADE generator (ngf 64, SPADE hidden 128, batch norm, spectral norm,
    5 upsamplings), two-scale PatchGAN with 4 layers, spectral + instance norm, hinge loss,
    feature matching x10, VGG x10 (when the weights are found, see :func:`resolve_vgg`),
    Adam(1e-4 / 4e-4, beta (0, 0.9)).

    ``num_classes`` (+1 with ``use_instance``) fixes the input channels (Cityscapes: 35);
    ``image_size`` and ``dataset`` are only recorded (for the CLI): the networks are fully
    convolutional. ``step.lambda_vgg`` says whether the VGG term is on.
    """
    channels = label_channels(num_classes, use_instance)
    net_G = spade_generator(channels, ngf, 3, num_upsampling, hidden, norm_G)
    net_D = spade_discriminator(channels + 3, ndf, n_layers, num_D)
    step = SPADEStep(net_G, net_D, lambda_feat=lambda_feat, lambda_vgg=0.0, loss=loss,
                     lr_G=lr_G, lr_D=lr_D, beta1=beta1, beta2=beta2, devices=devices,
                     hybridize=hybridize)
    step.vgg, step.lambda_vgg = resolve_vgg(lambda_vgg, vgg_weights, step.devices[0])
    return step
