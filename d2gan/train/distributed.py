"""Training at scale: several devices, several machines (MXNet kvstore), float16 on GPUs.

A step (:mod:`d2gan.train.step`) already splits each batch over ``step.devices`` and sums the
per-device gradients through its trainers' kvstore (``'device'`` by default). This module adds
the rest of data parallelism, each part chosen by a flag, the single-device path untouched:

* :func:`distribute` -- rebuild a step's trainers on a chosen kvstore: ``'local'``,
  ``'device'``, ``'nccl'`` (one process, several contexts) or ``'dist_sync'`` /
  ``'dist_device_sync'`` (several processes or machines, a parameter server in between);
* :class:`ShardedBatches` -- worker ``rank`` trains on its slice of every *global* batch: all
  workers draw the same seeded permutation, so the union of their slices is exactly the batch a
  single process would see;
* :func:`enable_amp` -- float16 mixed precision with :mod:`mxnet.contrib.amp` (GPU only);
* :class:`Parallel` -- the three together, as the CLI uses them (``--kvstore``, ``--amp``),
  plus "only rank 0 writes checkpoints and samples".

Gradient scale. ``Trainer.step(n)`` multiplies the aggregated gradient by
``optimizer.rescale_grad / n``. The steps call it with the batch they saw, which with
``dist_sync`` is the per-worker batch ``b / W``, while the server *sums* the gradients of the
``W`` workers. With ``rescale_grad = 1 / W`` the update uses
``(1 / W) * (1 / (b / W)) * sum_workers sum_examples grad = (1 / b) * sum_examples grad``: the
mean gradient over the global batch, so ``W`` workers with ``b / W`` examples each take exactly
the step of one worker with ``b`` (``tests/test_dist_sync.py`` checks it with SGD, whose update
is proportional to the gradient -- Adam would hide a wrong scale).

Updates run on the workers (``update_on_kvstore=False``): the server only sums gradients, every
worker applies the same optimizer to the same sum, so the replicas stay identical and each
worker holds the optimizer state that checkpoints save.

Batch norm. Every device and every worker normalises with the statistics of *its own* slice
(per-device statistics), as the papers' multi-GPU code without synchronised BN did; the running
averages therefore differ between replicas. A checkpoint holds, in one process, their mean over
the devices (Gluon's ``save_parameters`` averages a parameter's copies), and with ``dist_sync``
rank 0's (its devices' mean). With small per-device batches,
``mxnet.gluon.contrib.nn.SyncBatchNorm`` (one process, several GPUs) computes the statistics
over the whole batch instead; on CPU contexts it hangs in MXNet 1.9.1.
"""
import os
import sys

import mxnet as mx
from mxnet import gluon

from ..device import as_device_list

LOCAL_KVSTORES = ('local', 'device', 'nccl')
DIST_KVSTORES = ('dist_sync', 'dist_device_sync')
KVSTORES = LOCAL_KVSTORES + DIST_KVSTORES
_KEYS_PER_TRAINER = 100_000


def create_kvstore(kind):
    """``mx.kv.create(kind)`` with clear errors for unknown kinds and unlaunched dist runs."""
    if kind not in KVSTORES:
        raise ValueError(f'unknown kvstore {kind!r}: use one of {", ".join(KVSTORES)} '
                         '(dist_async is not supported: its updates are not reproducible)')
    if kind in DIST_KVSTORES and os.environ.get('DMLC_ROLE') != 'worker':
        raise ValueError(
            f'kvstore {kind!r} needs a scheduler and servers: start the workers with '
            f'`python -m d2gan launch -n WORKERS -s SERVERS -- COMMAND` (it sets DMLC_ROLE, '
            'DMLC_PS_ROOT_URI, DMLC_PS_ROOT_PORT, DMLC_NUM_SERVER, DMLC_NUM_WORKER)')
    try:
        kv = mx.kv.create(kind)
    except mx.base.MXNetError as e:     # e.g. nccl on the CPU build: "compile with USE_NCCL=1"
        reason = str(e).strip().splitlines()[-1]
        raise ValueError(f'kvstore {kind!r} is not available in this MXNet build ({reason}); '
                         "on CPUs use 'device' or 'local'") from e
    if kind in DIST_KVSTORES:
        exit_at_once_on_error()
    return kv


def exit_at_once_on_error():
    """Make an uncaught exception end this worker at once (exit code 1, traceback printed).

    A normal Python exit runs MXNet's kvstore finaliser, which waits at a barrier for every
    other worker -- forever, when they are waiting for this one. Exiting with ``os._exit``
    lets the launcher see the failure and stop the job. (``python -m d2gan`` does the same
    for the errors it reports itself.)
    """
    previous = sys.excepthook
    if getattr(previous, '_d2gan_exit_at_once', False):
        return

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    hook._d2gan_exit_at_once = True
    sys.excepthook = hook


class _KeySpace(mx.kv.KVStore):
    """A view of a shared kvstore whose integer keys are shifted by ``offset``.

    ``gluon.Trainer`` numbers its parameters 0, 1, ... and uses those numbers as kvstore keys,
    so the G and D trainers of a GAN would collide on one kvstore ("duplicate init of key 0");
    and a process can hold only one distributed kvstore (a second ``mx.kv.create('dist_sync')``
    hangs). Each trainer gets its own key range of the one store instead.
    """

    def __init__(self, kvstore, offset):
        super().__init__(kvstore.handle)
        self._owner, self._offset = kvstore, offset   # the owner frees the handle

    def __del__(self):
        pass

    def _shift(self, key):
        if isinstance(key, (list, tuple)):
            return [k + self._offset for k in key]
        return key + self._offset

    def init(self, key, value):
        return super().init(self._shift(key), value)

    def push(self, key, value, priority=0):
        return super().push(self._shift(key), value, priority)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        return super().pull(self._shift(key), out, priority, ignore_sparse)

    def pushpull(self, key, value, out=None, priority=0):
        return super().pushpull(self._shift(key), value, out, priority)

    def broadcast(self, key, value, out, priority=0):
        return super().broadcast(self._shift(key), value, out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        return super().row_sparse_pull(self._shift(key), out, priority, row_ids)


def distribute(step, kvstore='device'):
    """Rebuild ``step``'s trainers so that gradients are aggregated through ``kvstore``.

    ``kvstore``: a name from :data:`KVSTORES` or an ``mx.kv.KVStore``. Call it after building
    the step and before training or loading a checkpoint (optimizer states live in the new
    trainers). Same optimizer and hyper-parameters; ``rescale_grad = 1 / num_workers`` (see the
    module docstring). Sets ``step.kvstore``, ``step.rank``, ``step.num_workers`` and
    ``step.rng_offset = rank`` (the loop seeds each worker's noise differently). Returns ``step``.
    """
    kv = create_kvstore(kvstore) if isinstance(kvstore, str) else kvstore
    dist = 'dist' in kv.type
    workers = kv.num_workers if dist else 1
    trainers = {}
    first_key = getattr(kv, '_d2gan_keys_used', 0)   # several steps may share one store
    for index, name in enumerate(sorted(step.trainers)):
        old = step.trainers[name]
        if old._kv_initialized:
            raise RuntimeError(f'trainer {name!r} has already taken a step: call distribute() '
                               'right after building the step, before training')
        optimizer = old.optimizer
        optimizer.rescale_grad = 1.0 / workers
        store = _KeySpace(kv, first_key + index * _KEYS_PER_TRAINER)
        trainers[name] = gluon.Trainer(old._params, optimizer, kvstore=store,
                                       update_on_kvstore=False)
    step.trainers = trainers
    kv._d2gan_keys_used = first_key + len(trainers) * _KEYS_PER_TRAINER
    if dist:
        _broadcast_now(trainers)
    step.kvstore, step.rank, step.num_workers = kv, kv.rank if dist else 0, workers
    step.rng_offset = step.rank
    if getattr(step, 'amp', False):
        _amp_trainers(step)
    return step


def _broadcast_now(trainers):
    """Copy rank 0's weights to every worker *before* the first forward pass.

    Gluon does this lazily in the first ``Trainer.step``, after the first backward pass. With
    ``update_on_kvstore=False`` a server key holds first the initial weight, then the summed
    gradients, and the lazy weight pull can race with the first gradient push (measured: a
    worker once received the gradient sum as its weights). Doing it here and waiting removes
    the race.
    """
    for name, trainer in trainers.items():
        deferred = [p.name for p in trainer._params if p._deferred_init]
        if deferred:
            raise ValueError(f'trainer {name!r}: parameters {deferred[:3]} have no shape yet '
                             '(deferred initialisation); give the layers in_channels/in_units '
                             'or run one forward pass before distribute()')
        trainer._init_kvstore()
        trainer._init_params()
    mx.nd.waitall()


def rank_of(step):
    """``(rank, num_workers)`` of a step (``(0, 1)`` unless :func:`distribute` made it dist)."""
    return getattr(step, 'rank', 0), getattr(step, 'num_workers', 1)


class ShardedBatches:
    """Worker ``rank``'s share of every global batch of ``data``.

    ``data`` has ``batches(epoch, seed)`` and ``__len__`` (e.g. :class:`d2gan.data.ArrayBatches`
    built with the *global* batch size). All workers draw the same seeded batches and worker
    ``r`` keeps rows ``[r * b / W, (r + 1) * b / W)`` of each, so together they see exactly the
    batches of a one-process run, and a resumed run the same ones again.
    """

    def __init__(self, data, rank, num_workers):
        if not 0 <= rank < num_workers:
            raise ValueError(f'rank {rank} is not in 0..{num_workers - 1}')
        self.data, self.rank, self.num_workers = data, rank, num_workers

    def __len__(self):
        return len(self.data)

    def batches(self, epoch=0, seed=0):
        for batch in self.data.batches(epoch, seed=seed):
            yield (tuple(self._slice(x) for x in batch) if isinstance(batch, (tuple, list))
                   else self._slice(batch))

    def __iter__(self):
        return self.batches(0)

    def _slice(self, x):
        n = x.shape[0]
        if n % self.num_workers:
            raise ValueError(f'a global batch of {n} cannot be shared equally by '
                             f'{self.num_workers} workers: use a multiple of {self.num_workers}')
        k = n // self.num_workers
        return x[self.rank * k:(self.rank + 1) * k]


def enable_amp(devices):
    """Turn on float16 mixed precision (``mxnet.contrib.amp``); call before building networks.

    AMP runs convolutions and matrix products in float16 and keeps the weights, the softmax-like
    operators and the optimizer in float32; :func:`distribute` (or :class:`Parallel`) then gives
    every trainer a dynamic loss scale, and ``Step.backward`` scales the losses. MXNet's AMP
    targets GPUs (tensor cores); on CPU it raises, naming the problem.
    """
    devices = list(devices)
    if not devices or any(d.device_type != 'gpu' for d in devices):
        raise ValueError(f'mixed precision (amp) needs GPU devices, got {devices}: MXNet casts '
                         'to float16 on GPUs only (install mxnet-cu112 on a CUDA machine), so '
                         'train in float32 on CPU')
    from mxnet.contrib import amp
    amp.init(target_dtype='float16')


def _amp_trainers(step):
    from mxnet.contrib import amp
    for trainer in step.trainers.values():
        amp.init_trainer(trainer)


class Parallel:
    """The scale-out flags of one run: ``kvstore`` (None = one process, default aggregation)
    and ``amp``; create it before building the step (AMP and the kvstore must come first).

    >>> par = Parallel('dist_sync')                  # inside a worker started by `launch`
    >>> step = par.prepare(d2gan.build_gan('dcgan'))
    >>> data = par.shard(d2gan.ArrayBatches(X, 64))  # 64 = the global batch
    >>> d2gan.train_gan(step, data, 5, callbacks=par.root_only(callbacks),
    ...                 checkpoint=path, write_checkpoint=par.is_root)
    """

    def __init__(self, kvstore=None, amp=False, devices=None):
        self.amp = amp
        if amp:
            enable_amp(as_device_list(devices))
        self.kv = create_kvstore(kvstore) if kvstore else None
        dist = self.kv is not None and 'dist' in self.kv.type
        self.rank = self.kv.rank if dist else 0
        self.num_workers = self.kv.num_workers if dist else 1

    @property
    def is_root(self):
        return self.rank == 0

    def prepare(self, step):
        """Give ``step`` the kvstore and the AMP loss scale; returns it."""
        if self.amp and getattr(step, 'penalty', None) is not None:
            raise ValueError('amp cannot train with a gradient penalty: the penalty adds its '
                             'gradients outside the loss scale; train this model in float32')
        step.amp = self.amp
        if self.kv is not None:
            return distribute(step, self.kv)
        if self.amp:
            _amp_trainers(step)
        return step

    def shard(self, data):
        return data if self.num_workers == 1 else ShardedBatches(data, self.rank,
                                                                 self.num_workers)

    def root_only(self, callbacks):
        """``callbacks`` on rank 0, none elsewhere (one progress line, one set of samples)."""
        return list(callbacks) if self.is_root else []


__all__ = ['KVSTORES', 'create_kvstore', 'distribute', 'rank_of', 'ShardedBatches',
           'enable_amp', 'Parallel']
