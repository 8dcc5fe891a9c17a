"""Where the book looks for converted reference weights: ``<data root>/pretrained/NAME.params``.

Why it exists: the chapters of pix2pix, CycleGAN and StarGAN show what the released weights
of the reference implementations do, but the book runs offline and ships no weights. A chapter
therefore asks :func:`find_converted` for a converted network by name; it gets the network when
a reader has put it in place, and ``None`` otherwise (the chapter then says so and uses the
network it trained itself).

The method: the folder is ``pretrained/`` under :func:`d2gan.data.data_root` (the repository's
``data/``, or ``$D2GAN_DATA``), the same root every dataset loader uses, so a notebook finds it
whatever its working directory. ``NAME.params`` and its ``NAME.json`` are the two files that
``python -m d2gan convert`` writes (:func:`d2gan.pretrained.save_converted`); the names the
chapters look for are the reference's model names:

=========================  ====================================  ============================
NAME                       reference file                        ``convert --format``
=========================  ====================================  ============================
``facades_label2photo``    ``facades_label2photo.pth`` (junyanz  ``junyanz-unet_256``
                           ``scripts/download_pix2pix_model.sh``)
``style_ukiyoe``           ``style_ukiyoe.pth`` (junyanz         ``junyanz-resnet_9blocks``
                           ``scripts/download_cyclegan_model.sh``)
``stargan_celeba_128``     ``200000-G.ckpt`` (yunjey ``bash      ``yunjey-generator``
                           download.sh pretrained-celeba-128x128``)
``pggan_celebahq_1024``    ``karras2018iclr-celebahq-1024x1024   ``tkarras-pggan-generator``
                           .pkl`` (tkarras, Google Drive
                           ``networks/tensorflow-version``)
``ffhq``                   ``ffhq.pkl`` (NVlabs                  ``nvlabs-stylegan2-generator``
                           stylegan2-ada-pytorch README)
=========================  ====================================  ============================

For example::

    python -m d2gan convert --format junyanz-unet_256 --input facades_label2photo.pth \\
        --out data/pretrained/facades_label2photo.params

Absent ``NAME.params`` is ``None``; a ``NAME.params`` without its ``NAME.json`` (copied alone)
is a :class:`~d2gan.pretrained.PretrainedError` that says to copy or rewrite the pair, as is an
unreadable file: a file that is there but broken is never mistaken for one that is absent.
Tested in ``tests/test_pretrained_find.py``.
"""
import os

import mxnet as mx

from ..data.download import data_root
from .convert import load_converted, sidecar_path
from .state_dict import PretrainedError


def converted_path(name, root=None):
    """``<root>/NAME.params``; ``root`` defaults to ``pretrained/`` of the data root."""
    folder = os.path.join(data_root(), 'pretrained') if root is None else os.fspath(root)
    name = os.fspath(name)
    if name.endswith('.params'):
        name = name[:-len('.params')]
    return os.path.join(folder, name + '.params')


def find_converted(name, root=None, device=None):
    """The converted network ``NAME`` if it is on disk, else ``None``.

    Parameters
    ----------
    name : str
        The file's name without ``.params`` (e.g. ``'facades_label2photo'``).
    root : str, optional
        The folder to look in; default ``pretrained/`` under :func:`d2gan.data.data_root`
        (``data/pretrained/`` of the repository, or ``$D2GAN_DATA/pretrained``).
    device : mxnet.Context, optional
        Where to load the parameters (default the CPU).

    Returns
    -------
    The network (as :func:`d2gan.pretrained.load_converted` builds it), or ``None`` when
    ``NAME.params`` does not exist.

    Raises
    ------
    PretrainedError
        ``NAME.params`` exists but ``NAME.json`` does not, either cannot be read, or the
        parameters do not fit the network that ``NAME.json`` describes.
    """
    params = converted_path(name, root)
    if not os.path.isfile(params):
        return None
    if not os.path.isfile(sidecar_path(params)):
        raise PretrainedError(
            f'{params} has no {os.path.basename(sidecar_path(params))} beside it: the '
            'description that rebuilds the network. Copy both files that `python -m d2gan '
            'convert` wrote, or convert again with --out ' + params)
    try:
        return load_converted(params, device)
    except (mx.base.MXNetError, AssertionError) as e:   # truncated file / shapes not as in .json
        raise PretrainedError(f'{params} does not load as its .json describes (corrupt, or '
                              f'from another conversion?): {str(e).strip().splitlines()[-1]}'
                              ) from None


__all__ = ['converted_path', 'find_converted']
