"""StarGAN / AttGAN / STGAN networks: shapes and trainable-parameter counts of the references.

The reference counts were obtained once by building the reference networks at their default
128x128 settings -- yunjey/stargan ``model.py`` and elvisyjlin/AttGAN-PyTorch ``attgan.py`` +
``nn.py`` in PyTorch (``sum(p.numel() for p in net.parameters() if p.requires_grad)``),
csmliu/STGAN ``models.py`` itself in TensorFlow 2's ``compat.v1`` with ``tf_slim`` (the
trainable variables of ``Genc`` + ``Gstu`` + ``Gdec`` and of ``D``; ``slim.instance_norm`` has a
scale as well as a shift, which an earlier transliteration missed).
"""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd

import d2gan
from d2gan.models import num_parameters
from d2gan.models import AttGANDiscriminator, AttGANGenerator, StarGANDiscriminator, \
    StarGANGenerator, STGANGenerator, stgan_discriminator
from d2gan.nn import SelectiveTransferUnit

REFERENCE_COUNTS = {
    'stargan_G': 8_430_528, 'stargan_D': 44_762_048,        # conv_dim 64, c_dim 5, repeat 6
    'attgan_G': 43_459_203, 'attgan_G_inject0': 43_352_707,  # 13 attrs, shortcut 1
    'attgan_D': 44_718_990,                                  # instance norm affine, fc 1024
    'stgan_G': 74_998_771, 'stgan_D': 44_718_990,            # STU 64 x 4, shortcut/inject 4
}


def output_shapes(net, *shapes):
    """Output shapes by symbolic shape inference (no 128x128 computation)."""
    names = [f'in{i}' for i in range(len(shapes))]
    out = net(*[mx.sym.var(n) for n in names])
    out = mx.sym.Group(list(out)) if isinstance(out, (list, tuple)) else out
    return [tuple(s) for s in out.infer_shape(**dict(zip(names, shapes)))[1]]


@pytest.mark.parametrize('key,make,inputs,out_shapes', [
    ('stargan_G', lambda: StarGANGenerator(), [(1, 3, 128, 128), (1, 5)], [(1, 3, 128, 128)]),
    ('stargan_D', lambda: StarGANDiscriminator(), [(1, 3, 128, 128)], [(1, 1, 2, 2), (1, 5)]),
    ('attgan_G', lambda: AttGANGenerator(), [(1, 3, 128, 128), (1, 13)], [(1, 3, 128, 128)]),
    ('attgan_G_inject0', lambda: AttGANGenerator(inject_layers=0), [(1, 3, 128, 128), (1, 13)],
     [(1, 3, 128, 128)]),
    ('attgan_D', lambda: AttGANDiscriminator(), [(1, 3, 128, 128)], [(1, 1), (1, 13)]),
    ('stgan_G', lambda: STGANGenerator(), [(1, 3, 128, 128), (1, 13)], [(1, 3, 128, 128)]),
    ('stgan_D', lambda: stgan_discriminator(), [(1, 3, 128, 128)], [(1, 1), (1, 13)]),
])
def test_reference_architectures(key, make, inputs, out_shapes):
    net = make()
    assert output_shapes(net, *inputs) == out_shapes
    assert num_parameters(net) == REFERENCE_COUNTS[key]


def test_registered_and_hybridized_equal():
    assert {'stargan_generator', 'attgan_generator', 'stgan_generator', 'stargan_discriminator',
            'attgan_discriminator', 'stgan_discriminator'} <= set(d2gan.list_models())
    x, a = nd.random.uniform(-1, 1, shape=(2, 3, 32, 32)), nd.array([[1, 0, 1], [0, 1, 1]])
    for net in (d2gan.get_model('stargan_generator', c_dim=3, conv_dim=8, repeat_num=1),
                d2gan.get_model('attgan_generator', n_attrs=3, enc_dim=8, dec_dim=8,
                                enc_layers=3, dec_layers=3),
                d2gan.get_model('stgan_generator', n_attrs=3, enc_dim=8, dec_dim=8,
                                enc_layers=3, dec_layers=3, stu_dim=8, stu_layers=2)):
        net.initialize(mx.init.Xavier())
        with autograd.predict_mode():
            plain = net(x, a)
            net.hybridize()
            hybrid = net(x, a)
        assert plain.shape == x.shape
        assert np.allclose(plain.asnumpy(), hybrid.asnumpy(), atol=1e-5)


def test_stu_gates_shapes_and_stgan_uses_them():
    stu = SelectiveTransferUnit(8, in_channels=6, state_channels=5)
    stu.initialize()
    out, state = stu(nd.ones((2, 6, 8, 8)), nd.ones((2, 5, 4, 4)))
    assert out.shape == state.shape == (2, 8, 8, 8)
    g = STGANGenerator(n_attrs=3, enc_dim=8, dec_dim=8, enc_layers=3, dec_layers=3, stu_dim=8,
                       stu_layers=2)
    g.initialize(mx.init.Xavier())
    zs = g.encoder(nd.random.uniform(-1, 1, shape=(2, 3, 16, 16)))
    moved = g.transfer(zs, nd.array([[1, 0, 0], [0, 0, 0]]))
    assert len(moved) == 3 and moved[-1] is zs[-1]  # the bottleneck passes unchanged
    assert not np.allclose(moved[0].asnumpy(), zs[0].asnumpy())  # the STUs rewrite skips
    with pytest.raises(ValueError, match='stu_layers'):
        STGANGenerator(n_attrs=3, enc_layers=3, dec_layers=3, stu_layers=3)


@pytest.mark.parametrize('stu_layers,shortcut_layers', [(1, 1), (1, 2), (2, 1)])
def test_hybridized_stgan_backward_with_untouched_skip_levels(stu_layers, shortcut_layers):
    # one STU leaves the finest level untouched; a hybridized block returning that input as
    # an output used to fail in backward (storage_type_num_unknown_nodes)
    g = STGANGenerator(n_attrs=3, enc_dim=8, dec_dim=8, enc_layers=3, dec_layers=3, stu_dim=8,
                       stu_layers=stu_layers, stu_inject_layers=stu_layers,
                       shortcut_layers=shortcut_layers, inject_layers=shortcut_layers)
    g.initialize(mx.init.Xavier())
    g.hybridize()
    x = nd.random.uniform(-1, 1, shape=(2, 3, 16, 16))
    with autograd.record():
        y = g.decode(g.encoder(x), nd.array([[1, 0, 0], [0, -1, 0]]))
    y.backward()
    assert y.shape == x.shape
    # gradients reach the encoder and the STU whose output the decoder reads
    for net in (g.encoder, g.stu.units[0]):
        assert all(np.abs(p.grad().asnumpy()).sum() > 0
                   for p in net.collect_params().values() if p.grad_req != 'null')


def test_critics_have_gradient_penalty_on_adversarial_head_only():
    from d2gan.penalty import GradientPenalty, critic_input_gradient
    for net in (StarGANDiscriminator(image_size=16, c_dim=3, conv_dim=8, repeat_num=3),
                AttGANDiscriminator(n_attrs=3, dim=8, fc_dim=16, n_layers=3, image_size=16),
                stgan_discriminator(n_attrs=3, dim=8, fc_dim=16, n_layers=3, image_size=16)):
        net.initialize(mx.init.Xavier())
        x = nd.random.uniform(-1, 1, shape=(3, 3, 16, 16))
        grad, _ = critic_input_gradient(net, x)
        x2 = x.copy()
        x2.attach_grad()
        with autograd.record():
            adv = net(x2)[0]
            score = adv.reshape((3, -1)).mean(axis=1).sum()
        score.backward()
        assert np.allclose(grad.asnumpy(), x2.grad.asnumpy(), atol=1e-5)
        for p in net.collect_params().values():
            if p.grad_req != 'null':
                p.grad()[:] = 0
        GradientPenalty()(net, x, nd.random.uniform(-1, 1, shape=x.shape))
        cls_head = net.cls if hasattr(net, 'cls') else net.fc_cls
        assert all(float(p.grad().abs().sum().asscalar()) == 0
                   for p in cls_head.collect_params().values())
