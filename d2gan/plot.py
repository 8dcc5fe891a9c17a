"""Showing and saving images, and ``Animator``: live loss curves plus a sample grid.

Figure text is English so that no CJK font is needed.
"""
import os

import numpy as np


def to_numpy_images(images):
    """NCHW (or NHW) images in [-1, 1] (NDArray or numpy) -> NHWC float array in [0, 1]."""
    x = images.asnumpy() if hasattr(images, 'asnumpy') else np.asarray(images)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise ValueError(f'expected images of shape (N, C, H, W), got {x.shape}')
    x = np.clip((x.astype('float32') + 1) / 2, 0, 1)
    return x.transpose(0, 2, 3, 1)


def make_grid(images, nrow=8, padding=2, pad_value=1.0):
    """Tile N images (NCHW in [-1, 1]) into one ``(H, W, C)`` float array in [0, 1], row-major."""
    x = to_numpy_images(images)
    n, h, w, c = x.shape
    ncol = min(nrow, n)
    nrows = (n + ncol - 1) // ncol
    grid = np.full((nrows * (h + padding) + padding, ncol * (w + padding) + padding, c),
                   pad_value, dtype='float32')
    for i in range(n):
        r, k = divmod(i, ncol)
        top, left = padding + r * (h + padding), padding + k * (w + padding)
        grid[top:top + h, left:left + w] = x[i]
    return grid


def save_grid(images, path, nrow=8):
    """Write a grid of images (NCHW in [-1, 1]) to ``path`` (PNG), creating its directory."""
    import matplotlib.image
    grid = make_grid(images, nrow=nrow)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if grid.shape[2] == 1:
        grid = np.repeat(grid, 3, axis=2)
    matplotlib.image.imsave(path, grid)
    return path


def show_images(images, nrow=8, title=None, ax=None, figsize=(5, 5)):
    """Show a grid of images (NCHW in [-1, 1]) on ``ax`` (a new figure if None)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    grid = make_grid(images, nrow=nrow)
    ax.imshow(grid[..., 0] if grid.shape[2] == 1 else grid, cmap='gray', vmin=0, vmax=1)
    ax.axis('off')
    if title:
        ax.set_title(title)
    return ax


def heatmap_overlay(images, heatmaps, alpha=0.5):
    """Attention maps over their images, as NCHW in [-1, 1] (for :func:`show_images`).

    Each heatmap ``(N, 1, h, w)`` (any scale, e.g. U-GAT-IT's CAM ``heatmap``) is stretched to
    [0, 1] per image, as the reference's ``cam()`` does, resized to the image (nearest), coloured
    with the ``jet`` map (red = most attention) and blended: ``alpha * colour + (1 - alpha) *
    image``."""
    import matplotlib
    x = to_numpy_images(images)                                   # (N, H, W, C) in [0, 1]
    h = heatmaps.asnumpy() if hasattr(heatmaps, 'asnumpy') else np.asarray(heatmaps)
    if h.ndim != 4 or h.shape[1] != 1 or h.shape[0] != x.shape[0]:
        raise ValueError(f'expected heatmaps of shape ({x.shape[0]}, 1, h, w), got {h.shape}')
    n, H, W, _ = x.shape
    h = h[:, 0].astype(np.float64)
    low = h.reshape(n, -1).min(axis=1)[:, None, None]
    span = h.reshape(n, -1).max(axis=1)[:, None, None] - low
    h = (h - low) / np.where(span > 0, span, 1)
    rows = (np.arange(H) * h.shape[1] // H)[:, None]
    cols = (np.arange(W) * h.shape[2] // W)[None, :]
    colour = matplotlib.colormaps['jet'](h[:, rows, cols])[..., :3]        # (N, H, W, 3)
    if x.shape[3] == 1:
        x = np.repeat(x, 3, axis=3)
    out = alpha * colour + (1 - alpha) * x
    return (out.transpose(0, 3, 1, 2) * 2 - 1).astype(np.float32)


def in_notebook():
    """True inside a Jupyter kernel (where figures can be redrawn in place)."""
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        return False
    return shell is not None and shell.__class__.__name__ == 'ZMQInteractiveShell'


class Animator:
    """Live training figure: loss curves (left) and, optionally, a sample grid (right).

    ``add(x, {'loss_D': 0.7, ...}, images=None)`` appends points and redraws the figure in place
    (in a notebook); ``show()`` draws the final state once (for the rendered book, where only the
    last figure is kept).
    """

    def __init__(self, xlabel='epoch', ylabel='loss', with_images=True, nrow=8,
                 figsize=(10, 4), live=None):
        self.xlabel, self.ylabel, self.nrow = xlabel, ylabel, nrow
        self.with_images, self.figsize = with_images, figsize
        self.live = in_notebook() if live is None else live
        self.xs, self.series, self.images = [], {}, None
        self._display = None

    def add(self, x, values, images=None):
        self.xs.append(x)
        for key, value in values.items():
            self.series.setdefault(key, []).append(float(value))
        if images is not None:
            self.images = images
        if self.live:
            self._redraw()

    def figure(self):
        import matplotlib.pyplot as plt
        ncols = 2 if self.with_images and self.images is not None else 1
        fig, axes = plt.subplots(1, ncols, figsize=self.figsize if ncols == 2 else
                                 (self.figsize[0] / 2, self.figsize[1]), squeeze=False)
        ax = axes[0, 0]
        for key, ys in self.series.items():
            ax.plot(self.xs[-len(ys):], ys, label=key)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        if self.series:
            ax.legend()
        ax.grid(True, alpha=0.3)
        if ncols == 2:
            show_images(self.images, nrow=self.nrow, ax=axes[0, 1],
                        title=f'samples @ {self.xlabel} {self.xs[-1] if self.xs else 0}')
        fig.tight_layout()
        return fig

    def _redraw(self):
        import matplotlib.pyplot as plt
        from IPython import display
        fig = self.figure()
        if self._display is None:
            self._display = display.display(fig, display_id=True)
        else:
            self._display.update(fig)
        plt.close(fig)

    def show(self):
        """Draw the current state once (a no-op while live: it is already on screen)."""
        if not self.live:
            import matplotlib.pyplot as plt
            fig = self.figure()
            plt.show()
            return fig
        return None
