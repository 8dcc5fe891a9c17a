"""ImagePool: disabled at size 0, fills first, then swaps each image with probability 1/2."""
import numpy as np
import mxnet as mx
import pytest

from d2gan.image_pool import ImagePool


def batch(start, n=4, shape=(2, 3, 3)):
    """Images whose every pixel holds their id, so returned images can be identified."""
    ids = np.arange(start, start + n, dtype=np.float32)
    return mx.nd.array(np.broadcast_to(ids[:, None, None, None], (n,) + shape).copy())


def ids(images):
    return images.asnumpy()[:, 0, 0, 0].astype(int).tolist()


def test_size_zero_returns_the_input_itself():
    pool = ImagePool(0)
    x = batch(0)
    assert pool.query(x) is x
    assert len(pool) == 0


def test_filling_returns_inputs_and_stores_them():
    pool = ImagePool(6, seed=1)
    assert ids(pool.query(batch(0))) == [0, 1, 2, 3]
    assert len(pool) == 4
    # two slots left: the first two images fill them; the rest are already "full" draws
    out = ids(pool.query(batch(4, n=2)))
    assert out == [4, 5] and len(pool) == 6
    assert sorted(ids(mx.nd.concat(*pool.images, dim=0))) == [0, 1, 2, 3, 4, 5]


def test_stored_images_are_copies():
    pool = ImagePool(2)
    x = batch(0, n=2)
    pool.query(x)
    x[:] = 99
    assert ids(mx.nd.concat(*pool.images, dim=0)) == [0, 1]


def test_full_pool_swaps_about_half_with_stored_images():
    pool = ImagePool(50, seed=0)
    pool.query(batch(0, n=50))
    swapped, n = 0, 2000
    for k in range(n):  # one image per query, so every draw can be checked on its own
        new = 1000 + k
        before = ids(mx.nd.concat(*pool.images, dim=0))
        (got,) = ids(pool.query(batch(new, n=1)))
        after = ids(mx.nd.concat(*pool.images, dim=0))
        if got == new:                     # kept: the pool is unchanged
            assert after == before
        else:                              # swapped: a stored image comes back and
            swapped += 1                   # the new one takes exactly its place
            assert got in before
            slot = before.index(got)
            assert after[slot] == new and after[:slot] + after[slot + 1:] == \
                before[:slot] + before[slot + 1:]
    assert len(pool) == 50
    # Binomial(2000, 1/2): mean 1000, sd 22.4; 5 sd either side
    assert 888 < swapped < 1112


def test_batches_are_handled_image_by_image():
    pool = ImagePool(4, seed=2)
    pool.query(batch(0))
    out = pool.query(batch(10, n=64))
    assert out.shape == (64, 2, 3, 3)
    assert set(ids(out)) <= set(range(4)) | set(range(10, 74))


def test_same_seed_same_choices_and_state_dict_resumes_exactly():
    def run(pool, starts):
        return [ids(pool.query(batch(s))) for s in starts]

    a, b = ImagePool(8, seed=3), ImagePool(8, seed=3)
    assert run(a, range(0, 80, 4)) == run(b, range(0, 80, 4))

    full = ImagePool(8, seed=5)
    run(full, range(0, 40, 4))
    state = {k: v.copy() for k, v in full.state_dict().items()}
    expected = run(full, range(100, 160, 4))
    resumed = ImagePool(8, seed=12345).load_state_dict(state)
    assert run(resumed, range(100, 160, 4)) == expected


def test_state_dict_of_empty_pool_and_mismatched_size():
    empty = ImagePool(4).state_dict()
    assert len(ImagePool(4).load_state_dict(empty)) == 0
    with pytest.raises(ValueError, match='pool_size=3'):
        ImagePool(3).load_state_dict(ImagePool(4).state_dict())
    with pytest.raises(ValueError, match='pool_size must be >= 0'):
        ImagePool(-1)
