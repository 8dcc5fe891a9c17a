"""Write the equality fixtures of the TensorFlow references: PGGAN's network pickles
(``tests/test_pretrained_pggan.py``) and an STGAN checkpoint (``tests/test_pretrained_stgan.py``),
each with the reference's outputs.

Run where TensorFlow (2.x; its ``compat.v1`` API runs the references' TF 1 code), ``tf_slim``
(STGAN) and NumPy are installed (not MXNet), with checkouts of the references::

    python scripts/make_tf_fixtures.py --pggan PATH/TO/progressive_growing_of_gans \
        --stgan PATH/TO/STGAN

**PGGAN** (``--pggan``, into ``tests/data/pretrained/tkarras/``). For each case of
:data:`CASES` -- ``pggan_16`` (16 px, ``fmap_base 32``, ``fmap_max 16``, 3 channels,
``fused_scale`` on as in the paper and the released networks) and ``pggan_8_unfused`` (8 px,
1 channel, ``fused_scale=False``) -- it builds ``G``, ``D`` and ``Gs`` (``G.clone``) with the
reference's own ``tfutil.Network`` and ``networks.G_paper`` / ``D_paper``, draws *random*
values for every trainable variable (biases included; ``Gs`` gets values of its own, so a
mix-up of G and Gs fails), and writes:

* ``NAME.pkl`` -- ``pickle.dump((G, D, Gs))``, exactly as the reference's ``misc.save_pkl``
  writes its snapshots and released networks;
* ``NAME.npz`` -- ``latents`` (4), ``images`` (4, full size, in [-1, 1]; one minibatch-stddev
  group), ``lods`` and, for each: ``G_lod{i}``, ``Gs_lod{i}`` (the generators' outputs at full
  size: the reference up-samples every level) and ``D_lod{i}`` (the critic's scores of
  ``images``, which the reference down-samples itself).

Outputs are computed in float64 (the reference's ``dtype`` argument casts the weights), then
rounded to float32 once, so the fixture holds the function's value, not TensorFlow's float32
arithmetic.

**STGAN** (``--stgan``, into ``tests/data/pretrained/stgan/``): the reference's ``Genc``,
``Gstu`` and ``Gdec`` (``models.py``) at 16 px with 13 attributes (widths 4, 3 encoder and
decoder layers, 2 STUs with 2 injections, shortcut 2, inject 2) in inference mode (batch norm
with moving statistics, as its ``test.py``), and ``D`` (width 4, 3 layers, ``fc_dim`` 8). Every
variable is random (moving statistics and norm scales included), and an Adam optimizer's slots
exist, as in a training checkpoint. ``Saver.save`` writes ``stgan.index`` and
``stgan.data-00000-of-00001``; ``stgan.npz`` holds ``input`` (NCHW images), ``labels`` (the
difference vector the generator is told, values in {-1, -0.5, 0, 0.5, 1}), ``output`` (NCHW),
``d_output`` and ``d_output_cls`` (the critic's score and attribute logits).

Adaptations, made here and never in a checkout: ``import tensorflow`` gives
``tensorflow.compat.v1`` with the v2 behaviour off (the references are TF 1 code);
``tensorflow.contrib.slim`` is ``tf_slim`` (the same layers, maintained outside TensorFlow),
whose ``ops.Tensor`` check is pointed at TensorFlow 2.15's tensor class; and TensorFlow's CPU
kernels that refuse the ``NCHW`` layout PGGAN uses (``conv2d``, ``conv2d_transpose``,
``avg_pool``) are wrapped to transpose to ``NHWC`` and back -- the same numbers, the layout
TensorFlow computes them in on a CPU.
"""
import argparse
import os
import pickle
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'data',
                   'pretrained')
CASES = {   # name: (G_paper / D_paper arguments, lods)
    'pggan_16': (dict(num_channels=3, resolution=16, label_size=0, fmap_base=32, fmap_max=16),
                 (0.0, 0.4, 1.0, 1.7, 2.0)),
    'pggan_8_unfused': (dict(num_channels=1, resolution=8, label_size=0, fmap_base=16,
                             fmap_max=8, fused_scale=False), (0.0, 0.5, 1.0)),
}


def tf_v1():
    """``tensorflow.compat.v1``, installed as ``tensorflow`` for the reference's imports."""
    import tensorflow
    tf = tensorflow.compat.v1
    tf.disable_v2_behavior()
    sys.modules['tensorflow'] = tf
    return tf


def nhwc_on_cpu(tf):
    """Wrap the ops whose CPU kernels take only NHWC: transpose in and out."""
    to_nhwc, to_nchw = (0, 2, 3, 1), (0, 3, 1, 2)

    def swap(v):  # [1, 1, a, b] strides / ksize in NCHW -> NHWC
        return [v[0], v[2], v[3], v[1]]

    conv2d, conv2d_transpose, avg_pool = tf.nn.conv2d, tf.nn.conv2d_transpose, tf.nn.avg_pool

    def conv(x, w, strides, padding, data_format='NHWC', **kw):
        if data_format != 'NCHW':
            return conv2d(x, w, strides, padding, data_format=data_format, **kw)
        y = conv2d(tf.transpose(x, to_nhwc), w, swap(strides), padding, data_format='NHWC')
        return tf.transpose(y, to_nchw)

    def conv_t(x, w, output_shape, strides, padding, data_format='NHWC', **kw):
        if data_format != 'NCHW':
            return conv2d_transpose(x, w, output_shape, strides, padding,
                                    data_format=data_format, **kw)
        n, c, h, wd = output_shape
        y = conv2d_transpose(tf.transpose(x, to_nhwc), w, tf.stack([n, h, wd, c]),
                             swap(strides), padding, data_format='NHWC')
        return tf.transpose(y, to_nchw)

    def pool(x, ksize, strides, padding, data_format='NHWC', **kw):
        if data_format != 'NCHW':
            return avg_pool(x, ksize, strides, padding, data_format=data_format, **kw)
        y = avg_pool(tf.transpose(x, to_nhwc), swap(ksize), swap(strides), padding,
                     data_format='NHWC')
        return tf.transpose(y, to_nchw)

    tf.nn.conv2d, tf.nn.conv2d_transpose, tf.nn.avg_pool = conv, conv_t, pool


def randomize(tfutil, net, rng):
    """Every trainable variable drawn afresh: weights N(0, 1) (the equalized-lr storage),
    biases N(0, 0.2)."""
    values = {}
    for name, var in net.trainables.items():
        shape = var.shape.as_list()
        scale = 0.2 if name.endswith('bias') else 1.0
        values[var] = (scale * rng.standard_normal(shape)).astype(np.float32)
    tfutil.set_vars(values)


def outputs(tf, tfutil, G, D, Gs, latents, images, lods):
    """``{G_lod{i}, Gs_lod{i}, D_lod{i}}`` at every lod of ``lods``, in float64."""
    z = tf.placeholder(tf.float64, [None, latents.shape[1]])
    x = tf.placeholder(tf.float64, [None] + list(images.shape[1:]))
    labels = tf.zeros([tf.shape(z)[0], 0], tf.float64)
    exprs = {'G': G.get_output_for(z, labels, dtype='float64'),
             'Gs': Gs.get_output_for(z, labels, dtype='float64'),
             'D': D.get_output_for(x, dtype='float64')[0]}
    found = {}
    for i, lod in enumerate(lods):
        tfutil.set_vars({net.vars['lod']: np.float32(lod) for net in (G, D, Gs)})
        for name, expr in exprs.items():
            value = tfutil.run(expr, {z: latents, x: images})
            found[f'{name}_lod{i}'] = value.astype(np.float32)   # rounded once, at the end
    return found


def write_case(tf, tfutil, name, config, lods, rng, out):
    """``name.pkl`` and ``name.npz`` of one configuration."""
    G = tfutil.Network('G', func='networks.G_paper', **config)
    D = tfutil.Network('D', func='networks.D_paper', **config)
    Gs = G.clone('Gs')
    for net in (G, D, Gs):
        randomize(tfutil, net, rng)
    size = config['resolution']
    latents = rng.standard_normal((4, G.input_shape[1]))
    images = rng.uniform(-1, 1, (4, config['num_channels'], size, size))
    arrays = dict(latents=latents, images=images, lods=np.array(lods),
                  **outputs(tf, tfutil, G, D, Gs, latents, images, lods))
    with open(os.path.join(out, f'{name}.pkl'), 'wb') as f:
        pickle.dump((G, D, Gs), f, protocol=pickle.HIGHEST_PROTOCOL)
    np.savez_compressed(os.path.join(out, f'{name}.npz'), **arrays)
    print('wrote', name, {k: v.shape for k, v in arrays.items()})


def slim_as_contrib(tf):
    """``tensorflow.contrib.slim`` for the references' imports: ``tf_slim``."""
    import types
    import tf_slim
    import tensorflow
    from tensorflow.python.framework import ops
    if not hasattr(ops, 'Tensor'):          # tf_slim checks ops.Tensor, gone in TF 2.15
        ops.Tensor = tensorflow.Tensor
    contrib = types.ModuleType('tensorflow.contrib')
    contrib.slim = tf_slim
    sys.modules['tensorflow.contrib'] = contrib
    sys.modules['tensorflow.contrib.slim'] = tf_slim
    tf.contrib = contrib


def randomize_all(tf, sess, variables, rng):
    """Every variable drawn afresh: weights N(0, 1 / fan_in), biases and shifts N(0, 0.2),
    scales in [0.5, 1.5], moving means N(0, 0.3), moving variances in [0.5, 2]."""
    for var in variables:
        shape, name = var.shape.as_list(), var.op.name
        if name.endswith('weights'):
            value = rng.standard_normal(shape) / np.sqrt(np.prod(shape[:-1]))
        elif name.endswith('gamma'):
            value = rng.uniform(0.5, 1.5, shape)
        elif name.endswith('moving_mean'):
            value = 0.3 * rng.standard_normal(shape)
        elif name.endswith('moving_variance'):
            value = rng.uniform(0.5, 2.0, shape)
        else:
            value = 0.2 * rng.standard_normal(shape)
        var.load(value.astype(np.float32), sess)


def write_stgan(checkout, out):
    tf = tf_v1()
    slim_as_contrib(tf)
    sys.path.insert(0, os.path.abspath(checkout))
    import models
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, [None, 16, 16, 3])
    a = tf.placeholder(tf.float32, [None, 13])
    zs = models.Genc(x, dim=4, n_layers=3, is_training=False)
    zs = models.Gstu(zs, a, dim=4, n_layers=2, inject_layers=2, is_training=False)
    y = models.Gdec(zs, a, dim=4, n_layers=3, shortcut_layers=2, inject_layers=2,
                    is_training=False)
    adv, cls = models.D(x, 13, dim=4, fc_dim=8, n_layers=3)
    weights = tf.global_variables()
    loss = tf.reduce_mean(y) + tf.reduce_mean(adv)
    train = tf.train.AdamOptimizer().minimize(loss)     # its slots: as in a training checkpoint
    rng = np.random.default_rng(2019)
    images = rng.uniform(-1, 1, (3, 16, 16, 3)).astype(np.float32)
    labels = rng.choice([-1, -0.5, 0, 0.5, 1], (3, 13)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        randomize_all(tf, sess, weights, rng)
        found = sess.run([y, adv, cls], {x: images, a: labels})
        os.makedirs(out, exist_ok=True)
        tf.train.Saver().save(sess, os.path.join(out, 'stgan'), write_meta_graph=False)
    os.remove(os.path.join(out, 'checkpoint'))    # the Saver's bookkeeping file
    nchw = (0, 3, 1, 2)
    np.savez_compressed(os.path.join(out, 'stgan.npz'), input=images.transpose(nchw),
                        labels=labels, output=found[0].transpose(nchw), d_output=found[1],
                        d_output_cls=found[2])
    print('wrote', out, [f for f in sorted(os.listdir(out)) if f.startswith('stgan')])


def stylegan2_reference(tf, checkout):
    """``dnnlib.tflib`` of an NVlabs/stylegan2 checkout, its custom ops on their ``'ref'``
    implementation (standard TensorFlow ops; the default ``'cuda'`` compiles CUDA code) and
    ``tensorflow.contrib`` (imported, unused) stood in for."""
    import functools
    import types
    contrib = types.ModuleType('tensorflow.contrib')
    sys.modules['tensorflow.contrib'] = contrib
    tf.contrib = contrib
    sys.path.insert(0, os.path.abspath(checkout))
    from dnnlib.tflib.ops import fused_bias_act, upfirdn_2d
    fused_bias_act.fused_bias_act = functools.partial(fused_bias_act.fused_bias_act, impl='ref')
    for name in ('upfirdn_2d', 'filter_2d', 'upsample_2d', 'downsample_2d', 'upsample_conv_2d',
                 'conv_downsample_2d'):
        setattr(upfirdn_2d, name, functools.partial(getattr(upfirdn_2d, name), impl='ref'))
    import dnnlib.tflib as tflib
    return tflib


def randomize_stylegan2(tflib, net, rng):
    """Random trainable variables of a TF StyleGAN2 network and its components (weights
    N(0, 1), the equalized-lr storage; biases, modulation biases, noise strengths N(0, 0.2);
    the constant N(0, 1)), ``dlatent_avg`` random, the stored noise images zero."""
    values = {}
    for name, var in net.vars.items():
        shape = var.shape.as_list()
        leaf = name.rsplit('/', 1)[-1]
        if leaf.startswith('noise') and not leaf.startswith('noise_strength'):
            values[var] = np.zeros(shape, np.float32)
        elif leaf in ('weight', 'mod_weight', 'const', 'dlatent_avg'):
            values[var] = rng.standard_normal(shape).astype(np.float32)
        elif leaf != 'lod':
            values[var] = (0.2 * rng.standard_normal(shape)).astype(np.float32)
    tflib.set_vars(values)


def write_stylegan2(checkout, out):
    """``nvlabs_tf/stylegan2_16.pkl``: ``(G, D, Gs)`` of NVlabs/stylegan2's ``G_main`` (skip
    synthesis) and ``D_stylegan2`` (residual) at 16 px (``latent_size`` 24, ``dlatent_size``
    16, 2 mapping layers 16 wide, ``fmap_base`` 64, ``fmap_max`` 16: the widths of the
    stylegan2-ada-pytorch fixtures), pickled as the reference saves them; ``stylegan2_16.npz``:
    ``latents``, ``images`` (``Gs`` without noise: ``randomize_noise=False`` with zero noise
    images), ``images_trunc`` (``truncation_psi`` 0.7), ``d_input`` and ``d_output``."""
    tf = tf_v1()
    nhwc_on_cpu(tf)
    tflib = stylegan2_reference(tf, checkout)
    tf.reset_default_graph()
    tflib.init_tf()
    config = dict(num_channels=3, resolution=16, fmap_base=64, fmap_max=16)
    G = tflib.Network('G', func_name='training.networks_stylegan2.G_main', latent_size=24,
                      dlatent_size=16, mapping_layers=2, mapping_fmaps=16,
                      fused_modconv=False, **config)   # the same function; no grouped conv
    D = tflib.Network('D', func_name='training.networks_stylegan2.D_stylegan2', **config)
    Gs = G.clone('Gs')
    rng = np.random.default_rng(2020)
    for net in (G, D, Gs):
        randomize_stylegan2(tflib, net, rng)
    latents = rng.standard_normal((3, 24)).astype(np.float32)
    images = rng.uniform(-1, 1, (4, 3, 16, 16)).astype(np.float32)
    z = tf.placeholder(tf.float32, [None, 24])
    x = tf.placeholder(tf.float32, [None, 3, 16, 16])
    labels = tf.zeros([tf.shape(z)[0], 0])
    common = dict(is_training=False, randomize_noise=False, style_mixing_prob=None)
    outputs = tflib.run([Gs.get_output_for(z, labels, truncation_psi=1, **common),
                         Gs.get_output_for(z, labels, truncation_psi=0.7, **common),
                         D.get_output_for(x, tf.zeros([tf.shape(x)[0], 0]))],
                        {z: latents, x: images})
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'stylegan2_16.pkl'), 'wb') as f:
        pickle.dump((G, D, Gs), f, protocol=pickle.HIGHEST_PROTOCOL)
    np.savez_compressed(os.path.join(out, 'stylegan2_16.npz'), latents=latents,
                        images=outputs[0], images_trunc=outputs[1], d_input=images,
                        d_output=outputs[2])
    print('wrote', out, {k: np.shape(v) for k, v in zip(('images', 'trunc', 'd'), outputs)})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--pggan', metavar='CHECKOUT',
                        help='a checkout of tkarras/progressive_growing_of_gans')
    parser.add_argument('--stgan', metavar='CHECKOUT', help='a checkout of csmliu/STGAN')
    parser.add_argument('--stylegan2', metavar='CHECKOUT', help='a checkout of NVlabs/stylegan2')
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    if args.pggan:
        write_pggan(args.pggan, os.path.join(args.out, 'tkarras'))
    if args.stgan:
        write_stgan(args.stgan, os.path.join(args.out, 'stgan'))
    if args.stylegan2:
        write_stylegan2(args.stylegan2, os.path.join(args.out, 'nvlabs_tf'))


def write_pggan(checkout, out):
    tf = tf_v1()
    nhwc_on_cpu(tf)
    sys.path.insert(0, os.path.abspath(checkout))
    import tfutil
    tfutil.init_tf({'graph_options.place_pruned_graph': True})
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2018)
    for name, (config, lods) in CASES.items():
        write_case(tf, tfutil, name, config, lods, rng, out)


if __name__ == '__main__':
    main()
