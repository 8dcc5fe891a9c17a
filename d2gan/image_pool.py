"""A history of generated images for the discriminator (Shrivastava et al., 2017).

Pix2Pix and CycleGAN can update D on a mix of the newest fakes and fakes from earlier
generators, so that D does not forget what G used to produce and G cannot win by oscillating
between modes D has just stopped penalising. Behaviour of the reference
``util/image_pool.py`` (junyanz/pytorch-CycleGAN-and-pix2pix), with a seeded NumPy generator
instead of Python's global ``random`` and a checkpointable state.
"""
import json

import numpy as np
import mxnet as mx


class ImagePool:
    """Buffer of up to ``pool_size`` images; ``query(batch)`` returns a batch of the same shape.

    * ``pool_size == 0``: disabled, ``query`` returns its input unchanged;
    * while the pool is filling, every image is stored and returned as it is;
    * once full, each image is, with probability 1/2, swapped for a uniformly chosen stored
      image (the stored one is returned, the new one takes its place), else returned as is.

    Parameters
    ----------
    pool_size : int
        Capacity (50 in CycleGAN; the pix2pix reference defaults to 0).
    seed : int
        Seed of the pool's own ``numpy.random.Generator``; with :meth:`state_dict` /
        :meth:`load_state_dict` a resumed run makes exactly the choices of an uninterrupted one.
    """

    def __init__(self, pool_size=50, seed=0):
        if pool_size < 0:
            raise ValueError(f'pool_size must be >= 0, got {pool_size}')
        self.pool_size = int(pool_size)
        self.rng = np.random.default_rng(seed)
        self.images = []  # NDArrays of shape (1, C, H, W)

    def __len__(self):
        return len(self.images)

    def query(self, images):
        """Images to show D instead of ``images`` (an NDArray ``(N, C, H, W)``, not recorded)."""
        if self.pool_size == 0:
            return images
        images = images.detach()
        out = []
        for i in range(images.shape[0]):
            image = images[i:i + 1].copy()
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif self.rng.random() > 0.5:
                j = int(self.rng.integers(self.pool_size))
                out.append(self.images[j].as_in_context(images.context))
                self.images[j] = image
            else:
                out.append(image)
        return mx.nd.concat(*out, dim=0)

    def state_dict(self):
        """``{'pool_size', 'images', 'rng'}`` as NumPy arrays (``rng``: JSON generator state)."""
        images = (np.concatenate([x.asnumpy() for x in self.images]) if self.images
                  else np.zeros((0,), np.float32))
        return {'pool_size': np.array(self.pool_size), 'images': images,
                'rng': np.array(json.dumps(self.rng.bit_generator.state))}

    def load_state_dict(self, state, ctx=None):
        """Restore contents and RNG state written by :meth:`state_dict` (onto ``ctx``)."""
        size = int(state['pool_size'])
        if size != self.pool_size:
            raise ValueError(f'the saved pool holds up to {size} images but this pool was built '
                             f'with pool_size={self.pool_size}')
        images = np.asarray(state['images'])
        if len(images) > self.pool_size:
            raise ValueError(f'saved pool has {len(images)} images, more than pool_size '
                             f'{self.pool_size}')
        ctx = ctx or mx.cpu()
        self.images = [mx.nd.array(images[i:i + 1], ctx=ctx) for i in range(len(images))]
        self.rng.bit_generator.state = json.loads(str(state['rng']))
        return self
