"""U-GAT-IT training (Kim et al., 2020), as ``UGATIT.py`` of znxlwm/UGATIT-pytorch:
:class:`UGATITStep` and the recipe ``ugatit`` (batches ``(A, B)``, unpaired).

Networks (:mod:`d2gan.models.ugatit`), named as in the reference: ``G_A`` (A -> B, ``genA2B``),
``G_B`` (B -> A); for each domain a global and a local discriminator judging it, ``D_GA`` and
``D_LA`` (domain A: real ``a`` vs ``G_B(b)``), ``D_GB`` and ``D_LB``. Every network returns
CAM logits next to its output. With ``mse(x, t) = mean (x - t)^2`` (LSGAN) and ``bce`` the
logistic loss on logits::

    D:  sum over the four discriminators  mse(D(real), 1) + mse(D(fake), 0)
                                          + mse(cam_D(real), 1) + mse(cam_D(fake), 0)
    G:  adv_weight      * sum over the four  mse(D(fake), 1) + mse(cam_D(fake), 1)
      + cycle_weight    * (|G_B(G_A(a)) - a| + |G_A(G_B(b)) - b|)
      + identity_weight * (|G_B(a) - a| + |G_A(b) - b|)
      + cam_weight      * (bce(cam_GB(b), 1) + bce(cam_GB(a), 0) + bce(cam_GA(a), 1)
                           + bce(cam_GA(b), 0))

The last term trains each generator's CAM to tell its source domain (1) from its target (0):
its attention then marks what differs between the domains. Weights 1, 10, 10, 1000; Adam(1e-4,
betas (0.5, 0.999), weight decay 1e-4) for the generators and for the discriminators; every
``rho`` of the generators clipped to [0, 1] after each update. The reference's discriminators
see the newest fakes; ``pool_size`` > 0 feeds them through CycleGAN's image pools instead
(:class:`~d2gan.image_pool.ImagePool`, in the checkpoint), the default 0 is the reference.

Deviation: the reference decays the rate linearly over the second half of its *iterations*;
here over the last ``n_epochs_decay`` *epochs* (CycleGAN's schedule, :func:`linear_decay`), so
that the command line's ``--epochs`` means the same for both unpaired recipes.
"""
import mxnet as mx
from mxnet import autograd, gluon, nd

from ..models.ugatit import (UGATITDiscriminator, UGATITGenerator, clip_rho,
                             discriminator_output_size)
from ..image_pool import ImagePool
from ..registry import register_recipe
from ..train.adam import ADAM
from ..train.step import Step
from .cyclegan import CycleGANStep, _l1, linear_decay


def _mse(x, target):
    """Mean squared distance to ``target`` per example, summed over the batch."""
    return nd.square(x - target).reshape((x.shape[0], -1)).mean(axis=1).sum()


def _bce(logits, target):
    """Logistic loss of ``logits`` against a constant 0/1 label, per example mean, summed."""
    loss = nd.Activation(-logits if target else logits, act_type='softrelu')
    return loss.reshape((logits.shape[0], -1)).mean(axis=1).sum()


class UGATITStep(CycleGANStep):
    """U-GAT-IT between unpaired domains A and B (module docstring). Translation, sampling and
    the learning-rate schedule are CycleGAN's (:class:`~d2gan.gans.cyclegan.CycleGANStep`)."""

    def __init__(self, G_A, G_B, D_GA, D_LA, D_GB, D_LB, adv_weight=1.0, cycle_weight=10.0,
                 identity_weight=10.0, cam_weight=1000.0, lr=1e-4, beta1=0.5, beta2=0.999,
                 weight_decay=1e-4, n_epochs=100, n_epochs_decay=100, pool_size=0, pool_seed=0,
                 devices=None, hybridize=True):
        Step.__init__(self, devices)
        self.pool_A = ImagePool(pool_size, seed=pool_seed)           # fakes of domain A
        self.pool_B = ImagePool(pool_size, seed=pool_seed + 1)       # fakes of domain B
        self.adv_weight, self.cycle_weight = float(adv_weight), float(cycle_weight)
        self.identity_weight, self.cam_weight = float(identity_weight), float(cam_weight)
        self.lr = float(lr)
        self.n_epochs, self.n_epochs_decay = int(n_epochs), int(n_epochs_decay)
        linear_decay(0, self.n_epochs, self.n_epochs_decay)          # validates the schedule
        # PyTorch's default initialisation: uniform with bound 1 / sqrt(fan_in); biases at 0
        init = mx.init.Xavier(rnd_type='uniform', factor_type='in', magnitude=1)
        self.G_A, self.G_B = G_A, G_B
        self.discriminators = {'D_GA': D_GA, 'D_LA': D_LA, 'D_GB': D_GB, 'D_LB': D_LB}
        self.networks = dict(G_A=G_A, G_B=G_B, **self.discriminators)
        for net in self.networks.values():
            net.initialize(init, ctx=self.devices)

        def adam(nets):
            params = gluon.ParameterDict()
            for net in nets:
                params.update(net.collect_params())
            return gluon.Trainer(params, ADAM, {'learning_rate': lr, 'beta1': beta1,
                                                  'beta2': beta2, 'wd': weight_decay},
                                 update_on_kvstore=False)

        self.trainers = {'G': adam([G_A, G_B]), 'D': adam(self.discriminators.values())}
        self.sample_data = None
        if hybridize:
            self.hybridize()

    @staticmethod
    def generate(net, x):
        return net(x)[0]

    def _judges(self):
        """``(D, domain)`` pairs: which discriminator judges which domain's images."""
        d = self.discriminators
        return [(d['D_GA'], 'A'), (d['D_LA'], 'A'), (d['D_GB'], 'B'), (d['D_LB'], 'B')]

    def train_step(self, batch):
        n, As, Bs = self.split_unpaired(batch)
        fakes = {'A': [self.pool_A.query(self.G_B(b)[0].detach()) for b in Bs],   # B -> A
                 'B': [self.pool_B.query(self.G_A(a)[0].detach()) for a in As]}   # A -> B
        reals = {'A': As, 'B': Bs}
        with autograd.record():                                          # D step
            d_losses = []
            for i in range(len(As)):
                loss = 0
                for D, domain in self._judges():
                    real_logit, real_cam, _ = D(reals[domain][i])
                    fake_logit, fake_cam, _ = D(fakes[domain][i])
                    loss = loss + (_mse(real_logit, 1) + _mse(fake_logit, 0)
                                   + _mse(real_cam, 1) + _mse(fake_cam, 0))
                d_losses.append(self.adv_weight * loss)
        self.backward(d_losses, self.trainers['D'])
        self.trainers['D'].step(n)
        terms = {'adv': [], 'cycle': [], 'identity': [], 'cam': []}
        with self.only_updating('G'):                                    # G step
            with autograd.record():
                g_losses = []
                for a, b in zip(As, Bs):
                    fake_b, cam_ab, _ = self.G_A(a)
                    fake_a, cam_ba, _ = self.G_B(b)
                    idt_a, cam_aa, _ = self.G_B(a)
                    idt_b, cam_bb, _ = self.G_A(b)
                    fake = {'A': fake_a, 'B': fake_b}
                    adv = 0
                    for D, domain in self._judges():
                        logit, cam, _ = D(fake[domain])
                        adv = adv + _mse(logit, 1) + _mse(cam, 1)
                    cycle = _l1(self.G_B(fake_b)[0], a) + _l1(self.G_A(fake_a)[0], b)
                    identity = _l1(idt_a, a) + _l1(idt_b, b)
                    cam = (_bce(cam_ba, 1) + _bce(cam_aa, 0) + _bce(cam_ab, 1) + _bce(cam_bb, 0))
                    g_loss = (self.adv_weight * adv + self.cycle_weight * cycle
                              + self.identity_weight * identity + self.cam_weight * cam)
                    for key, value in (('adv', adv), ('cycle', cycle), ('identity', identity),
                                       ('cam', cam)):
                        terms[key].append(value)
                    for key, (weight, value) in self.generator_terms(a, b, fake_a, fake_b).items():
                        g_loss = g_loss + weight * value
                        terms.setdefault(key, []).append(value)
                    g_losses.append(g_loss)
            self.backward(g_losses, self.trainers['G'])
        self.trainers['G'].step(n)
        clip_rho(self.G_A)
        clip_rho(self.G_B)
        logs = {'loss_D': self._mean(d_losses, n)}
        logs.update({('loss_G_adv' if k == 'adv' else k): self._mean(v, n)
                     for k, v in terms.items()})
        return logs

    def generator_terms(self, a, b, fake_a, fake_b):
        """More generator losses, ``{name: (weight, value summed over the batch)}``, added to
        the G loss inside its recording and logged under ``name``; ``fake_b = G_A(a)``,
        ``fake_a = G_B(b)``. U-GAT-IT has none (Photo2Cartoon adds its face-ID term)."""
        return {}

    def load_state_dict(self, state):
        if not state and not self.pool_A.pool_size:   # checkpoints from before the pools
            return
        super().load_state_dict(state)


def discriminator_layers(image_size):
    """``(global, local)`` layer counts: the reference's 7 and 5 where the image allows, else
    the deepest global discriminator that still leaves a patch of scores, and a local one two
    layers shallower (at least 3)."""
    fits = [k for k in range(3, 8) if discriminator_output_size(k, image_size) >= 1]
    if not fits:
        raise ValueError(f'U-GAT-IT needs images of at least 16x16, got {image_size}')
    top = max(fits)
    return top, max(3, min(5, top - 2))


@register_recipe('ugatit', batch_kind='unpaired')
def ugatit(image_size=256, channels=3, ngf=64, ndf=64, n_blocks=4, light=False, adv_weight=1.0,
           cycle_weight=10.0, identity_weight=10.0, cam_weight=1000.0, lr=1e-4,
           weight_decay=1e-4, n_epochs=100, n_epochs_decay=100, pool_size=0, devices=None,
           hybridize=True):
    """The reference's training at its defaults (``main.py``: 4 residual blocks, global D 7
    layers and local D 5 at 256 px; :func:`discriminator_layers` below 96 px). ``light``: the
    reference's ``--light`` generator (its gamma/beta MLP reads pooled features)."""
    n_global, n_local = discriminator_layers(image_size)
    gens = [UGATITGenerator(channels, channels, ngf, n_blocks, image_size, light)
            for _ in range(2)]
    ds = [UGATITDiscriminator(channels, ndf, k) for k in (n_global, n_local, n_global, n_local)]
    return UGATITStep(*gens, *ds, adv_weight=adv_weight, cycle_weight=cycle_weight,
                      identity_weight=identity_weight, cam_weight=cam_weight, lr=lr,
                      weight_decay=weight_decay, n_epochs=n_epochs,
                      n_epochs_decay=n_epochs_decay, pool_size=pool_size, devices=devices,
                      hybridize=hybridize)


__all__ = ['UGATITStep', 'discriminator_layers', 'ugatit']
