"""Photo2Cartoon training (minivision-ai/photo2cartoon, ``models/UGATIT_sadalin_hourglass.py``):
the recipe ``photo2cartoon`` (batches ``(A, B)``, unpaired; A photos, B cartoons).

It is U-GAT-IT's training (:class:`~d2gan.gans.ugatit.UGATITStep`, whose docstring writes the
loss out) with the hourglass generators of :mod:`d2gan.models.photo2cartoon`, U-GAT-IT's
global (7 layers) and local (5) discriminators, and the reference's weights and widths::

    adv 1, cycle 50, identity 10, CAM 1000;  ngf = ndf = 32, light generators (``train.py``)

After each update every ``rho`` *and* every Soft-AdaLIN ``w_gamma`` / ``w_beta`` is clipped to
[0, 1] (the reference's ``RhoClipper`` and ``WClipper``).

**Left out: the face-ID term.** The reference adds ``faceid_weight`` (1) times the cosine
distance between MobileFaceNet embeddings of ``a`` and ``G_A(a)`` (and of ``b``, ``G_B(b)``),
keeping a face recognisable. That needs MobileFaceNet's weights trained on a face-recognition
set (``models/model_mobilefacenet.pth``), which d2gan neither ships nor can train here; so
``faceid_weight`` is 0 and any other value is refused rather than silently ignored. The rate
schedule deviates as U-GAT-IT's does (by epochs, not iterations).
"""
from ..models.photo2cartoon import Photo2CartoonGenerator, clip_mixing
from ..models.ugatit import UGATITDiscriminator
from ..registry import register_recipe
from .ugatit import UGATITStep, discriminator_layers


class Photo2CartoonStep(UGATITStep):
    """:class:`UGATITStep` that also clips Soft-AdaLIN's ``w`` to [0, 1] after each update."""

    def train_step(self, batch):
        logs = super().train_step(batch)
        clip_mixing(self.G_A)
        clip_mixing(self.G_B)
        return logs


@register_recipe('photo2cartoon', batch_kind='unpaired')
def photo2cartoon(image_size=256, channels=3, ngf=32, ndf=32, light=True, adv_weight=1.0,
                  cycle_weight=50.0, identity_weight=10.0, cam_weight=1000.0,
                  faceid_weight=0.0, lr=1e-4, weight_decay=1e-4, n_epochs=100,
                  n_epochs_decay=100, devices=None, hybridize=True):
    """The reference's training at its ``train.py`` defaults (module docstring); the
    discriminators as :func:`~d2gan.gans.ugatit.discriminator_layers` sizes them."""
    if faceid_weight:
        raise ValueError('photo2cartoon: the face-ID loss needs MobileFaceNet weights, which '
                         f'd2gan does not have; use faceid_weight=0, got {faceid_weight}')
    if channels != 3:
        raise ValueError(f'photo2cartoon translates RGB images (3 channels), got {channels}')
    n_global, n_local = discriminator_layers(image_size)
    gens = [Photo2CartoonGenerator(ngf, image_size, light) for _ in range(2)]
    ds = [UGATITDiscriminator(3, ndf, k) for k in (n_global, n_local, n_global, n_local)]
    return Photo2CartoonStep(*gens, *ds, adv_weight=adv_weight, cycle_weight=cycle_weight,
                             identity_weight=identity_weight, cam_weight=cam_weight, lr=lr,
                             weight_decay=weight_decay, n_epochs=n_epochs,
                             n_epochs_decay=n_epochs_decay, devices=devices,
                             hybridize=hybridize)


__all__ = ['Photo2CartoonStep', 'photo2cartoon']
