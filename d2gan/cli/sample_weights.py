"""``sample --weights X.params``: an image grid from a converted reference generator.

``python -m d2gan convert --format nvlabs-stylegan2-generator`` writes a released StyleGAN2
generator (``G_ema``) as ``X.params`` + ``X.json`` (:mod:`d2gan.pretrained.nvlabs`), ``--format
tkarras-pggan-generator`` a released PGGAN one (``Gs``; :mod:`d2gan.pretrained.tkarras`);
``sample --weights X.params`` then writes the same grid as ``sample --checkpoint`` writes for a
d2gan run: ``--num`` images, latents from ``--seed`` (NumPy, as a step's fixed sample noise),
the per-layer noise from ``mxnet.random.seed(seed)``, ``--truncation`` towards the converted
``w_avg`` (StyleGAN2 only: PGGAN has no truncation; a grown PGGAN samples at full size). Only noise -> image generators are sampled (:data:`SAMPLERS`); a converted
translator is pointed to ``infer --weights``, a discriminator refused.
"""
import numpy as np
import mxnet as mx
from mxnet import autograd

from .. import pretrained
from ..device import as_device_list
from ..plot import save_grid

#: converted networks ``sample --weights`` draws from, and their latent size's kwarg
SAMPLERS = {'stylegan2_generator': 'z_dim', 'pggan_generator': 'latent_dim'}
TRUNCATED = {'stylegan2_generator'}    # those whose second argument is the truncation psi
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
    if args.truncation is not None and model not in TRUNCATED:
        raise ValueError(f'--truncation applies to a StyleGAN2 generator; {args.weights} holds a '
                         f'{model}, which has no truncation')
    device = as_device_list(args.device)[0]
    net = pretrained.load_converted(args.weights, device)
    extra = [1.0 if args.truncation is None else args.truncation] if model in TRUNCATED else []
    z = np.random.default_rng(args.seed).standard_normal(
        (args.num, meta['kwargs'][SAMPLERS[model]])).astype('float32')
    mx.random.seed(args.seed)
    with autograd.predict_mode():
        images = [net(mx.nd.array(z[i:i + CHUNK], ctx=device), *extra).as_in_context(mx.cpu())
                  for i in range(0, args.num, CHUNK)]
    path = save_grid(mx.nd.concat(*images, dim=0), args.out, nrow=args.nrow)
    print(f'wrote {args.num} samples of {model} ({args.weights}) to {path}')
