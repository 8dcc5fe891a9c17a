"""Official pretrained weights of reference implementations, loaded into d2gan's networks.

The book's networks follow reference code layer by layer; this package makes that checkable
and useful: a reference checkpoint converts into the d2gan network, which then computes the
reference's outputs (``tests/test_pretrained.py`` compares them number for number with
outputs the reference computed, ``tests/data/pretrained/``).

* :mod:`.state_dict` -- read ``{key: array}`` from ``.npz`` (always), ``.pth`` (needs torch),
  network ``.pkl`` files and TensorFlow checkpoints (neither needs its framework);
* :mod:`.keymap` -- the generic core: pair reference keys with d2gan parameters, check
  every key and shape, name every problem;
* :mod:`.junyanz` -- one module per reference family: pix2pix / CycleGAN
  (junyanz/pytorch-CycleGAN-and-pix2pix) U-Net and ResNet generators, PatchGAN;
  :mod:`.yunjey`: StarGAN (yunjey/stargan) generator and discriminator; :mod:`.ugatit`:
  U-GAT-IT (znxlwm/UGATIT-pytorch), whose spectral norms convert by :mod:`.spectral`;
  :mod:`.starganv2`: StarGAN v2 (clovaai/stargan-v2), its four networks; :mod:`.nvlabs`:
  StyleGAN2 (NVlabs/stylegan2-ada-pytorch) generator and discriminator, whose pickles
  :mod:`.torch_pickle` reads without torch (NVlabs/stylegan2's TensorFlow ones: :mod:`.tf_pickle`
  and :mod:`.nvlabs_tf`); :mod:`.rosinality`:
  StyleGAN2 (rosinality/stylegan2-pytorch ``.pt``: ``g_ema``, ``g``, ``d``, ``latent_avg``);
  :mod:`.attgan`: AttGAN (elvisyjlin/AttGAN-PyTorch) generator and discriminator;
  :mod:`.stgan`: STGAN (csmliu/STGAN), whose TensorFlow checkpoints :mod:`.tf_checkpoint`
  reads without TensorFlow;
  :mod:`.spade`: SPADE (NVlabs/SPADE) generator and multi-scale discriminator;
  :mod:`.tkarras`: PGGAN (tkarras/progressive_growing_of_gans), whose TensorFlow network
  pickles :mod:`.tf_pickle` reads without TensorFlow;
  :mod:`.photo2cartoon`: Photo2Cartoon's generator (minivision-ai/photo2cartoon), and
  :mod:`.mobilefacenet` its face-ID loss's MobileFaceNet (checked ``data/`` file, frozen);
* :mod:`.convert` -- formats by name, and the converted network's ``.params`` + ``.json``;
* :mod:`.find` -- where the chapters look for converted files (``data/pretrained/NAME.params``).

>>> net = load_pretrained('latest_net_G.pth', 'junyanz-resnet_9blocks')   # doctest: +SKIP

From the command line: ``python -m d2gan convert --format junyanz-unet_256 --input
latest_net_G.pth --out facades_G.params``, then ``python -m d2gan infer --weights
facades_G.params --input FOLDER --out FOLDER`` translates with it.
"""
from .state_dict import PretrainedError, read_state_dict
from .convert import (FORMATS, convert, list_formats, load_converted, load_pretrained,
                      read_sidecar, save_converted, sidecar_path)
from .find import converted_path, find_converted
from . import (attgan, junyanz, mobilefacenet, nvlabs, photo2cartoon,  # noqa: F401
               rosinality, spade, starganv2, stgan, tkarras, ugatit,  # (formats)
               yunjey)

__all__ = ['PretrainedError', 'read_state_dict', 'FORMATS', 'convert', 'list_formats',
           'load_converted', 'load_pretrained', 'read_sidecar', 'save_converted',
           'sidecar_path', 'converted_path', 'find_converted']
