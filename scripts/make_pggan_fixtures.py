"""Write the PGGAN equality fixtures of ``tests/test_pretrained_pggan.py``: network pickles in
the released format of tkarras/progressive_growing_of_gans, and the reference's outputs.

Run where TensorFlow (2.x; its ``compat.v1`` API runs the reference's TF 1 code) and NumPy
are installed (not MXNet), with a checkout of the reference::

    python scripts/make_pggan_fixtures.py PATH/TO/progressive_growing_of_gans

For each case of :data:`CASES` -- ``pggan_16`` (16 px, ``fmap_base 32``, ``fmap_max 16``, 3
channels, ``fused_scale`` on as in the paper and the released networks) and
``pggan_8_unfused`` (8 px, 1 channel, ``fused_scale=False``) -- it builds ``G``, ``D`` and
``Gs`` (``G.clone``) with the reference's own ``tfutil.Network`` and ``networks.G_paper`` /
``D_paper``, draws *random* values for every trainable variable (biases included; ``Gs`` gets
values of its own, so a mix-up of G and Gs fails), and writes to
``tests/data/pretrained/tkarras/``:

* ``NAME.pkl`` -- ``pickle.dump((G, D, Gs))``, exactly as the reference's ``misc.save_pkl``
  writes its snapshots and released networks;
* ``NAME.npz`` -- ``latents`` (4), ``images`` (4, full size, in [-1, 1]; one minibatch-stddev
  group), ``lods`` and, for each: ``G_lod{i}``, ``Gs_lod{i}`` (the generators' outputs at full
  size: the reference up-samples every level) and ``D_lod{i}`` (the critic's scores of
  ``images``, which the reference down-samples itself).

Outputs are computed in float64 (the reference's ``dtype`` argument casts the weights), then
rounded to float32 once, so the fixture holds the function's value, not TensorFlow's float32
arithmetic. Two adaptations, made here and never in the checkout: ``import tensorflow`` gives ``tensorflow.compat.v1`` with the
v2 behaviour off (the reference is TF 1 code), and TensorFlow's CPU kernels that refuse the
``NCHW`` layout (``conv2d``, ``conv2d_transpose``, ``avg_pool``) are wrapped to transpose to
``NHWC`` and back -- the same numbers, the layout TensorFlow computes them in on a CPU.
"""
import argparse
import os
import pickle
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'data',
                   'pretrained', 'tkarras')
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkout', help='a checkout of tkarras/progressive_growing_of_gans')
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    tf = tf_v1()
    nhwc_on_cpu(tf)
    sys.path.insert(0, os.path.abspath(args.checkout))
    import tfutil
    tfutil.init_tf({'graph_options.place_pruned_graph': True})
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(2018)
    for name, (config, lods) in CASES.items():
        write_case(tf, tfutil, name, config, lods, rng, args.out)


if __name__ == '__main__':
    main()
