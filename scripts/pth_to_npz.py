"""Turn a PyTorch state dict (``.pth`` / ``.pt``) into an ``.npz`` that d2gan reads without torch.

Run where torch and NumPy are installed (MXNet and d2gan are not needed)::

    python scripts/pth_to_npz.py latest_net_G.pth latest_net_G.npz

then, anywhere: ``python -m d2gan convert --format junyanz-resnet_9blocks --input
latest_net_G.npz --out horse2zebra_G.params``. Reads with ``weights_only=True`` (tensors only,
no code runs); a checkpoint ``{'state_dict': {...}}`` is unwrapped.
"""
import argparse

import numpy as np
import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('input', help='.pth / .pt file holding a state dict')
    parser.add_argument('output', help='.npz file to write')
    args = parser.parse_args()
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
