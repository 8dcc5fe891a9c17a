"""Draw the book's architecture diagrams as SVG files in ``img/``.

Why a script: a diagram that is generated can be corrected like code -- change a layer width
here, rerun, and the figure in every page that shows it follows. The SVGs are committed, so
building the book never needs this script; run it after editing a figure:

    python scripts/draw_figures.py            # all figures
    python scripts/draw_figures.py gan_game   # one figure

Each figure is one function ``fig_<name>()`` that returns an :class:`Svg`; the file is
``img/<name>.svg``. The drawing vocabulary is deliberately small (boxes, arrows, labels) and the
SVG is written by hand, without matplotlib, so the files stay small, diff-able and crisp at
any zoom. Text uses the Noto Sans CJK fonts with generic fallbacks; labels are Chinese or
symbols. ``_`` in a label starts a subscript: ``D_Y`` or ``D_{src}``; ``^`` a superscript.

The layer shapes are those of the library: ``d2gan/models/dcgan.py`` at 32x32 with
``ngf = ndf = 32`` (the DCGAN chapter's setting), ``d2gan/models/pix2pix.py`` (``unet_256``,
the 70x70 PatchGAN), ``d2gan/models/stgan.py`` (STU on the skip connections).
"""
import os
import re
import sys
from xml.sax.saxutils import escape

IMG = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'img')
FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"

# A small palette, shared by all figures: generator parts orange, discriminator parts blue,
# data green, losses red, everything else grey.
GEN, DIS, DATA, LOSS, GREY, INK = '#fde9d9', '#dde8f5', '#e2f0d9', '#f8d7da', '#f3f3f3', '#333333'
RED, BLUE = '#c0392b', '#2c5d8f'
# The book's text column is about 700 px wide and the figures about 900 px, so every font
# size given below is scaled up by this factor to stay readable on the page.
FONT_SCALE = 1.2


def _rich(label):
    """Label with ``_x``/``_{xy}`` subscripts and ``^x`` superscripts -> SVG text content."""
    out, pos = [], 0
    for m in re.finditer(r'([_^])(\{[^}]*\}|.)', label):
        out.append(escape(label[pos:m.start()]))
        body = m.group(2).strip('{}')
        shift = 'sub' if m.group(1) == '_' else 'super'
        out.append(f'<tspan baseline-shift="{shift}" font-size="72%">{escape(body)}</tspan>')
        pos = m.end()
    out.append(escape(label[pos:]))
    return ''.join(out)


class Svg:
    """Just enough SVG: boxes, arrows and text, in pixel coordinates."""

    def __init__(self, width, height):
        self.width, self.height, self.items = width, height, []

    def text(self, x, y, label, size=14, anchor='middle', color=INK, weight='normal',
             italic=False, plain=False):
        """Text centred (``anchor='middle'``) at (x, y); ``plain=True`` keeps ``_`` as is."""
        style = ' font-style="italic"' if italic else ''
        rich = escape if plain else _rich
        size = round(size * FONT_SCALE, 1)
        for i, line in enumerate(label.split('\n')):
            self.items.append(
                f'<text x="{x:.1f}" y="{y + i * size * 1.25:.1f}" font-size="{size}" '
                f'text-anchor="{anchor}" fill="{color}" font-weight="{weight}"{style} '
                f'dominant-baseline="middle">{rich(line)}</text>')

    def box(self, x, y, w, h, label='', fill=GREY, size=14, stroke=INK, dash=False,
            radius=6, color=INK):
        """A rounded box; (x, y) is its top-left corner; the label is centred."""
        d = ' stroke-dasharray="5,4"' if dash else ''
        self.items.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{radius}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.3"{d}/>')
        if label:
            lines = label.split('\n')
            top = y + h / 2 - (len(lines) - 1) * size * FONT_SCALE * 1.25 / 2
            self.text(x + w / 2, top, label, size, color=color)
        return (x, y, w, h)

    def arrow(self, points, color=INK, dash=False, width=1.4, head=True, label=None,
              label_at=0.5, label_dy=-10, size=13, label_color=None):
        """A polyline through ``points`` with an arrow head at the end."""
        pts = ' '.join(f'{x:.1f},{y:.1f}' for x, y in points)
        d = ' stroke-dasharray="6,4"' if dash else ''
        marker = f' marker-end="url(#head-{color[1:]})"' if head else ''
        self.items.append(f'<polyline points="{pts}" fill="none" stroke="{color}" '
                          f'stroke-width="{width}"{d}{marker}/>')
        if label:
            (x0, y0), (x1, y1) = points[0], points[-1]
            if len(points) > 2:   # label the middle segment
                k = len(points) // 2
                (x0, y0), (x1, y1) = points[k - 1], points[k]
            self.text(x0 + (x1 - x0) * label_at, y0 + (y1 - y0) * label_at + label_dy, label,
                      size, color=label_color or color)

    def line(self, x0, y0, x1, y1, color=INK, width=1.0, dash=False):
        d = ' stroke-dasharray="4,3"' if dash else ''
        self.items.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
                          f'stroke="{color}" stroke-width="{width}"{d}/>')

    def rect(self, x, y, w, h, fill='none', stroke=INK, width=1.0, opacity=1.0):
        self.items.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                          f'fill="{fill}" fill-opacity="{opacity}" stroke="{stroke}" '
                          f'stroke-width="{width}"/>')

    def tensor(self, x, y, side, depth, label='', fill=GEN, size=12):
        """A feature map drawn as a slab: ``side`` pixels tall, ``depth`` pixels thick."""
        dx = dy = min(depth, 18) * 0.5
        self.items.append(
            f'<path d="M{x},{y} l{dx},{-dy} h{depth} v{side} l{-dx},{dy} z" fill="{fill}" '
            f'stroke="{INK}" stroke-width="1"/>')
        self.items.append(f'<path d="M{x + depth},{y} l{dx},{-dy}" stroke="{INK}" '
                          'stroke-width="1" fill="none"/>')
        self.rect(x, y, depth, side, fill=fill)
        if label:
            self.text(x + depth / 2, y + side + 14, label, size)

    def save(self, path):
        colors = {INK, RED, BLUE, '#2e7d32', '#777777'}
        heads = ''.join(
            f'<marker id="head-{c[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{c}"/></marker>' for c in sorted(colors))
        body = '\n'.join(self.items)
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
               f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" '
               f'font-family="{FONT}">\n<defs>{heads}</defs>\n'
               f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(svg)


# --------------------------------------------------------------------------------------------
# Chapter 1: the game
# --------------------------------------------------------------------------------------------

def fig_gan_game():
    """z -> G -> fake; real data; both into D -> probability "real"; gradients flow back."""
    s = Svg(760, 270)
    s.box(20, 40, 120, 50, '噪声 z ~ p_z', DATA)
    s.box(190, 40, 110, 50, '生成器 G', GEN, size=15)
    s.box(350, 40, 130, 50, '生成样本 G(z)\n（假）', GEN, size=13)
    s.box(350, 160, 130, 50, '真实样本 x ~ p_{data}\n（真）', DATA, size=13)
    s.box(540, 95, 110, 60, '判别器 D', DIS, size=15)
    s.box(690, 95, 60, 60, 'D(·)\n∈(0,1)', GREY, size=13)
    s.arrow([(140, 65), (188, 65)])
    s.arrow([(300, 65), (348, 65)])
    s.arrow([(480, 65), (510, 65), (510, 115), (538, 115)])
    s.arrow([(480, 185), (510, 185), (510, 135), (538, 135)])
    s.arrow([(650, 125), (688, 125)])
    # who wants what
    s.arrow([(720, 160), (720, 240), (245, 240), (245, 92)], color=RED, dash=True,
            label='G 的梯度：让 D(G(z)) 变大（骗过 D）', label_dy=-12, size=13)
    s.text(595, 200, 'D：真样本 → 1，假样本 → 0', 13, color=BLUE)
    s.text(380, 20, 'min_G max_D  E_x[log D(x)] + E_z[log(1 − D(G(z)))]', 14, italic=True)
    return s


# --------------------------------------------------------------------------------------------
# Chapter 2: DCGAN at 32x32, ngf = ndf = 32 (the chapter's setting)
# --------------------------------------------------------------------------------------------

def _tensor_row(s, top, title, maps, ops, notes, x0=40, gap=160):
    """One network as a row: a title, feature maps as boxes (height ~ side, width ~ channels)
    joined by arrows labelled with their layers, and a few notes on the right."""
    s.text(20, top, title, 15, anchor='start', weight='bold')
    mid = top + 98
    boxes = []
    for i, (channels, side, label, fill) in enumerate(maps):
        h = 12 + 3.9 * side
        w = 5 + 0.22 * min(channels, 128)
        x = x0 + i * gap
        s.rect(x, mid - h / 2, w, h, fill=fill, stroke=INK, width=1.1)
        s.text(x + w / 2, mid + h / 2 + 16, label, 12)
        boxes.append((x, w))
    for i, op in enumerate(ops):
        xa = boxes[i][0] + boxes[i][1] + 8
        xb = boxes[i + 1][0] - 8
        s.arrow([(xa, mid), (xb, mid)])
        s.text((xa + xb) / 2, mid - 30, op, 11, color='#555555')
    s.text(735, mid - 60, '\n'.join(notes), 12, anchor='start')


def fig_dcgan():
    """Generator row and discriminator row with the shapes ``d2gan.models.dcgan`` produces."""
    s = Svg(1000, 470)
    _tensor_row(s, 22, '(a) 生成器 G',
                [(100, 1, 'z：100×1×1', DATA), (128, 4, '128×4×4', GEN), (64, 8, '64×8×8', GEN),
                 (32, 16, '32×16×16', GEN), (1, 32, '1×32×32', DATA)],
                ['转置卷积 4, s1, p0\n+BN+ReLU', '转置卷积 4, s2, p1\n+BN+ReLU',
                 '转置卷积 4, s2, p1\n+BN+ReLU', '转置卷积 4, s2, p1\n+tanh（输出层）'],
                ['第一层：1×1 → 4×4', '中间两层：4×4 → 16×16', '输出层：16×16 → 32×32',
                 '通道数逐层减半'])
    _tensor_row(s, 252, '(b) 判别器 D（生成器的镜像）',
                [(1, 32, '1×32×32', DATA), (32, 16, '32×16×16', DIS), (64, 8, '64×8×8', DIS),
                 (128, 4, '128×4×4', DIS), (1, 1, '1×1×1（logit）', GREY)],
                ['卷积 4, s2, p1\n+LeakyReLU', '卷积 4, s2, p1\n+BN+LeakyReLU',
                 '卷积 4, s2, p1\n+BN+LeakyReLU', '卷积 4, s1, p0'],
                ['每个步幅 2 的卷积把边长减半', 'LeakyReLU 的斜率为 0.2', '输入层不用 BN'])
    s.text(500, 455, '图中是 DCGAN 一节的设置：32×32 灰度图，ngf = ndf = 32', 12, color='#555555')
    return s


# --------------------------------------------------------------------------------------------
# Chapter 4: CGAN
# --------------------------------------------------------------------------------------------

def fig_cgan():
    """The label enters both networks: concatenated to z, and tiled into constant image maps."""
    s = Svg(900, 300)
    panels = [
        ('(a) 生成器', 22,
         [(20, 45, 150, 40, '噪声 z（100 维）', DATA), (20, 95, 150, 40, '标签 y（one-hot）', GREY),
          (190, 60, 120, 60, '拼接 [z; y]\n110 维', GREY), (360, 60, 150, 60, 'DCGAN 生成器', GEN),
          (560, 60, 130, 60, 'G(z, y)\n1×32×32', GEN)],
         [[(170, 65), (180, 65), (180, 80), (188, 80)], [(170, 115), (180, 115), (180, 100), (188, 100)],
          [(310, 90), (358, 90)], [(510, 90), (558, 90)]]),
        ('(b) 判别器', 170,
         [(20, 190, 150, 40, '图像 1×32×32', DATA), (20, 240, 100, 40, '标签 y', GREY),
          (150, 240, 170, 40, '复制成 10×32×32', GREY), (350, 205, 130, 60, '通道拼接\n11×32×32', GREY),
          (520, 205, 150, 60, 'DCGAN 判别器', DIS), (710, 205, 170, 60, 'logit：真实并且\n与 y 相符？', GREY)],
         [[(170, 210), (332, 210), (332, 225), (348, 225)], [(120, 260), (148, 260)],
          [(320, 260), (332, 260), (332, 245), (348, 245)], [(480, 235), (518, 235)],
          [(670, 235), (708, 235)]]),
    ]
    for title, y, boxes, arrows in panels:
        s.text(20, y, title, 15, anchor='start', weight='bold')
        for x, top, w, h, label, fill in boxes:
            s.box(x, top, w, h, label, fill, size=14 if 'DCGAN' in label else 13)
        for points in arrows:
            s.arrow(points)
    return s


# --------------------------------------------------------------------------------------------
# Chapter 5: U-Net, PatchGAN, CycleGAN
# --------------------------------------------------------------------------------------------

def fig_unet():
    """unet_256: 8 stride-2 encoder convs to 1x1, 7 decoder layers + output, skips concatenated.

    Row r holds the maps of side 128 / 2**r: encoder output on the left, decoder output of the
    same side on the right; the dashed skip joins them (concatenated on the channel axis).
    """
    s = Svg(900, 400)
    enc = [('C64', 128), ('C128', 64), ('C256', 32), ('C512', 16), ('C512', 8), ('C512', 4),
           ('C512', 2), ('C512', 1)]
    dec = [('CD512', 2), ('CD512', 4), ('CD512', 8), ('C512', 16), ('C256', 32), ('C128', 64),
           ('C64', 128)]
    top, dy, dx, w, h = 52, 36, 30, 122, 26

    def left(r):
        return 20 + max(r, 0) * dx, top + r * dy

    def right(r):
        return 900 - 20 - w - max(r, 0) * dx, top + r * dy

    x, y = left(-1)
    s.box(x, y - 10, w, h, '输入 3×256×256', DATA, size=12)
    x, y = right(-1)
    s.box(x, y - 10, w, h, '输出 3×256×256', DATA, size=12)
    for r, (name, side) in enumerate(enc):
        x, y = left(r)
        s.box(x, y, w, h, f'{name}  {side}×{side}', GEN, size=12)
        px, py = left(r - 1)
        s.arrow([(px + 24, py + h - (10 if r == 0 else 0)), (x + 24, y)], width=1.1)
    for j, (name, side) in enumerate(dec):
        r = 6 - j
        x, y = right(r)
        s.box(x, y, w, h, f'{name}  {side}×{side}', GEN, size=12)
        if j == 0:   # from the 1x1 bottleneck
            bx, by = left(7)
            s.arrow([(bx + w, by + h / 2), (x + w - 24, by + h / 2), (x + w - 24, y + h)],
                    width=1.1)
        else:
            nx, ny = right(r + 1)
            s.arrow([(nx + w - 24, ny), (x + w - 24, y + h)], width=1.1)
    x, y = right(0)
    ox, oy = right(-1)
    s.arrow([(x + w - 24, y), (ox + w - 24, oy + h - 10)], width=1.1)
    for r in range(7):
        lx, y = left(r)
        rx, _ = right(r)
        s.arrow([(lx + w + 2, y + h / 2), (rx - 2, y + h / 2)], color=BLUE, dash=True, width=1.0)
    s.text(450, top + 3 * dy + h / 2 - 9, '跳跃连接：与同样大小的解码器特征在通道维上拼接', 13,
           color=BLUE)
    s.text(450, 355, '编码器：步幅 2 的 4×4 卷积 + BN + LeakyReLU(0.2)（第一层和最内层不做 BN）', 12)
    s.text(450, 377, '解码器：ReLU + 步幅 2 的 4×4 转置卷积 + BN，D 表示 Dropout(0.5)；输出层接 tanh', 12)
    return s


def fig_patchgan():
    """The 70x70 PatchGAN: receptive-field growth and the 30x30 logit map of a 256x256 input."""
    s = Svg(960, 330)
    # input image with a highlighted 70x70 patch (scale 1 px = 1 px / 1.0 for 256 -> 220)
    k = 220 / 256
    x0, y0 = 30, 60
    s.rect(x0, y0, 256 * k, 256 * k, fill=DATA, stroke=INK, width=1.3)
    s.rect(x0 + 40 * k, y0 + 60 * k, 70 * k, 70 * k, fill=RED, stroke=RED, width=1.5,
           opacity=0.25)
    s.text(x0 + 128 * k, y0 - 18, '输入 256×256', 13)
    s.text(x0 + 75 * k, y0 + 150 * k, '70×70', 13, color=RED)
    # layer chain
    # next to each layer: the side of the input patch one output logit sees at that layer's
    # input, counted back from the output (the last layer alone sees 4x4)
    layers = [('C64, s2', '70'), ('C128, s2', '34'), ('C256, s2', '16'), ('C512, s1', '7'),
              ('C1, s1', '4')]
    bx = 290
    s.text(bx + 145, 36, '5 个 4×4 卷积层', 13)
    s.text(bx + 300, 36, '一个输出值看到的范围', 13, anchor='start')
    for i, (name, rf) in enumerate(layers):
        y = 60 + i * 44
        s.box(bx + 70, y, 150, 30, name, DIS, size=13)
        s.text(bx + 300, y + 15, f'感受野 {rf}×{rf}', 13, anchor='start')
        if i:
            s.arrow([(bx + 145, y - 14), (bx + 145, y)], width=1.1)
    s.text(bx + 145, 290, '步幅 1：r → r + 3；步幅 2：r → 2(r − 1) + 4', 12)
    s.text(bx + 145, 310, '从输出往回：1 → 4 → 7 → 16 → 34 → 70', 12)
    # output map
    ox, oy, cell = 760, 80, 6
    for i in range(31):
        s.line(ox + i * cell, oy, ox + i * cell, oy + 30 * cell, color='#999999', width=0.5)
        s.line(ox, oy + i * cell, ox + 30 * cell, oy + i * cell, color='#999999', width=0.5)
    s.rect(ox, oy, 30 * cell, 30 * cell, stroke=INK, width=1.3)
    s.rect(ox + 7 * cell, oy + 9 * cell, cell, cell, fill=RED, stroke=RED, width=1)
    s.text(ox + 15 * cell, oy - 22, '输出：30×30 的 logit 图', 13)
    s.text(ox + 15 * cell, oy + 30 * cell + 20, '每个值判断一个 70×70 的图像块', 12)
    s.arrow([(x0 + 110 * k + 4, y0 + 95 * k), (bx + 60, 75)], color=RED, dash=True, width=1.0)
    return s


def fig_cyclegan():
    """The two cycles: x -> G -> F -> x (D_Y judges G(x)) and y -> F -> G -> y (D_X judges F(y))."""
    s = Svg(900, 330)

    def cycle(x, title, a, b, g, f, d, fwd):
        s.text(x + 200, 22, title, 15, weight='bold')
        s.box(x, 60, 90, 44, a, DATA)
        s.box(x + 150, 60, 90, 44, g, GEN)
        s.box(x + 300, 60, 90, 44, fwd, GEN, size=13)
        s.box(x + 300, 180, 90, 44, d, DIS)
        s.box(x + 150, 180, 90, 44, f, GEN)
        s.box(x, 180, 90, 44, f'{f}({fwd})', GEN, size=13)
        s.arrow([(x + 90, 82), (x + 148, 82)])
        s.arrow([(x + 240, 82), (x + 298, 82)])
        s.arrow([(x + 345, 104), (x + 345, 178)])
        s.text(x + 337, 128, '真/假？', 12, anchor='end')
        s.text(x + 345, 245, f'对抗损失，真样本来自 {b} 域', 12, color=BLUE)
        s.arrow([(x + 390, 82), (x + 410, 82), (x + 410, 150), (x + 195, 150), (x + 195, 178)])
        s.arrow([(x + 150, 202), (x + 92, 202)])
        s.arrow([(x + 45, 178), (x + 45, 106)], color=RED, dash=True)
        s.text(x + 45, 142, '‖·‖_1', 13, color=RED)
        s.text(x + 45, 280, f'循环一致性损失 ‖{f}({fwd}) − {a}‖_1', 13, color=RED, anchor='start')

    cycle(20, '(a) 正向循环：x → G(x) → F(G(x)) ≈ x', 'x', 'Y', 'G', 'F', 'D_Y', 'G(x)')
    cycle(470, '(b) 反向循环：y → F(y) → G(F(y)) ≈ y', 'y', 'X', 'F', 'G', 'D_X', 'F(y)')
    s.text(450, 315, 'G: X → Y（代码中的 G_A），F: Y → X（G_B）；D_Y 即代码中的 D_A，D_X 即 D_B', 12)
    return s


def fig_ugatit():
    """U-GAT-IT's generator (``d2gan.models.ugatit``): encoder, CAM (auxiliary classifiers on the
    average and max pools, the same weights scaling E), MLP -> gamma, beta, AdaLIN decoder;
    (b) AdaLIN itself."""
    s = Svg(940, 530)
    s.text(20, 22, '(a) 生成器', 15, anchor='start', weight='bold')
    # encoder: x -> down-sampling -> residual blocks -> E
    my = 163
    s.box(20, my - 22, 66, 44, '图像 x', DATA, size=13)
    s.box(104, my - 44, 132, 88, '卷积 7×7\n卷积 3×3 s2 ×2\nIN + ReLU', GEN, size=12)
    s.box(254, my - 34, 84, 68, '残差块 ×n\n（IN）', GEN, size=12)
    s.arrow([(86, my), (102, my)])
    s.arrow([(236, my), (252, my)])
    s.arrow([(338, my), (354, my)])
    s.tensor(356, my - 36, 72, 14, 'E')
    s.text(221, my + 66, '编码器', 13, color='#555555')
    # CAM: lanes 1/4 weight E, lanes 2/3 pool and classify
    s.box(388, 44, 464, 232, '', fill='none', dash=True)
    s.text(398, 60, 'CAM 注意力模块', 12, anchor='start', color='#555555')
    lanes = (80, 136, 190, 246)
    bus = 396
    s.line(378, my, bus, my)
    s.line(bus, lanes[0], bus, lanes[3])
    s.arrow([(bus, lanes[0]), (508, lanes[0])])
    s.arrow([(bus, lanes[3]), (508, lanes[3])])
    for y, pool, w in ((lanes[1], '平均池化', 'gap'), (lanes[2], '最大池化', 'gmp')):
        s.arrow([(bus, y), (408, y)])
        s.box(410, y - 15, 80, 30, pool, GREY, size=12)
        s.arrow([(490, y), (508, y)])
        s.box(510, y - 15, 124, 30, f'辅助分类器 w_{{{w}}}', GEN, size=11)
    s.box(510, lanes[0] - 15, 124, 30, 'w_{gap} ⊙ E', GEN, size=12)
    s.box(510, lanes[3] - 15, 124, 30, 'w_{gmp} ⊙ E', GEN, size=12)
    s.arrow([(572, lanes[1] - 16), (572, lanes[0] + 16)], color='#777777', dash=True)
    s.arrow([(572, lanes[2] + 16), (572, lanes[3] - 16)], color='#777777', dash=True)
    for y in ((lanes[0] + lanes[1]) / 2, (lanes[2] + lanes[3]) / 2):
        s.text(580, y, '同一权重', 10, anchor='start', color='#555555')
    s.box(654, my - 23, 80, 46, 'CAM\nlogit', GREY, size=12)
    s.arrow([(634, lanes[1]), (652, my - 10)])
    s.arrow([(634, lanes[2]), (652, my + 10)])
    s.text(694, my + 42, 'CAM 损失', 12, color=RED)
    s.text(694, my + 60, '源域 / 目标域', 11, color=RED)
    s.box(752, lanes[0] - 15, 90, lanes[3] - lanes[0] + 30,
          '拼接：2C\n↓\n1×1 卷积\n+ ReLU\n↓\nC 通道', GEN, size=12)
    s.arrow([(634, lanes[0]), (750, lanes[0])])
    s.arrow([(634, lanes[3]), (750, lanes[3])])
    # heatmap: channel sum of the attended features
    s.box(866, 58, 66, 96, '', GREY)
    s.text(899, 72, '热力图', 12)
    heat = (0.15, 0.3, 0.2, 0.1, 0.3, 0.9, 0.7, 0.2, 0.2, 0.8, 1.0, 0.3, 0.1, 0.25, 0.3, 0.1)
    for i, v in enumerate(heat):
        s.rect(877 + 11 * (i % 4), 88 + 11 * (i // 4), 11, 11, fill=RED, stroke='white',
               width=0.6, opacity=v)
    s.text(899, 146, 'Σ 通道', 10, color='#555555')
    s.arrow([(842, 106), (864, 106)])
    # decoder: attended features -> AdaLIN residual blocks (gamma, beta from the MLP) -> up
    dy = 362
    s.arrow([(797, lanes[3] + 15), (797, 292), (45, 292), (45, dy), (148, dy)])
    s.text(420, 306, '注意力特征（C 通道）', 12, color='#555555')
    s.box(150, dy - 28, 116, 56, 'AdaLIN\n残差块 ×n', GEN, size=12)
    s.box(290, dy - 34, 150, 68, '上采样块 ×2：\n最近邻 ×2，卷积 3×3\nLIN + ReLU', GEN, size=11)
    s.box(464, dy - 28, 86, 56, '卷积 7×7\ntanh', GEN, size=12)
    s.box(574, dy - 22, 70, 44, 'G(x)', GEN, size=13)
    s.arrow([(266, dy), (288, dy)])
    s.arrow([(440, dy), (462, dy)])
    s.arrow([(550, dy), (572, dy)])
    s.arrow([(45, dy), (45, 436), (68, 436)])
    s.box(70, 418, 120, 36, 'MLP → γ, β', GEN, size=12)
    s.arrow([(190, 436), (208, 436), (208, dy + 30)])
    s.text(214, 410, 'γ, β', 12, anchor='start')
    s.text(350, 412, '解码器', 13, color='#555555')
    s.text(20, 478, 'light 版：MLP 读全局平均池化后的特征（C 维）；完整版读展平的整张特征图（C·H·W 维）',
           11, anchor='start', color='#555555')
    s.text(20, 500, '上采样块的 LIN 与 AdaLIN 的混合相同，只是 γ、β 为普通参数', 11, anchor='start',
           color='#555555')
    # (b) AdaLIN
    ox = 672
    s.box(ox, 318, 262, 202, '', fill='none', dash=True)
    s.text(ox + 10, 334, '(b) AdaLIN', 13, anchor='start', weight='bold')
    r1, r2, r3 = 364, 408, 458
    s.box(ox + 10, (r1 + r2) / 2 - 16, 30, 32, 'a', GREY, size=13)
    s.box(ox + 64, r1 - 16, 70, 32, 'IN(a)', GREY, size=12)
    s.box(ox + 64, r2 - 16, 70, 32, 'LN(a)', GREY, size=12)
    s.box(ox + 156, r1 - 16, 80, 32, '× ρ', GREY, size=12)
    s.box(ox + 156, r2 - 16, 80, 32, '× (1 − ρ)', GREY, size=12)
    s.arrow([(ox + 40, (r1 + r2) / 2), (ox + 52, (r1 + r2) / 2), (ox + 52, r1), (ox + 62, r1)])
    s.arrow([(ox + 52, (r1 + r2) / 2), (ox + 52, r2), (ox + 62, r2)])
    s.arrow([(ox + 134, r1), (ox + 154, r1)])
    s.arrow([(ox + 134, r2), (ox + 154, r2)])
    s.box(ox + 178, r3 - 16, 36, 32, '+', GREY, size=14)
    s.arrow([(ox + 236, r1), (ox + 250, r1), (ox + 250, r3), (ox + 216, r3)])
    s.arrow([(ox + 196, r2 + 16), (ox + 196, r3 - 18)])
    s.box(ox + 80, r3 - 16, 76, 32, '× γ + β', GEN, size=12)
    s.arrow([(ox + 178, r3), (ox + 158, r3)])
    s.arrow([(ox + 80, r3), (ox + 20, r3)])
    s.text(ox + 40, r3 - 14, 'AdaLIN(a)', 11)
    s.text(ox + 131, r3 + 34, 'γ, β：MLP 的输出\nρ ∈ [0, 1]：每个通道一个参数', 10,
           color='#555555')
    return s


# --------------------------------------------------------------------------------------------
# Chapter 6: StarGAN, AttGAN / STGAN
# --------------------------------------------------------------------------------------------

def fig_stargan():
    """(a) D: real/fake head and attribute classifier; (b) G(x, c) and the reconstruction."""
    s = Svg(900, 350)
    s.text(130, 22, '(a) 判别器', 15, weight='bold')
    s.box(20, 60, 100, 44, '真实图像 x', DATA)
    s.box(20, 150, 100, 44, '生成图像', GEN)
    s.box(170, 90, 80, 74, 'D', DIS, size=18)
    s.box(290, 60, 120, 44, 'D_{src}：真/假', DIS, size=13)
    s.box(290, 150, 120, 44, 'D_{cls}：属性', DIS, size=13)
    s.arrow([(120, 82), (168, 115)])
    s.arrow([(120, 172), (168, 140)])
    s.arrow([(250, 110), (288, 82)])
    s.arrow([(250, 145), (288, 172)])
    s.text(215, 230, '真实图像上学会识别原属性 c′', 12, color=BLUE)
    s.text(215, 250, '（分类损失 L^r_{cls}）', 12, color=BLUE)

    s.text(650, 22, '(b) 生成器', 15, weight='bold')
    s.box(450, 50, 90, 40, '图像 x', DATA, size=13)
    s.box(450, 100, 90, 40, '目标标签 c', GREY, size=13)
    s.text(445, 158, '平铺成常数通道，拼接', 11, color='#555555', anchor='start')
    s.box(580, 70, 60, 50, 'G', GEN, size=18)
    s.box(680, 70, 90, 50, 'G(x, c)', GEN, size=13)
    s.arrow([(540, 70), (578, 88)])
    s.arrow([(540, 120), (578, 102)])
    s.arrow([(640, 95), (678, 95)])
    s.arrow([(770, 95), (860, 95)], label='送入 D', size=12, label_dy=-12)
    s.text(790, 125, 'D_{src}：像真的', 12, color=BLUE, anchor='start')
    s.text(790, 147, 'D_{cls}：是 c', 12, color=BLUE, anchor='start')
    s.box(680, 200, 90, 40, '原标签 c′', GREY, size=13)
    s.box(580, 235, 60, 50, 'G', GEN, size=18)
    s.box(450, 240, 90, 40, 'G(G(x,c), c′)', GEN, size=12)
    s.arrow([(725, 120), (725, 160), (610, 160), (610, 233)])
    s.arrow([(680, 220), (642, 250)])
    s.arrow([(578, 260), (542, 260)])
    s.arrow([(450, 260), (434, 260), (434, 70), (448, 70)], color=RED, dash=True)
    s.text(495, 302, '重建损失 L_{rec} = ‖x − G(G(x,c),c′)‖_1', 12, color=RED)
    s.text(450, 334, '同一个生成器 G 用了两次；判别器的两个头共享卷积层', 12)
    return s


def fig_starganv2():
    """StarGAN v2 (``d2gan.models.starganv2``): the style code s from the mapping network F
    (latent-guided) or the style encoder E (reference-guided) modulates every AdaIN block of
    G; D has one output per domain; the four losses label the arrows."""
    s = Svg(940, 520)
    picked = '#f6c9a8'

    def heads(x, yc, fill, strong):
        """One small box per domain, the one of domain y emphasised; returns its right end."""
        for i, label in enumerate(('域 1', '域 y', '域 K')):
            y = yc - 33 + 23 * i
            s.box(x, y, 60, 20, label, strong if i == 1 else fill, size=10, radius=4)
        return x + 60

    def module(y, title, src, trunk):
        s.box(20, y, 452, 100, '', fill='none', dash=True)
        s.text(30, y + 16, title, 12, anchor='start', weight='bold')
        yc = y + 60
        s.box(34, yc - 18, 92, 36, *src)
        s.box(148, yc - 26, 104, 52, trunk, GEN, size=11)
        s.arrow([(126, yc), (146, yc)])
        for dy in (-23, 0, 23):
            s.arrow([(252, yc), (274, yc + dy)], width=1.0)
        end = heads(276, yc, GEN, picked)
        s.text(376, yc + 18, '按 y 取一个头', 10, color='#555555')
        return end, yc

    # the two ways to a style code
    xf, yf = module(36, '映射网络 F(z, y)：隐码引导', ('z ~ N(0, I)', GREY, 11),
                    '共享 MLP\n（4 层）')
    xe, ye = module(146, '风格编码器 E(x_{ref}, y)：参考图引导', ('参考图 x_{ref}', DATA, 11),
                    '共享卷积\n残差下采样块')
    sy = (yf + ye) / 2
    s.box(494, sy - 20, 76, 40, '风格码 s', GREY, size=12)
    s.arrow([(xf, yf), (532, yf), (532, sy - 22)])
    s.arrow([(xe, ye), (532, ye), (532, sy + 22)])
    s.text(526, sy - 34, '二选一', 10, anchor='end', color='#555555')
    # generator: encoder, AdaIN decoder blocks each fed s
    yg = 330
    s.box(20, 258, 556, 126, '', fill='none', dash=True)
    s.text(30, 274, '生成器 G(x, s)', 12, anchor='start', weight='bold')
    s.box(34, yg - 20, 86, 40, '源图像 x', DATA, size=12)
    s.box(140, yg - 28, 116, 56, '编码器：\n残差下采样 + IN', GEN, size=11)
    s.arrow([(120, yg), (138, yg)])
    s.arrow([(256, yg), (278, yg)])
    blocks = (280, 376, 472)
    for i, x in enumerate(blocks):
        s.box(x, yg - 28, 80, 56, 'AdaIN\n残差块', GEN, size=11)
        s.arrow([(x + 40, 282), (x + 40, yg - 30)], width=1.1)
        if i:
            s.arrow([(x - 16, yg), (x - 2, yg)])
    s.arrow([(570, sy), (586, sy), (586, 282), (blocks[0] + 40, 282)], head=False)
    s.text(416, yg + 42, '解码器：每个 AdaIN 残差块都注入 s（含上采样）', 11, color='#555555')
    s.box(600, yg - 20, 84, 40, 'G(x, s)', GEN, size=13)
    s.arrow([(552, yg), (598, yg)])
    # discriminator: real images from above, G(x, s) from below; the output of domain y
    s.box(600, 36, 330, 210, '', fill='none', dash=True)
    s.text(610, 52, '判别器 D(x, y)', 12, anchor='start', weight='bold')
    yd = 156
    s.box(614, 68, 120, 36, '真实图像（域 y）', DATA, size=11)
    s.box(614, yd - 26, 120, 52, '共享卷积\n残差下采样块', DIS, size=11)
    s.arrow([(674, 104), (674, yd - 28)])
    for dy in (-23, 0, 23):
        s.arrow([(734, yd), (756, yd + dy)], width=1.0)
    xd = heads(758, yd, DIS, '#b9cfe8')
    s.box(842, yd - 18, 76, 36, '真 / 假', GREY, size=12)
    s.arrow([(xd, yd), (840, yd)])
    s.text(788, yd + 50, '每个域一个输出，取域 y 的', 10, color='#555555')
    s.arrow([(642, yg - 22), (642, yd + 28)])
    s.text(650, 276, '对抗损失', 12, anchor='start', color=BLUE)
    # diversity: a second style code s' (another z) for the same x
    s.box(820, yg - 20, 98, 40, "G(x, s′)", GEN, size=13)
    s.arrow([(686, yg), (818, yg)], color=RED, dash=True)
    s.arrow([(818, yg), (686, yg)], color=RED, dash=True)
    s.text(752, yg - 14, '多样性（取大）', 11, color=RED)
    s.text(752, yg + 16, "‖G(x,s) − G(x,s′)‖_1", 11, color=RED)
    s.text(869, yg + 36, 's′：另一个 z 的风格', 10, color='#555555')
    # cycle (left) and style reconstruction (right), from G(x, s)
    yl = 440
    s.box(470, yl - 18, 50, 36, 'G', GEN, size=14)
    s.arrow([(622, yg + 20), (622, yl), (522, yl)])
    s.box(290, yl - 18, 150, 36, 'G(G(x, s), s_x)', GEN, size=12)
    s.arrow([(470, yl), (442, yl)])
    s.arrow([(495, 500), (495, yl + 20)])
    s.text(495, 508, 's_x = E(x, y_x)：x 自己的风格', 10, color='#555555')
    s.arrow([(290, yl), (77, yl), (77, yg + 22)], color=RED, dash=True,
            label='循环 ‖x − G(G(x,s), s_x)‖_1', label_dy=-12, size=11)
    s.box(700, yl - 18, 50, 36, 'E', GEN, size=14)
    s.arrow([(662, yg + 20), (662, yl), (698, yl)])
    s.box(778, yl - 18, 140, 36, 'E(G(x, s), y)', GEN, size=12)
    s.arrow([(750, yl), (776, yl)])
    s.text(820, yl + 38, '风格重建 ‖s − E(G(x,s), y)‖_1', 11, color=RED)
    return s


def fig_stgan():
    """STGAN: encoder-decoder, att_diff at the bottleneck, one STU on every skip connection.

    The STUs form a chain from the coarsest skip to the finest: each passes its state ``s``
    (with ``att_diff`` concatenated) to the next, finer one.
    """
    s = Svg(900, 400)
    s.text(450, 18, '编码器特征 f_k 经 STU 改写后送往解码器（AttGAN 没有 STU：跳跃连接直接拼接 f_k）', 13)
    mid = 250
    enc = [(30, 120, 'x', DATA), (130, 90, 'f_1', GEN), (220, 66, 'f_2', GEN),
           (300, 48, 'f_3', GEN), (370, 34, 'z', GEN)]
    dec = [(530, 48, '', GEN), (620, 66, '', GEN), (710, 90, '', GEN), (810, 120, 'x^{b̂}', GEN)]
    for x, h, name, fill in enc + dec:
        s.box(x, mid - h / 2, 44, h, name, fill, size=13)
    for (xa, _, _, _), (xb, _, _, _) in zip(enc, enc[1:]):
        s.arrow([(xa + 46, mid), (xb - 2, mid)], width=1.1)
    s.box(428, mid - 22, 70, 44, 'z ⊕ att_{diff}', GREY, size=12)
    s.arrow([(416, mid), (426, mid)], width=1.1)
    s.arrow([(500, mid), (528, mid)], width=1.1)
    for (xa, _, _, _), (xb, _, _, _) in zip(dec, dec[1:]):
        s.arrow([(xa + 46, mid), (xb - 2, mid)], width=1.1)
    s.box(398, 345, 130, 34, 'att_{diff} = b̃ − ã', GREY, size=13)
    s.arrow([(463, 343), (463, mid + 24)], color=RED)
    s.text(210, 335, '编码器 G_{enc}（步幅 2 的卷积）', 13)
    s.text(700, 335, '解码器 G_{dec}（转置卷积）', 13)
    # skips f_3, f_2, f_1 -> decoder maps of the same size, each through an STU
    for k, (e, d, y) in enumerate([(3, 0, 150), (2, 1, 104), (1, 2, 58)]):
        ex, eh = enc[e][0] + 22, enc[e][1]
        dx, dh = dec[d][0] + 22, dec[d][1]
        s.box(435, y - 14, 56, 28, f'STU_{3 - k}', '#fff3c4', size=13)
        s.arrow([(ex, mid - eh / 2), (ex, y), (433, y)], color=BLUE, width=1.1)
        s.arrow([(491, y), (dx, y), (dx, mid - dh / 2 - 2)], color=BLUE, width=1.1)
    s.arrow([(463, mid - 22), (463, 164)], color='#777777', width=1.0)
    s.arrow([(463, 136), (463, 118)], color='#777777', width=1.0)
    s.arrow([(463, 90), (463, 72)], color='#777777', width=1.0)
    s.text(500, 81, '状态 s 自下而上传递', 11, color='#555555', anchor='start')
    s.text(450, 392, 'STU 是卷积 GRU：更新门逐像素决定保留多少 f_k、写入多少由属性变化驱动的内容', 12)
    return s


# --------------------------------------------------------------------------------------------
# Chapter 9: data parallelism, parameter server
# --------------------------------------------------------------------------------------------

def fig_data_parallel():
    """One batch split over K devices; gradients summed by the kvstore and sent back."""
    s = Svg(900, 330)
    s.box(20, 130, 110, 60, '小批量\nB 个样本', DATA)
    s.text(75, 215, 'split_and_load', 12, color='#555555', plain=True)
    ys = [40, 130, 220]
    names = ['设备 1', '设备 2', '设备 K']
    for y, name in zip(ys, names):
        s.box(200, y, 220, 60, f'{name}：模型副本\n前向 + 反向 → g_k', GEN, size=13)
        s.arrow([(130, 160), (165, 160), (165, y + 30), (198, y + 30)])
    s.text(310, 205, '⋮', 18)
    s.box(540, 110, 150, 100, 'kvstore\n求和 Σ_k g_k', DIS, size=14)
    for y in ys:
        s.arrow([(420, y + 22), (538, 150)], color=BLUE, label=None)
        s.arrow([(540, 175), (422, y + 42)], color=RED, dash=True)
    s.text(470, 40, 'push g_k', 13, color=BLUE)
    s.text(470, 290, 'pull Σ g_k', 13, color=RED)
    s.box(730, 130, 150, 60, '每个副本做\n相同的更新', GREY, size=13)
    s.arrow([(690, 160), (728, 160)])
    s.text(805, 225, '梯度 = (1/B) Σ_k g_k', 12)
    return s


def fig_parameter_server():
    """dist_sync: scheduler, servers holding key ranges, workers pushing and pulling."""
    s = Svg(900, 360)
    s.box(330, 20, 240, 44, 'scheduler（登记、编号、屏障）', GREY, size=12, dash=True)
    servers = [(180, '键 0 … k/2'), (560, '键 k/2 … k')]
    for i, (x, keys) in enumerate(servers):
        s.box(x, 110, 160, 60, f'server {i}\n{keys}：对梯度求和', DIS, size=12)
        s.line(450, 64, x + 80, 110, color='#777777', dash=True)
    workers = [60, 260, 460, 660]
    for i, x in enumerate(workers):
        s.box(x, 250, 170, 64, f'worker {i}（rank {i}）\n模型副本 + 第 {i} 份数据', GEN, size=12)
        for j, (sx, _) in enumerate(servers):
            s.arrow([(x + 60 + j * 40, 248), (sx + 40 + i * 25, 172)], color=BLUE, width=0.9)
            s.arrow([(sx + 52 + i * 25, 172), (x + 72 + j * 40, 248)], color=RED, width=0.9,
                    dash=True)
    s.text(120, 205, 'push 梯度', 13, color=BLUE, anchor='start')
    s.text(735, 205, 'pull 和', 13, color=RED, anchor='end')
    s.text(450, 340, 'dist_sync：server 等齐全部 W 个 worker 的梯度才给出和；每个 worker 用同一个和更新自己的副本',
           12, plain=True)
    return s


# --------------------------------------------------------------------------------------------
# Chapter 10: progressive growing
# --------------------------------------------------------------------------------------------

def fig_pggan_fade_in():
    """A new 32x32 level fading in: G blends the new level's RGB with the old level's up-sampled
    RGB; D blends the new level's features with those of the 2x2-averaged image."""
    s = Svg(940, 300)

    def panel(ox, title, source, top, bottom, output, note):
        """``source`` -> two branches of three boxes ``(label, fill, size, dash[, tall])``,
        weighted and summed into ``output``."""
        s.text(ox + 228, 22, title, 14, weight='bold')
        s.box(ox, 128, 76, 48, *source)
        for y, boxes in ((60, top), (194, bottom)):
            for x, (label, fill, size, dash, tall) in zip((104, 196, 288), boxes):
                w = 52 if x == 288 else 76
                s.box(ox + x, y - 6 if tall else y, w, 52 if tall else 40, label, fill,
                      size=size, dash=dash)
        s.box(ox + 360, 128, 32, 48, '+', GREY, size=16)
        s.box(ox + 404, 128, 52, 48, *output)
        for y in (80, 214):
            s.arrow([(ox + 76, 152), (ox + 90, 152), (ox + 90, y), (ox + 102, y)])
            for x0, x1 in ((180, 194), (272, 286)):
                s.arrow([(ox + x0, y), (ox + x1, y)])
        s.arrow([(ox + 340, 80), (ox + 376, 80), (ox + 376, 126)])
        s.arrow([(ox + 340, 214), (ox + 376, 214), (ox + 376, 178)])
        s.arrow([(ox + 392, 152), (ox + 402, 152)])
        s.text(ox + 228, 270, note, 12)

    panel(10, '(a) 生成器：新的 32×32 一级淡入', ('16×16\n特征', GEN, 12),
          [('toRGB_{旧}', GEN, 12, False, False), ('上采样 ×2', GREY, 12, False, False),
           ('× t', GREY, 13, False, False)],
          [('上采样 ×2\n卷积 ×2', GEN, 12, True, True), ('toRGB_{新}', GEN, 12, True, False),
           ('× (1−t)', GREY, 11, False, False)],
          ('32×32\n图像', DATA, 11), '虚线框：新加的层；t 从 1 线性降到 0（论文写作 α = 1 − t）')
    panel(480, '(b) 判别器：对称地淡入', ('32×32\n图像', DATA, 11),
          [('fromRGB_{新}', DIS, 11, True, False), ('卷积 ×2\n平均池化', DIS, 12, True, True),
           ('× (1−t)', GREY, 11, False, False)],
          [('平均池化', GREY, 12, False, False), ('fromRGB_{旧}', DIS, 11, False, False),
           ('× t', GREY, 13, False, False)],
          ('16×16\n特征', DIS, 11), '之后是判别器原有的 16×16、8×8、4×4 各级')
    return s



def fig_stylegan():
    """The style-based generator (``d2gan.models.stylegan2``): (a) mapping network z -> w;
    (b) StyleGAN's synthesis: constant input, noise, AdaIN with styles A(w); (c) StyleGAN2's:
    the styles modulate the convolution weights, demodulation replaces AdaIN, ToRGB outputs of
    every resolution summed (skip generator)."""
    s = Svg(960, 620)
    note = '#555555'
    # (a) mapping network
    s.text(100, 22, '(a) 映射网络 f', 14, weight='bold')
    s.box(30, 48, 140, 36, 'z ~ N(0, I)', DATA, size=13)
    s.box(30, 104, 140, 32, '归一化', GREY, size=12)
    s.box(30, 156, 140, 150, '全连接 + LReLU\n× 8\n\n学习率 × 0.01', GEN, size=12)
    s.box(30, 326, 140, 36, 'w ∈ W', GREY, size=14)
    for y0, y1 in ((84, 102), (136, 154), (306, 324)):
        s.arrow([(100, y0), (100, y1)])
    s.text(100, 392, '每一层一个仿射变换 A', 11, color=note)
    s.text(100, 412, '把 w 变成这一层的样式', 11, color=note)
    s.text(100, 450, '截断：', 11, color=note)
    s.text(100, 470, "w′ = w_{avg} + ψ (w − w_{avg})", 11, italic=True)
    s.text(100, 508, '样式混合：前几层用 w_1，', 11, color=note)
    s.text(100, 528, '其余层用 w_2', 11, color=note)
    # the w bus: from the mapping network to every A box of both panels
    bus_y = 596
    s.line(170, 344, 190, 344, width=1.2)
    s.line(190, 344, 190, bus_y, width=1.2)
    s.line(190, bus_y, 930, bus_y, width=1.2)
    s.text(560, bus_y + 12, 'w（每个 A 都接到这里）', 10, color=note)

    def a_box(x, y, bus_x):
        """An affine box ``A`` fed from the bus, its arrow pointing left to (x - 2, y)."""
        s.line(bus_x, bus_y, bus_x, y, color='#777777')
        s.box(bus_x - 14, y - 13, 28, 26, 'A', GREY, size=12)
        s.arrow([(bus_x - 14, y), (x + 2, y)])

    def b_box(x, y):
        """A noise input ``B`` (per-pixel Gaussian noise, learned strength) from the left."""
        s.box(x - 46, y - 13, 28, 26, 'B', GREY, size=12)
        s.arrow([(x - 18, y), (x - 2, y)])

    # (b) StyleGAN: constant, then per layer: [conv], + noise, AdaIN(style)
    s.text(370, 22, '(b) StyleGAN：AdaIN', 14, weight='bold')
    cx, w = 300, 140
    rows = [(48, '常数 4×4×512', GEN), (100, '+', GREY), (140, 'AdaIN', GEN),
            (192, '卷积 3×3', GEN), (238, '+', GREY), (278, 'AdaIN', GEN),
            (338, '上采样', GREY), (378, '卷积 3×3', GEN), (424, '+', GREY),
            (464, 'AdaIN', GEN), (516, '⋮', 'none')]
    prev = None
    for y, label, fill in rows:
        small = label == '+'
        bw = 32 if small else w
        if fill == 'none':
            s.text(cx, y + 10, label, 16)
        else:
            s.box(cx - bw / 2, y, bw, 28, label, fill, size=13)
        if prev is not None:
            s.arrow([(cx, prev), (cx, y - 2)])
        prev = y + 28
        if small:
            b_box(cx - bw / 2, y + 14)
        if label == 'AdaIN':
            a_box(cx + w / 2, y + 14, 420)
    s.line(212, 48, 212, 306, color='#999999')
    s.text(206, 177, '4×4', 11, anchor='end', color=note)
    s.line(212, 338, 212, 492, color='#999999')
    s.text(206, 415, '8×8', 11, anchor='end', color=note)
    s.text(370, 556, 'AdaIN(x, y) = y_s (x − μ(x)) / σ(x) + y_b', 11, italic=True)

    # (c) StyleGAN2: modulated / demodulated conv, bias and noise after it, skip ToRGB
    s.text(730, 22, '(c) StyleGAN2：调制与解调', 14, weight='bold')
    cx, w = 640, 150
    rows = [(48, '常数 4×4×512', GEN, 28), (96, '调制 · 卷积 3×3\n· 解调', GEN, 44),
            (162, '+ 偏置 + 噪声，LReLU', GREY, 28), (232, '上采样 · 调制\n卷积 3×3 · 解调', GEN, 44),
            (298, '+ 偏置 + 噪声，LReLU', GREY, 28), (348, '调制 · 卷积 3×3\n· 解调', GEN, 44),
            (414, '+ 偏置 + 噪声，LReLU', GREY, 28), (470, '⋮', 'none', 28)]
    prev = None
    outs = []
    for y, label, fill, h in rows:
        if fill == 'none':
            s.text(cx, y + 10, label, 16)
        else:
            s.box(cx - w / 2, y, w, h, label, fill, size=12)
        if prev is not None:
            s.arrow([(cx, prev), (cx, y - 2)])
        prev = y + h
        if label.startswith('+'):
            b_box(cx - w / 2, y + 14)
            outs.append(y + 14)
        elif fill == GEN and y > 48:
            a_box(cx + w / 2, y + h / 2, 760)
    # ToRGB of the 4x4 and 8x8 outputs, summed with the up-sampled image so far
    rx = 830
    for i, y in enumerate((outs[0], outs[2])):
        s.arrow([(cx + w / 2, y), (cx + w / 2 + 8, y), (cx + w / 2 + 8, y + 26), (rx - 2, y + 26)])
        s.box(rx, y + 13, 60, 26, 'toRGB', GEN, size=11)
    s.box(872, outs[2] + 70, 28, 26, '+', GREY, size=13)
    s.box(906, outs[0] + 70, 44, 40, '上采样', GREY, size=9)
    s.arrow([(890, outs[0] + 26), (928, outs[0] + 26), (928, outs[0] + 68)])
    s.arrow([(928, outs[0] + 110), (928, outs[2] + 83), (902, outs[2] + 83)])
    s.arrow([(860, outs[2] + 39), (860, outs[2] + 83), (870, outs[2] + 83)])
    s.arrow([(886, outs[2] + 96), (886, outs[2] + 130)])
    s.text(886, outs[2] + 144, '8×8 图像', 11, color=note)
    s.text(860, outs[0] - 30, 'toRGB：调制的', 10, color=note)
    s.text(860, outs[0] - 14, '1×1 卷积', 10, color=note)
    s.text(700, 520, "调制 w′_{ijk} = s_i w_{ijk}", 11, italic=True)
    s.text(700, 540, "解调 w″_{ijk} = w′_{ijk} / √(Σ_{i,k} w′_{ijk}² + ε)", 11, italic=True)
    return s


FIGURES = {name[4:]: fn for name, fn in sorted(globals().items()) if name.startswith('fig_')}


def main(names):
    for name in names or FIGURES:
        if name not in FIGURES:
            sys.exit(f'unknown figure {name!r}; figures: {", ".join(FIGURES)}')
        path = os.path.join(IMG, name + '.svg')
        FIGURES[name]().save(path)
        print('wrote', os.path.relpath(path))


if __name__ == '__main__':
    main(sys.argv[1:])
