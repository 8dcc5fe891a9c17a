"""Segmentation consistency: does a synthesised image show the layout of its label map?

The SPADE / pix2pixHD papers run a pretrained segmentation network on the *generated* images
and report its mIoU and pixel accuracy against the input label maps: a high score means the
image shows the requested classes where they were asked for. No pretrained segmenter exists
for our synthetic data, so :func:`train_segmenter` trains a small one on the *real* training
photos (a few seconds on a CPU); its score on the real validation photos is the ceiling the
generators are measured against.
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn


class Segmenter(gluon.HybridBlock):
    """A small fully convolutional segmenter: ``(N, 3, H, W) -> logits (N, classes, H, W)``.

    Conv-BN-ReLU at full and half resolution, dilated convolutions for context (receptive
    field ~ 50 pixels at half resolution), nearest upsampling and a 1x1 classifier.
    """

    def __init__(self, num_classes, width=32, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            for channels, stride, dilation in ((width, 1, 1), (2 * width, 2, 1),
                                               (2 * width, 1, 2), (2 * width, 1, 4)):
                self.body.add(nn.Conv2D(channels, 3, stride, dilation, dilation, use_bias=False),
                              nn.BatchNorm(), nn.Activation('relu'))
            self.head = nn.HybridSequential()
            self.head.add(nn.Conv2D(width, 3, padding=1, use_bias=False), nn.BatchNorm(),
                          nn.Activation('relu'), nn.Conv2D(num_classes, 1))

    def hybrid_forward(self, F, x):
        return self.head(F.UpSampling(self.body(x), scale=2, sample_type='nearest'))


def train_segmenter(images, labels, num_classes, epochs=10, batch_size=16, lr=2e-3, seed=0,
                    device=None):
    """Train a :class:`Segmenter` on real ``images`` (NCHW in [-1, 1]) and ``labels`` ``(N, H, W)``.

    Cross-entropy per pixel, Adam, random horizontal flips; fixed ``seed``. Returns the net.
    """
    device = device or mx.cpu()
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels, np.float32)
    mx.random.seed(seed)
    rng = np.random.default_rng(seed)
    net = Segmenter(num_classes)
    net.initialize(mx.init.Xavier(), ctx=device)
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': lr})
    ce = gluon.loss.SoftmaxCrossEntropyLoss(axis=1)
    for _ in range(epochs):
        order = rng.permutation(len(images))
        for k in range(0, len(order) - batch_size + 1, batch_size):
            index = order[k:k + batch_size]
            x, y = images[index], labels[index]
            flip = rng.random(len(index)) < 0.5
            x[flip], y[flip] = x[flip][..., ::-1], y[flip][..., ::-1]
            x, y = nd.array(x, ctx=device), nd.array(y, ctx=device)
            with autograd.record():
                loss = ce(net(x), y)
            loss.backward()
            trainer.step(len(index))
    return net


def predict_labels(net, images, batch_size=32, device=None):
    """Class per pixel ``(N, H, W)`` (int) of images NCHW in [-1, 1]."""
    device = device or mx.cpu()
    images = images.asnumpy() if isinstance(images, nd.NDArray) else np.asarray(images)
    out = []
    with autograd.predict_mode():
        for i in range(0, len(images), batch_size):
            x = nd.array(images[i:i + batch_size], ctx=device)
            out.append(net(x).argmax(axis=1).asnumpy().astype(np.int64))
    return np.concatenate(out)


def segmentation_scores(predicted, labels, num_classes):
    """``{'pixel_acc', 'mIoU'}`` of predicted vs true label maps ``(N, H, W)``.

    mIoU averages the intersection-over-union of the classes present in ``labels`` or
    ``predicted``; classes absent from both are skipped.
    """
    p, t = np.asarray(predicted).ravel(), np.asarray(labels).astype(np.int64).ravel()
    if p.shape != t.shape:
        raise ValueError(f'{np.shape(predicted)} predicted vs {np.shape(labels)} true maps')
    confusion = np.bincount(t * num_classes + p, minlength=num_classes ** 2)
    confusion = confusion.reshape(num_classes, num_classes)
    inter = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - inter
    present = union > 0
    return {'pixel_acc': float(inter.sum() / max(confusion.sum(), 1)),
            'mIoU': float((inter[present] / union[present]).mean())}
