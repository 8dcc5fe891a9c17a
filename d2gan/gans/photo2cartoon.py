"""Photo2Cartoon training (minivision-ai/photo2cartoon, ``models/UGATIT_sadalin_hourglass.py``):
the recipe ``photo2cartoon`` (batches ``(A, B)``, unpaired; A photos, B cartoons).

It is U-GAT-IT's training (:class:`~d2gan.gans.ugatit.UGATITStep`, whose docstring writes the
loss out) with the hourglass generators of :mod:`d2gan.models.photo2cartoon`, U-GAT-IT's
global (7 layers) and local (5) discriminators, and the reference's weights and widths::

    adv 1, cycle 50, identity 10, CAM 1000;  ngf = ndf = 32, light generators (``train.py``)

After each update every ``rho`` *and* every Soft-AdaLIN ``w_gamma`` / ``w_beta`` is clipped to
[0, 1] (the reference's ``RhoClipper`` and ``WClipper``).

**The face-ID term** (the reference's, weight ``faceid_weight`` = 1) keeps a face
recognisable: it adds ``faceid_weight * (faceid(a, G_A(a)) + faceid(b, G_B(b)))`` to the G loss,
the cosine distance of a frozen face-recognition network's embeddings of the two faces
(:func:`d2gan.losses_faceid.faceid_loss`, logged as ``faceid``). The network is the recipe's
``face_features``: ``'mobilefacenet'``, the reference's MobileFaceNet weights read from
``data/model_mobilefacenet.pth`` (SHA-256 checked; :mod:`d2gan.pretrained.mobilefacenet`), or
a network given directly (not written to a checkpoint: resuming needs the name). Its default
``None`` trains without the term, as PaddleGAN's Photo2Cartoon does: d2gan ships no face
weights and cannot train them offline; ``faceid_weight`` then defaults to 0, and a positive
one is refused rather than silently ignored. The rate schedule deviates as U-GAT-IT's does (by
epochs, not iterations).
"""
from ..losses_faceid import faceid_loss, freeze, resolve_face_features
from ..models.photo2cartoon import Photo2CartoonGenerator, clip_mixing
from ..models.ugatit import UGATITDiscriminator
from ..registry import register_recipe
from .ugatit import UGATITStep, discriminator_layers


class Photo2CartoonStep(UGATITStep):
    """:class:`UGATITStep` plus the face-ID term (module docstring) and Soft-AdaLIN's ``w``
    clipped to [0, 1] after each update. ``face_features``: a frozen network of 112x112 faces
    (moved to the step's devices), or ``None`` with ``faceid_weight = 0``."""

    def __init__(self, *networks, faceid_weight=0.0, face_features=None, **kwargs):
        super().__init__(*networks, **kwargs)
        if faceid_weight and face_features is None:
            raise ValueError('photo2cartoon: the face-ID loss needs MobileFaceNet weights (or '
                             "another face network): pass face_features='mobilefacenet' with "
                             f'data/model_mobilefacenet.pth, or faceid_weight=0, got '
                             f'{faceid_weight}')
        self.faceid_weight, self.face_features = float(faceid_weight), face_features
        if face_features is not None:
            freeze(face_features).collect_params().reset_ctx(self.devices)

    def generator_terms(self, a, b, fake_a, fake_b):
        if self.face_features is None or not self.faceid_weight:
            return {}
        faceid = (faceid_loss(self.face_features, a, fake_b).sum()
                  + faceid_loss(self.face_features, b, fake_a).sum())
        return {'faceid': (self.faceid_weight, faceid)}

    def train_step(self, batch):
        logs = super().train_step(batch)
        clip_mixing(self.G_A)
        clip_mixing(self.G_B)
        return logs


@register_recipe('photo2cartoon', batch_kind='unpaired')
def photo2cartoon(image_size=256, channels=3, ngf=32, ndf=32, light=True, adv_weight=1.0,
                  cycle_weight=50.0, identity_weight=10.0, cam_weight=1000.0,
                  faceid_weight=None, face_features=None, lr=1e-4, weight_decay=1e-4,
                  n_epochs=100, n_epochs_decay=100, pool_size=0, devices=None, hybridize=True):
    """The reference's training at its ``train.py`` defaults (module docstring); the
    discriminators as :func:`~d2gan.gans.ugatit.discriminator_layers` sizes them.
    ``faceid_weight=None``: the reference's 1 with ``face_features``, else 0 (no term)."""
    if channels != 3:
        raise ValueError(f'photo2cartoon translates RGB images (3 channels), got {channels}')
    if faceid_weight is None:
        faceid_weight = 0.0 if face_features is None else 1.0
    n_global, n_local = discriminator_layers(image_size)
    gens = [Photo2CartoonGenerator(ngf, image_size, light) for _ in range(2)]
    ds = [UGATITDiscriminator(3, ndf, k) for k in (n_global, n_local, n_global, n_local)]
    return Photo2CartoonStep(*gens, *ds, adv_weight=adv_weight, cycle_weight=cycle_weight,
                             identity_weight=identity_weight, cam_weight=cam_weight,
                             faceid_weight=faceid_weight,
                             face_features=resolve_face_features(face_features), lr=lr,
                             weight_decay=weight_decay, n_epochs=n_epochs,
                             n_epochs_decay=n_epochs_decay, pool_size=pool_size,
                             devices=devices, hybridize=hybridize)


__all__ = ['Photo2CartoonStep', 'photo2cartoon']
