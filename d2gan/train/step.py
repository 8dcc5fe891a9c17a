"""The contract between a GAN and the one training loop.

A *step* owns the networks and their trainers and knows the GAN's objective; the loop
(:func:`d2gan.train.train_gan`) owns epochs, seeding, callbacks and checkpoints. Anything with
these members can be trained by the loop:

* ``networks`` -- ``{name: Block}`` (saved in checkpoints),
* ``trainers`` -- ``{name: gluon.Trainer}`` (their optimizer states are saved too),
* ``config`` -- a JSON-able dict that rebuilds the step through :func:`d2gan.build_gan`,
* ``train_step(batch) -> {loss_name: NDArray}`` -- one optimisation step on a batch,
* ``sample(num, seed) -> NDArray`` -- images in [-1, 1] for grids.

Optional: ``begin_epoch(epoch)``, called by the loop before every epoch (0-based, also the
epoch a resumed run continues in) -- the place for a per-epoch learning-rate schedule, which
then survives resume because it depends on the epoch number only.
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon

from ..device import as_device_list, split_and_load
from ..grad_requests import requesting
from ..nn import dcgan_init, scores_each_example
from .adam import ADAM


def make_trainer(net, optimizer='adam', lr=2e-4, beta1=0.5, beta2=0.999):
    """A ``gluon.Trainer`` for ``net``: Adam(``lr``, ``beta1``, ``beta2``) or RMSProp(``lr``).

    ``net`` may be a list of blocks that share one optimizer (CycleGAN's two generators).
    The update runs on every device (``update_on_kvstore=False``), not inside the kvstore:
    otherwise, with several devices, the kvstore keeps its own copy of the weights and a change
    a step makes to them after the update (WGAN's clipping) is lost at the next update.
    """
    nets = list(net) if isinstance(net, (list, tuple)) else [net]
    all_params = gluon.ParameterDict()
    for block in nets:
        all_params.update(block.collect_params())
    if not any(p.grad_req != 'null' for p in all_params.values()):
        raise ValueError(f'{type(nets[0]).__name__} has no trainable parameters; a GAN step '
                         'needs a generator and a discriminator that can learn')
    if optimizer == 'adam':
        params = {'learning_rate': lr, 'beta1': beta1, 'beta2': beta2}
    elif optimizer == 'rmsprop':
        params = {'learning_rate': lr}
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}: use 'adam' or 'rmsprop'")
    return gluon.Trainer(all_params, ADAM if optimizer == 'adam' else optimizer, params,
                         update_on_kvstore=False)



def reset_optimizer_state(trainer):
    """Forget ``trainer``'s optimizer state: Adam's moments and its per-parameter step counts
    (so the next update is a first update again, bias correction included), as PGGAN does when
    a new level starts to fade in. The parameters and the learning rate are kept."""
    for updater in trainer._updaters:
        updater.states.clear()
        updater.states_synced.clear()
    optimizer = trainer._optimizer
    for counts in optimizer._all_index_update_counts.values():
        counts.clear()
    optimizer.num_update = optimizer.begin_num_update

#: How :meth:`Step.hybridize` caches the networks' graphs. ``static_alloc``: MXNet plans a
#: graph's memory once per input shape and keeps it, instead of asking the allocator for every
#: operator's output on every call. The values are the same (``tests/test_static_alloc.py``:
#: every recipe trains to the same parameters). Images/s static / dynamic at the chapters'
#: settings (``benchmarks/static_alloc.py``, medians of 3 interleaved rounds): 0.92 to 1.14,
#: mean 1.03; above 1 in every round for CycleGAN, StarGAN and CGAN. A new input shape (a
#: smaller last batch, PGGAN's next level) plans the memory again; a network called twice
#: inside one ``autograd.record()`` gets a second plan, so the first call's activations survive
#: for the backward pass. StyleGAN2's step keeps dynamic memory (its ``graph_flags``).
GRAPH_FLAGS = {'static_alloc': True}


class Step:
    """Base class with the bookkeeping every GAN step shares."""

    def __init__(self, devices=None):
        self.devices = as_device_list(devices)
        self.networks = {}
        self.trainers = {}
        self.config = {}

    def set_pair(self, net_G, net_D, lr=2e-4, beta1=0.5, beta2=0.999, lr_D=None,
                 optimizer='adam', initialize=True):
        """Own a generator/discriminator pair: DCGAN-initialise both (optional), one trainer each."""
        if initialize:
            for net in (net_G, net_D):
                dcgan_init(net, self.devices)
        self.net_G, self.net_D = net_G, net_D
        self.joint_critic = scores_each_example(net_D)
        self.networks = {'G': net_G, 'D': net_D}
        self.trainers = {'G': make_trainer(net_G, optimizer, lr, beta1, beta2),
                         'D': make_trainer(net_D, optimizer, lr_D or lr, beta1, beta2)}

    def train_step(self, batch):
        raise NotImplementedError

    def sample(self, num, seed=0):
        raise NotImplementedError

    def critic_pair(self, real, fake):
        """``(net_D(real), net_D(fake))`` by :func:`score_pair` (one call when
        ``self.joint_critic``, which :meth:`set_pair` sets from the critic's layers)."""
        return score_pair(self.net_D, real, fake, self.joint_critic)

    def split(self, batch):
        """Slices of ``batch`` (an NDArray / numpy array) on each of ``self.devices``."""
        return split_and_load(batch, self.devices)

    def shares(self, n):
        """``[(size, device)]``: how ``n`` examples that the step draws itself (noise) are
        spread over ``self.devices`` -- the sizes :meth:`split` gives a batch of ``n``."""
        return list(zip(split_sizes(n, len(self.devices)), self.devices))

    def backward(self, losses, trainer):
        """``autograd.backward(losses)``, through ``trainer``'s dynamic loss scale when float16
        mixed precision is on (:func:`d2gan.train.distributed.enable_amp`), so that small
        gradients do not underflow in float16; the trainer divides the scale out again."""
        if getattr(trainer, '_amp_loss_scaler', None) is None:
            autograd.backward(losses)
            return
        from mxnet.contrib import amp
        with amp.scale_loss(list(losses), trainer) as scaled:
            autograd.backward(scaled)

    def only_updating(self, *names):
        """Inside the block, operations are recorded to back-propagate only into the networks
        that the trainers ``names`` update: every other network's parameters are marked
        ``'null'`` (:func:`d2gan.grad_requests.requesting`). Wrap a generator's update in it --
        the recording as well as the backward pass, since a request holds for what is recorded
        after it is set -- and back-propagation runs through the critic to the generator
        without computing the critic's weight gradients, which the update would discard (about
        half of the critic's backward work; the values are unchanged:
        ``tests/test_only_updating.py``)."""
        key = (names, tuple(map(id, self.networks.values())))
        cache = self.__dict__.setdefault('_idle_params', {})
        if key not in cache:      # walking the networks is Python time: once per network set
            updated = {id(p) for name in names for p in self.trainers[name]._params}
            cache[key] = [p for net in self.networks.values()
                          for p in net.collect_params().values() if id(p) not in updated]
        return requesting(cache[key], 'null')

    def noise(self, num, dim, seed=None):
        """Standard normal ``(num, dim)`` latents on the first device.

        With ``seed`` the noise comes from its own NumPy generator (fixed noise for sample grids,
        leaving MXNet's global RNG alone); without it from MXNet's RNG, which the loop seeds.
        """
        if seed is None:
            return mx.nd.random.normal(shape=(num, dim), ctx=self.devices[0])
        z = np.random.default_rng(seed).standard_normal((num, dim)).astype('float32')
        return mx.nd.array(z, ctx=self.devices[0])

    #: the flags :meth:`hybridize` gives every network (a step may keep its own)
    graph_flags = GRAPH_FLAGS

    def hybridize(self, **flags):
        """Hybridize every network with :attr:`graph_flags` (:data:`GRAPH_FLAGS`), ``flags``
        overriding them, e.g. ``step.hybridize(static_alloc=False)``."""
        for net in self.networks.values():
            net.hybridize(**dict(self.graph_flags, **flags))
        return self


def score_pair(net_D, real, fake, joint):
    """``(net_D(real), net_D(fake))``. With ``joint`` -- only for a critic that scores every
    example on its own (:func:`d2gan.nn.scores_each_example`) -- in one call on the two batches
    concatenated, then cut apart: the same values and gradients with half the operator
    launches and the kernels on twice the batch. A critic that returns a tuple (score, class
    logits) has each part cut the same way."""
    if not joint:
        return net_D(real), net_D(fake)
    n = real.shape[0]

    def halves(out):
        return (mx.nd.slice_axis(out, axis=0, begin=0, end=n),
                mx.nd.slice_axis(out, axis=0, begin=n, end=None))

    both = net_D(mx.nd.concat(real, fake, dim=0))
    if isinstance(both, (tuple, list)):
        return tuple(zip(*(halves(out) for out in both)))
    return halves(both)


def split_sizes(n, parts):
    """``parts`` sizes adding up to ``n``; the first ``n % parts`` are one larger."""
    base, extra = divmod(n, parts)
    return [base + (i < extra) for i in range(parts)]


def critic_chunks(X, parts):
    """``X`` cut along its first axis into ``parts`` slices, one per critic update."""
    n = X.shape[0]
    if n < parts:
        raise ValueError(f'batch of {n} cannot feed n_critic={parts} critic updates')
    bounds = [0]
    for size in split_sizes(n, parts):
        bounds.append(bounds[-1] + size)
    return [X[bounds[i]:bounds[i + 1]] for i in range(parts)]
