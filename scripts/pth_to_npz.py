"""Turn a PyTorch state dict (``.pth`` / ``.pt``) into an ``.npz`` that d2gan reads without torch.

Run where torch and NumPy are installed (MXNet and d2gan are not needed)::

    python scripts/pth_to_npz.py latest_net_G.pth latest_net_G.npz

then, anywhere: ``python -m d2gan convert --format junyanz-resnet_9blocks --input
latest_net_G.npz --out horse2zebra_G.params``. Reads with ``weights_only=True`` (tensors only,
no code runs); a checkpoint ``{'state_dict': {...}}`` is unwrapped.

``--nvlabs-pkl``: the input is a network pickle of NVlabs/stylegan2-ada-pytorch (``ffhq.pkl``:
``{'G', 'D', 'G_ema', ...}``); the ``.npz`` holds ``--network``'s state dict (default
``G_ema``, the generator the reference samples with; ``D`` for the discriminator)::

    PYTHONPATH=PATH/TO/stylegan2-ada-pytorch python scripts/pth_to_npz.py --nvlabs-pkl \\
        ffhq.pkl ffhq_G_ema.npz

The pickle holds the reference's classes, so its checkout must be importable (``torch_utils``,
``dnnlib``), and unpickling runs code: convert only files you trust. Then ``python -m d2gan
convert --format nvlabs-stylegan2-generator --input ffhq_G_ema.npz --out ffhq.params``.
"""
import argparse
import pickle

import numpy as np
import torch


def read_nvlabs_pkl(path, network):
    """The state dict of ``network`` in an NVlabs network pickle."""
    with open(path, 'rb') as f:
        networks = pickle.load(f)
    if network not in networks:
        raise SystemExit(f'{path} holds {", ".join(sorted(networks))}, no {network!r}')
    return networks[network].state_dict()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('input', help='.pth / .pt file holding a state dict (or, with '
                                      '--nvlabs-pkl, an NVlabs network .pkl)')
    parser.add_argument('output', help='.npz file to write')
    parser.add_argument('--nvlabs-pkl', action='store_true',
                        help='the input is a stylegan2-ada-pytorch network pickle (its checkout '
                             'must be importable)')
    parser.add_argument('--network', default='G_ema',
                        help='with --nvlabs-pkl: G_ema (default), G or D')
    args = parser.parse_args()
    if args.nvlabs_pkl:
        state = read_nvlabs_pkl(args.input, args.network)
    else:
        state = torch.load(args.input, map_location='cpu', weights_only=True)
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    arrays = {key: value.detach().cpu().numpy() for key, value in state.items()
              if isinstance(value, torch.Tensor)}
    skipped = sorted(set(state) - set(arrays))
    if skipped:
        parser.error(f'entries that are not tensors: {", ".join(skipped)}')
    np.savez(args.output, **arrays)
    print(f'{args.output}: {len(arrays)} arrays')


if __name__ == '__main__':
    main()
