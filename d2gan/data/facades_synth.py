"""Synthetic facades: label maps and the photos rendered from them, in the pix2pix on-disk format.

No paired image-translation dataset ships inside a package, so this module *generates* one with a
known ground truth, the same way every time (seeded), and writes it exactly like the real CMP
facades of pix2pix: ``<root>/{train,val,test}/NNNN.jpg``, each JPEG the photo (A, left) and the
colour-coded label map (B, right) side by side; labels -> photo is ``direction='BtoA'``, as for
the real facades. The class-index maps are also written losslessly to
``<root>/labels/<split>/NNNN.png`` (for semantic image synthesis, e.g. SPADE).

A facade is a random layout -- sky above the building, floors separated by cornices, a grid of
windows with sills, balconies, a door on the ground floor -- and the photo paints every class
with a texture cut from a real photograph shipped by scikit-image (``brick`` for walls,
``gravel`` for stone, ``grass`` stretched into wood grain, ``coffee``/``astronaut``/``rocket``
reflections in the glass), plus what the label map only implies: window frames and mullions,
railings, door panels, shadows under ledges, a sky gradient and a lighting gradient. The wall
tint and the textures' offsets vary per image, so labels -> photo is not a deterministic
function: like the real task, only the structure is fully given.
"""
import json
import os

import cv2
import numpy as np

from .download import generated_is_current, write_manifest

CLASSES = ('background', 'wall', 'window', 'door', 'cornice', 'sill', 'balcony')
#: RGB colour of each class in the label image (a "jet"-like ramp, as in CMP facades)
PALETTE = np.array([(0, 0, 140), (0, 40, 255), (0, 190, 255), (120, 255, 120),
                    (255, 200, 0), (255, 90, 0), (190, 0, 0)], np.uint8)
BACKGROUND, WALL, WINDOW, DOOR, CORNICE, SILL, BALCONY = range(len(CLASSES))

DEFAULT_SPLITS = {'train': 400, 'val': 100, 'test': 100}
#: quality 95 without chroma subsampling, so label colours keep their sharp edges
JPEG_PARAMS = [cv2.IMWRITE_JPEG_QUALITY, 95] + (
    [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]
    if hasattr(cv2, 'IMWRITE_JPEG_SAMPLING_FACTOR_444') else [])
#: bump when the renderer changes, so cached copies on disk are regenerated
GENERATOR_VERSION = 2


def colorize(label):
    """Class indices ``(H, W)`` -> RGB label image ``(H, W, 3)`` with :data:`PALETTE`."""
    return PALETTE[np.asarray(label)]


def _textures():
    import skimage.data as d
    gray = {name: getattr(d, name)().astype(np.float32) / 255 for name in ('brick', 'gravel',
                                                                            'grass')}
    photos = [getattr(d, name)().astype(np.float32) / 255 for name in ('coffee', 'astronaut',
                                                                        'rocket')]
    return gray, photos


def _crop(texture, h, w, rng, scale=1.0):
    """A random ``h x w`` window of ``texture`` (resized by ``scale`` first)."""
    if scale != 1.0:
        texture = cv2.resize(texture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    th, tw = texture.shape[:2]
    if th < h or tw < w:
        texture = cv2.resize(texture, (max(w, tw), max(h, th)), interpolation=cv2.INTER_LINEAR)
        th, tw = texture.shape[:2]
    y, x = rng.integers(0, th - h + 1), rng.integers(0, tw - w + 1)
    return texture[y:y + h, x:x + w]


def _layout(rng, size):
    """A random facade label map ``(size, size)`` of class indices (uint8)."""
    s = size
    label = np.full((s, s), WALL, np.uint8)
    top = int(rng.integers(0, int(0.22 * s)))
    left = int(rng.integers(0, int(0.12 * s))) if rng.random() < 0.3 else 0
    right = s - (int(rng.integers(0, int(0.12 * s))) if rng.random() < 0.3 else 0)
    floors = int(rng.integers(3, 6))
    cols = int(rng.integers(2, 6))
    heights = np.array([1.0] * (floors - 1) + [1.35])
    bounds = top + np.round(np.concatenate([[0], np.cumsum(heights)]) / heights.sum()
                            * (s - top)).astype(int)
    col_w = (right - left) / cols
    win_w = int(col_w * rng.uniform(0.38, 0.62))
    win_frac, win_off = rng.uniform(0.42, 0.62), rng.uniform(0.2, 0.32)
    ledge = max(2, int(s * rng.uniform(0.012, 0.028)))
    has_cornice, has_sills = rng.random() < 0.8, rng.random() < 0.7
    door_col = int(rng.integers(cols))
    for f in range(floors):
        y0, y1 = bounds[f], bounds[f + 1]
        fh = y1 - y0
        ground = f == floors - 1
        balcony = not ground and f > 0 and rng.random() < 0.35
        for c in range(cols):
            cx = int(left + (c + 0.5) * col_w)
            if ground and c == door_col:
                dw = int(win_w * rng.uniform(1.0, 1.25)) // 2
                label[y0 + int(0.22 * fh):y1, cx - dw:cx + dw] = DOOR
                continue
            wy0 = y0 + int(win_off * fh) + (ledge if has_cornice else 0)
            wy1 = min(y1 - ledge, wy0 + int(win_frac * fh * (1.1 if ground else 1.0)))
            label[wy0:wy1, cx - win_w // 2:cx + win_w // 2] = WINDOW
            if has_sills and not balcony:
                pad = max(1, win_w // 10)
                label[wy1:wy1 + max(2, ledge // 2 + 1),
                      cx - win_w // 2 - pad:cx + win_w // 2 + pad] = SILL
            if balcony:
                pad = max(2, win_w // 6)
                by0 = wy0 + int(0.55 * (wy1 - wy0))
                label[by0:wy1 + 2, cx - win_w // 2 - pad:cx + win_w // 2 + pad] = BALCONY
        if has_cornice and f > 0:
            label[y0:y0 + ledge, left:right] = CORNICE
    label[:top] = BACKGROUND
    label[:, :left] = BACKGROUND
    label[:, right:] = BACKGROUND
    return label


def _shift_down(mask, k):
    out = np.zeros_like(mask)
    out[k:] = mask[:-k]
    return out


def _render(label, rng, textures):
    """The photo ``(H, W, 3)`` uint8 of a label map."""
    gray, photos = textures
    s = label.shape[0]
    scale = s / 256
    img = np.zeros((s, s, 3), np.float32)

    def mask(k):
        return label == k

    # sky: vertical gradient with soft clouds
    t = np.linspace(0, 1, s, dtype=np.float32)[:, None, None]
    sky = (1 - t) * np.array([0.42, 0.62, 0.88]) + t * np.array([0.78, 0.86, 0.95])
    clouds = cv2.GaussianBlur(rng.random((s, s)).astype(np.float32), (0, 0), 6 * scale + 1)
    sky = sky + 0.6 * (clouds[..., None] - 0.5) * np.array([1, 1, 0.8])
    img[mask(BACKGROUND)] = np.broadcast_to(sky, (s, s, 3))[mask(BACKGROUND)]

    # wall: brick, tinted with a colour of this building
    tint = np.array([rng.uniform(0.65, 1.0), rng.uniform(0.45, 0.8), rng.uniform(0.3, 0.65)])
    brick = _crop(gray['brick'], s, s, rng, 0.5 * scale + 0.25)
    wall = (0.55 + 0.6 * (brick[..., None] - brick.mean())) * tint * 1.15
    img[mask(WALL)] = wall[mask(WALL)]

    # stone ledges (cornices, sills) and the shadow they cast on the wall below
    stone = _crop(gray['gravel'], s, s, rng, 0.4 * scale + 0.2)
    stone = (0.8 + 0.35 * (stone[..., None] - stone.mean())) * np.array([0.93, 0.9, 0.82])
    ledges = mask(CORNICE) | mask(SILL)
    img[ledges] = stone[ledges]
    k = max(1, int(3 * scale))
    shadow = (_shift_down(ledges, k) | _shift_down(ledges, 2 * k)) & mask(WALL)
    img[shadow] *= 0.62

    # windows: dark glass reflecting a photo, a light frame and a mullion cross
    photo = photos[int(rng.integers(len(photos)))]
    reflection = _crop(photo, s, s, rng, max(0.5, scale))
    glass = 0.15 + 0.35 * reflection * np.array([0.7, 0.8, 1.0])
    windows = mask(WINDOW)
    img[windows] = glass[windows]
    frame_w = max(1, int(2 * scale))
    eroded = cv2.erode(windows.astype(np.uint8), np.ones((2 * frame_w + 1,) * 2, np.uint8))
    frame = windows & ~eroded.astype(bool)
    n, comp, stats, cent = cv2.connectedComponentsWithStats(windows.astype(np.uint8), 4)
    cross = np.zeros_like(windows)
    for i in range(1, n):
        cx, cy = int(cent[i][0]), int(cent[i][1])
        x, y, w, h = stats[i][:4]
        cross[y:y + h, cx - frame_w // 2:cx - frame_w // 2 + frame_w] = True
        cross[y + h // 3:y + h // 3 + frame_w, x:x + w] = True
    frame |= cross & windows
    img[frame] = np.array([0.92, 0.92, 0.88])

    # door: wood grain with panel lines
    grass = _crop(gray['grass'], s, s // 4 + 1, rng)
    wood = cv2.resize(grass, (s, s), interpolation=cv2.INTER_LINEAR)
    wood = (0.35 + 0.25 * wood[..., None]) * np.array([0.75, 0.45, 0.25])
    door = mask(DOOR)
    img[door] = wood[door]
    ys, xs = np.nonzero(door)
    if len(xs):
        cx = (xs.min() + xs.max()) // 2
        img[ys.min():ys.max() + 1, cx:cx + max(1, int(scale))][
            door[ys.min():ys.max() + 1, cx:cx + max(1, int(scale))]] *= 0.5

    # balconies: shadowed wall behind a dark iron railing
    balcony = mask(BALCONY)
    img[balcony] = 0.45 * wall[balcony]
    bars = np.zeros_like(balcony)
    step = max(3, int(6 * scale))
    bars[:, ::step] = True
    n, comp, stats, _ = cv2.connectedComponentsWithStats(balcony.astype(np.uint8), 4)
    for i in range(1, n):
        x, y, w, h = stats[i][:4]
        bars[y:y + max(2, int(2 * scale)), x:x + w] = True
    img[balcony & bars] = np.array([0.12, 0.12, 0.14])

    # light from one side and sensor noise
    light = np.linspace(*sorted([rng.uniform(0.8, 1.0), rng.uniform(1.0, 1.15)],
                                reverse=rng.random() < 0.5), s, dtype=np.float32)
    img *= light[None, :, None]
    img += rng.normal(0, 0.015, img.shape).astype(np.float32)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def render_facade(seed, size=256, textures=None):
    """One synthetic facade from ``seed``: ``(label (H, W) uint8, photo (H, W, 3) uint8 RGB)``."""
    rng = np.random.default_rng(seed)
    label = _layout(rng, size)
    return label, _render(label, rng, textures or _textures())


def _manifest(splits, size, seed):
    return dict(generator='d2gan.data.facades_synth', version=GENERATOR_VERSION,
                splits=dict(splits), size=size, seed=seed, classes=list(CLASSES),
                palette=PALETTE.tolist(), layout='A = photo (left) | B = label colours (right); '
                'labels -> photo is direction BtoA')


def make_synthetic_facades(root, splits=None, size=256, seed=0, overwrite=False, verbose=False):
    """Write the synthetic facades to ``root`` (unless an identical copy is already there).

    Image ``i`` of split ``k`` (in train, val, test order) comes from seed
    ``[seed, k, i]``, so the files are the same on every machine. Returns ``root``.

    Parameters
    ----------
    root : str
        Output folder (``<root>/train/0000.jpg``, ``<root>/labels/train/0000.png``, ...).
    splits : dict, optional
        Images per split; default ``{'train': 400, 'val': 100, 'test': 100}`` (facades has
        400 / 100 / 106).
    size : int
        Side of each half: photos and labels are ``size x size``, the JPEG ``size x 2 size``.
    """
    splits = dict(DEFAULT_SPLITS if splits is None else splits)
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    manifest = _manifest(splits, size, seed)
    if generated_is_current(root, manifest, overwrite):
        return root
    print(f'drawing {sum(splits.values())} synthetic facades ({size}x{size}) into {root} '
          '(once; later runs reuse them)', flush=True)
    textures = _textures()
    for k, split in enumerate(('train', 'val', 'test')):
        if split not in splits:
            continue
        for folder in (os.path.join(root, split), os.path.join(root, 'labels', split)):
            os.makedirs(folder, exist_ok=True)
            for name in os.listdir(folder):
                if name.endswith(('.jpg', '.png')):
                    os.remove(os.path.join(folder, name))
        for i in range(splits[split]):
            label, photo = render_facade([seed, k, i], size, textures)
            pair = np.concatenate([photo, colorize(label)], axis=1)
            cv2.imwrite(os.path.join(root, split, f'{i:04d}.jpg'),
                        cv2.cvtColor(pair, cv2.COLOR_RGB2BGR), JPEG_PARAMS)
            cv2.imwrite(os.path.join(root, 'labels', split, f'{i:04d}.png'), label)
        if verbose:
            print(f'wrote {splits[split]} {split} facades to {os.path.join(root, split)}')
    with open(os.path.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(f'{i}\t{name}\t{tuple(int(v) for v in PALETTE[i])}'
                          for i, name in enumerate(CLASSES)) + '\n')
    write_manifest(root, manifest)
    return root


def nearest_class(label_rgb):
    """Label colours ``(H, W, 3)`` (e.g. decoded from JPEG) -> class indices by nearest colour."""
    d = ((np.asarray(label_rgb, np.int32)[..., None, :] - PALETTE.astype(np.int32)) ** 2).sum(-1)
    return d.argmin(-1).astype(np.uint8)


def read_label_map(root, split, index):
    """The class-index map ``(H, W)`` uint8 of image ``index`` of ``split``."""
    path = os.path.join(root, 'labels', split, f'{index:04d}.png')
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if label is None:
        raise FileNotFoundError(f'no label map at {path}; build the dataset with '
                                'make_synthetic_facades(root)')
    return label


#: classes that are countable objects ("things"): each connected region is its own instance
THING_CLASSES = (WINDOW, DOOR, SILL, BALCONY)
SEMANTIC_VERSION = 1


def instance_map(label):
    """Cityscapes-style instance ids of a label map: ``class * 1000 + k`` for the k-th connected
    region of a "thing" class (:data:`THING_CLASSES`), the class id for "stuff" (uint16)."""
    out = np.asarray(label, np.uint16).copy()
    for c in THING_CLASSES:
        n, comp = cv2.connectedComponents((label == c).astype(np.uint8), connectivity=4)
        for k in range(1, n):
            out[comp == k] = c * 1000 + k - 1
    return out


def write_semantic_lists(root):
    """Add the Cityscapes-style view of the synthetic facades to ``root``; ``{split: list}``.

    For every split: ``<root>/photos/<split>/NNNN.png`` (the photo half of the A|B JPEG,
    decoded exactly as the pix2pix loader decodes it, stored losslessly, so both chapters
    train on the same pixels), ``<root>/instances/<split>/NNNN.png`` (:func:`instance_map`,
    16-bit) and ``<root>/<split>_list.txt`` with lines ``label \\t image \\t instance``. Skipped
    when ``<root>/semantic.json`` says it was done for the current facades.
    """
    root = os.path.abspath(os.fspath(root))
    with open(os.path.join(root, 'manifest.json')) as f:
        facades = json.load(f)
    record = dict(version=SEMANTIC_VERSION, facades=facades)
    lists = {split: os.path.join(root, f'{split}_list.txt') for split in facades['splits']}
    marker = os.path.join(root, 'semantic.json')
    if os.path.isfile(marker):
        with open(marker) as f:
            if json.load(f) == record:
                return lists
        os.remove(marker)
    for split in facades['splits']:
        lines = []
        for folder in ('photos', 'instances'):
            os.makedirs(os.path.join(root, folder, split), exist_ok=True)
        for i in range(facades['splits'][split]):
            name = f'{i:04d}'
            pair = cv2.imread(os.path.join(root, split, name + '.jpg'), cv2.IMREAD_COLOR)
            photo = pair[:, :pair.shape[1] // 2]
            cv2.imwrite(os.path.join(root, 'photos', split, name + '.png'), photo)
            label = read_label_map(root, split, i)
            cv2.imwrite(os.path.join(root, 'instances', split, name + '.png'), instance_map(label))
            lines.append(f'labels/{split}/{name}.png\tphotos/{split}/{name}.png\t'
                         f'instances/{split}/{name}.png')
        with open(lists[split], 'w') as f:
            f.write('\n'.join(lines) + '\n')
    with open(marker, 'w') as f:
        json.dump(record, f, indent=1)
    return lists
