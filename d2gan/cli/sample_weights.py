"""``sample --weights X.params``: an image grid from a converted reference generator.

``python -m d2gan convert --format nvlabs-stylegan2-generator`` writes a released StyleGAN2
generator (``G_ema``) as ``X.params`` + ``X.json`` (:mod:`d2gan.pretrained.nvlabs`);
``sample --weights X.params`` then writes the same grid as ``sample --checkpoint`` writes for a
d2gan run: ``--num`` images, latents from ``--seed`` (NumPy, as a step's fixed sample noise),
the per-layer noise from ``mxnet.random.seed(seed)``, ``--truncation`` towards the converted
``w_avg``. Only noise -> image generators are sampled (:data:`SAMPLERS`); a converted
translator is pointed to ``infer --weights``, a discriminator refused.
"""
import numpy as np
import mxnet as mx
from mxnet import autograd

from .. import pretrained
from ..device import as_device_list
from ..plot import save_grid

#: converted networks ``sample --weights`` draws from, and their latent size's kwarg
SAMPLERS = {'stylegan2_generator': 'z_dim'}
CHUNK = 16    # images per forward pass


def sample(args):
    meta = pretrained.read_sidecar(args.weights)
    model = meta['model']
    if model not in SAMPLERS:
        hint = (' (a translator: use `python -m d2gan infer --weights`)'
                if model.endswith('generator') else '')
        raise ValueError(f'{args.weights} holds a {model} (format {meta.get("format")}){hint}; '
                         '`sample --weights` draws from a converted noise -> image generator: '
                         + ', '.join(SAMPLERS))
    device = as_device_list(args.device)[0]
    net = pretrained.load_converted(args.weights, device)
    psi = 1.0 if args.truncation is None else args.truncation
    z = np.random.default_rng(args.seed).standard_normal(
        (args.num, meta['kwargs'][SAMPLERS[model]])).astype('float32')
    mx.random.seed(args.seed)
    with autograd.predict_mode():
        images = [net(mx.nd.array(z[i:i + CHUNK], ctx=device), psi).as_in_context(mx.cpu())
                  for i in range(0, args.num, CHUNK)]
    path = save_grid(mx.nd.concat(*images, dim=0), args.out, nrow=args.nrow)
    print(f'wrote {args.num} samples of {model} ({args.weights}) to {path}')
