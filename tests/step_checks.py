"""Helpers the GAN-step tests share: every parameter of a step, unpaired toy domains, and the
attribute editors' tiny widths."""
import numpy as np

#: StarGAN / AttGAN / STGAN at widths that train in milliseconds (16x16 images)
TINY_EDITORS = {
    'stargan': dict(conv_dim=8, repeat_num=1, d_conv_dim=8, d_repeat_num=3),
    'attgan': dict(enc_dim=8, dec_dim=8, enc_layers=3, dec_layers=3, dis_dim=8, dis_fc_dim=16,
                   dis_layers=3),
    'stgan': dict(enc_dim=8, dec_dim=8, enc_layers=3, dec_layers=3, dis_dim=8, dis_fc_dim=16,
                  dis_layers=3, stu_dim=8, stu_layers=2),
}


def params_of(step):
    """``{'network.parameter': array}`` for every network of ``step`` (resume comparisons)."""
    return {f'{k}.{name}': p.data().asnumpy() for k, net in step.networks.items()
            for name, p in net._collect_params_with_prefix().items()}


def domains(n=8, size=16, seed=0):
    """Two unpaired toy domains of ``n`` RGB images: A centred on 0, B shifted up."""
    rng = np.random.default_rng(seed)
    A = np.tanh(rng.standard_normal((n, 3, size, size))).astype('float32')
    return A, np.tanh(rng.standard_normal((n, 3, size, size)) + 1).astype('float32')
