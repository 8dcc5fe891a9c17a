"""One file per GAN family: its step(s), whose docstrings state the loss, and its recipe(s).

Importing this package registers every recipe in :data:`d2gan.registry.RECIPES` (with its batch
kind); :func:`d2gan.build_gan` builds them by name. A new family is one more file here plus
its networks in :mod:`d2gan.models` (see ``CONTRIBUTING.md``).

==============  ===============================  ===========================================
file            steps                            recipes (batch kind)
==============  ===============================  ===========================================
dcgan           GANStep                          dcgan, lsgan, wgan, wgan-gp, hinge-sn (images)
cgan            CGANStep                         cgan (labelled)
pix2pix         Pix2PixStep                      pix2pix (paired)
cyclegan        CycleGANStep                     cyclegan (unpaired)
spade           SPADEStep                        spade (semantic)
stargan         StarGANStep                      stargan (attributes)
starganv2       StarGANv2Step                    starganv2 (labelled: domains)
attgan          AttGANStep (AttGAN and STGAN)    attgan, stgan (attributes)
pggan           PGGANStep                        pggan (images)
stylegan2       StyleGAN2Step                    stylegan2 (images)
ugatit          UGATITStep                       ugatit (unpaired)
photo2cartoon   Photo2CartoonStep (U-GAT-IT's)   photo2cartoon (unpaired)
==============  ===============================  ===========================================

Shared by several families: ``attribute_step`` (the StarGAN / AttGAN / STGAN critic update),
``translation`` (L1 / PSNR / sharpness against ground truth), ``editing`` (the attribute
editors at the book's size), ``path_length`` (StyleGAN2's path length regularization).
"""
from .attgan import AttGANStep
from .attribute_step import AttributeStep
from .cgan import CGANStep
from .cyclegan import CycleGANStep
from .dcgan import GANStep
from .editing import book_config, train_editor
from .pggan import PGGANStep
from .pix2pix import Pix2PixStep
from .spade import SPADEStep
from .stargan import StarGANStep
from .starganv2 import StarGANv2Step
from .stylegan2 import StyleGAN2Step
from .ugatit import UGATITStep
from .photo2cartoon import Photo2CartoonStep
from .translation import translation_metrics

__all__ = ['GANStep', 'CGANStep', 'Pix2PixStep', 'CycleGANStep', 'SPADEStep', 'StarGANStep',
           'AttGANStep', 'PGGANStep', 'StarGANv2Step', 'StyleGAN2Step', 'UGATITStep',
           'Photo2CartoonStep', 'AttributeStep', 'translation_metrics', 'book_config',
           'train_editor']
