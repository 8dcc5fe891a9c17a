"""A street scene drawn in Cityscapes' label ids, to run a released Cityscapes model on.

Why: SPADE's released Cityscapes generator turns Cityscapes label maps into photos, but the
dataset needs a login to download. A map with the scene's main classes in their usual places
-- sky above, buildings along both sides, trees, sidewalks, a road narrowing to the horizon
with cars on it -- is enough to see what the model does with a layout.

The method: plain geometry on a ``height x width`` grid. Label ids are Cityscapes'
``labelIds`` (:data:`ROAD` 7, :data:`SIDEWALK` 8, :data:`BUILDING` 11, :data:`POLE` 17,
:data:`VEGETATION` 21, :data:`SKY` 23, :data:`CAR` 26; all below
:data:`d2gan.data.cityscapes.CITYSCAPES_CLASSES`); the instance map writes ``26000 + k`` for
the ``k``-th car, as Cityscapes' ``instanceIds`` do, and the class id elsewhere, so the
instance-edge channel separates overlapping cars.
"""
import numpy as np

ROAD, SIDEWALK, BUILDING, POLE, VEGETATION, SKY, CAR = 7, 8, 11, 17, 21, 23, 26


def street_scene(height=256, width=512, num_cars=4, seed=0):
    """``(labels, instances)``, int32 ``(height, width)`` maps of one street (see above)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
    horizon = int(0.45 * height)
    labels = np.full((height, width), SKY, np.int32)
    x = 0
    while x < width:                                   # a row of houses with uneven roofs
        block = int(rng.integers(width // 10, width // 5))
        top = int(rng.uniform(0.05, 0.3) * height)
        labels[top:horizon, x:x + block] = BUILDING
        x += block
    depth = np.clip((rows - horizon) / (height - horizon), 0, 1)      # 0 at the horizon
    half_road = width * (0.04 + 0.5 * depth)
    half_walk = half_road + width * (0.01 + 0.2 * depth)
    ground, off_centre = rows >= horizon, np.abs(cols - width / 2)
    labels[ground & (off_centre >= half_walk)] = BUILDING     # the houses reach the ground
    labels[ground & (off_centre < half_walk)] = SIDEWALK
    labels[ground & (off_centre < half_road)] = ROAD
    for side in (-1, 1):                               # trees and poles along the kerb
        for t in (0.2, 0.4, 0.65):
            y = int(horizon + t * (height - horizon))
            x = int(width / 2 + side * width * (0.045 + 0.6 * t))   # on the sidewalk
            if not 1 <= x < width - 2:
                continue
            radius = 0.05 * height * (0.5 + t)
            crown = ((rows - (y - 3 * radius)) ** 2 + ((cols - x) * 0.7) ** 2) < radius ** 2
            labels[crown] = VEGETATION
            labels[max(y - int(3 * radius), 0):y, x - 1:x + 2] = POLE
    instances = labels.copy()
    for k, t in enumerate(np.sort(rng.uniform(0.2, 0.9, num_cars))):   # far to near:
        # nearer cars are lower and larger, and drawn over the farther ones
        bottom = int(horizon + t * (height - horizon))
        size = width * 0.1 * (0.3 + t)
        lane = rng.choice([-0.5, 0.5]) * width * (0.04 + 0.5 * t)
        left, right = int(width / 2 + lane - size / 2), int(width / 2 + lane + size / 2)
        top = int(bottom - 0.55 * size)
        area = (slice(max(top, 0), bottom), slice(max(left, 0), min(right, width)))
        labels[area] = CAR
        instances[area] = CAR * 1000 + k
    return labels, instances


__all__ = ['street_scene', 'ROAD', 'SIDEWALK', 'BUILDING', 'POLE', 'VEGETATION', 'SKY', 'CAR']
