"""Turn a PyTorch state dict (``.pth`` / ``.pt``) into an ``.npz`` that d2gan reads without torch.

Run where torch and NumPy are installed (MXNet and d2gan are not needed)::

    python scripts/pth_to_npz.py latest_net_G.pth latest_net_G.npz

then, anywhere: ``python -m d2gan convert --format junyanz-resnet_9blocks --input
latest_net_G.npz --out horse2zebra_G.params``. Reads with ``weights_only=True`` (tensors only,
no code runs); a checkpoint ``{'state_dict': {...}}`` is unwrapped, and a checkpoint of several
networks (U-GAT-IT's ``*_params_latest.pt``, StarGAN v2's ``*_nets_ema.ckpt``) is written with
dotted keys (``genA2B.DownBlock.1.weight``), as d2gan reads such a file itself.

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
import importlib.util
import os
import pickle

import numpy as np
import torch


def _state_dict_module():
    """``d2gan/pretrained/state_dict.py`` loaded by path: its ``flatten`` is the one d2gan
    reads nested checkpoints with, and loading it needs neither MXNet nor d2gan."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, 'd2gan',
                        'pretrained', 'state_dict.py')
    spec = importlib.util.spec_from_file_location('d2gan_state_dict', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    if not isinstance(state, dict):
        parser.error(f'{args.input} holds a {type(state).__name__}, not a state dict')
    module = _state_dict_module()
    try:
        flat = module.flatten(state, torch.Tensor, args.input)
    except module.PretrainedError as e:
        parser.error(str(e))
    arrays = {key: value.detach().cpu().numpy() for key, value in flat.items()}
    np.savez(args.output, **arrays)
    print(f'{args.output}: {len(arrays)} arrays')


if __name__ == '__main__':
    main()
