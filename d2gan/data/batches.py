"""Reproducible mini-batches from an in-memory array."""
import numpy as np
import mxnet as mx


class ArrayBatches:
    """Shuffled mini-batches of an array (or a tuple of aligned arrays, e.g. images and labels).

    The order of epoch ``e`` depends only on ``(seed, e)``, so a run resumed from a checkpoint
    sees exactly the batches an uninterrupted run would. Incomplete last batches are dropped by
    default (batch norm and the fixed-size GAN steps want full batches).
    """

    def __init__(self, arrays, batch_size, shuffle=True, drop_last=True, ctx=None):
        self.single = not isinstance(arrays, (tuple, list))
        self.arrays = [np.asarray(a) for a in ([arrays] if self.single else arrays)]
        n = len(self.arrays[0])
        if any(len(a) != n for a in self.arrays):
            raise ValueError('all arrays must have the same length')
        if batch_size <= 0:
            raise ValueError(f'batch_size must be positive, got {batch_size}')
        if drop_last and n < batch_size:
            raise ValueError(f'dataset of {n} examples is smaller than one batch ({batch_size})')
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.ctx = ctx or mx.cpu()

    def __len__(self):
        n = len(self.arrays[0])
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def batches(self, epoch=0, seed=0):
        n = len(self.arrays[0])
        order = (np.random.default_rng([seed, epoch]).permutation(n) if self.shuffle
                 else np.arange(n))
        for i in range(len(self)):
            index = np.sort(order[i * self.batch_size:(i + 1) * self.batch_size])
            parts = [mx.nd.array(a[index], ctx=self.ctx, dtype=a.dtype) for a in self.arrays]
            yield parts[0] if self.single else tuple(parts)

    def __iter__(self):
        return self.batches(0)
