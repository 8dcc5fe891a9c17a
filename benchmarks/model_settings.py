"""The settings ``model_table.py`` times every book model at: the chapter's and the paper's.

Plain data, imported by both sides of the comparison (d2gan under MXNet, the PyTorch twins in
their own process), so that both build the same networks and run the same iteration.

Each entry: ``config`` (keyword arguments of ``d2gan.build_gan(model, ...)``; the PyTorch twin
reads the same keys, with d2gan's recipe defaults for the keys it leaves out), ``batch`` (images
one training iteration consumes: for critics with ``n_critic`` steps per generator step the
iteration takes ``n_critic`` slices of ``batch / n_critic``, as the recipes do), ``label`` (what
the setting is, stated truthfully, including where it differs from the chapter or the paper),
and ``data`` (what a batch holds; sizes come from ``config``).
"""

DIGIT_ATTRS = ('Red_Stroke', 'Thick', 'Inverted', 'Framed')        # the book's attribute digits
CELEBA_5 = ('Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Male', 'Young')
CELEBA_13 = ('Bald', 'Bangs', 'Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Bushy_Eyebrows',
             'Eyeglasses', 'Male', 'Mouth_Slightly_Open', 'Mustache', 'No_Beard', 'Pale_Skin',
             'Young')

_DIGITS = dict(image_size=32, channels=1)
_EDIT_SMALL = {
    'stargan': dict(conv_dim=16, repeat_num=3, d_conv_dim=16, d_repeat_num=4),
    'attgan': dict(enc_dim=16, dec_dim=16, enc_layers=3, dec_layers=3, dis_dim=16,
                   dis_fc_dim=64, dis_layers=3),
    'stgan': dict(enc_dim=16, dec_dim=16, enc_layers=3, dec_layers=3, dis_dim=16, dis_fc_dim=64,
                  dis_layers=3, stu_dim=16, stu_layers=2, shortcut_layers=2, inject_layers=2,
                  stu_inject_layers=2),
}


def _edit(model, paper_batch, paper_attrs):
    chapter = dict(config=dict(_EDIT_SMALL[model], image_size=32, attrs=DIGIT_ATTRS,
                               n_critic=1),
                   batch=16, label='chapter: 32 px digits, 4 attributes, book widths, batch 16, '
                                   'n_critic 1')
    paper = dict(config=dict(image_size=128, attrs=paper_attrs, n_critic=5),
                 batch=5 * paper_batch,
                 label=f'paper: 128 px, {len(paper_attrs)} attributes, batch {paper_batch}, '
                       f'n_critic 5')
    return {'chapter': chapter, 'paper': paper}


_DCGAN_LIKE_PAPER = dict(image_size=64, channels=3, ngf=64, ndf=64)

SETTINGS = {
    'dcgan': {
        'chapter': dict(config=dict(_DIGITS, ngf=32, ndf=32), batch=64,
                        label='chapter: 32 px digits, ngf/ndf 32, batch 64'),
        'paper': dict(config=_DCGAN_LIKE_PAPER, batch=128,
                      label='paper: 64 px RGB, ngf/ndf 64, batch 128'),
    },
    'lsgan': {
        'chapter': dict(config=dict(_DIGITS, ngf=32, ndf=32), batch=64,
                        label='chapter 3: 32 px digits, ngf/ndf 32, batch 64'),
    },
    'hinge-sn': {
        'chapter': dict(config=dict(_DIGITS, ngf=32, ndf=32), batch=64,
                        label='chapter 3: 32 px digits, ngf/ndf 32, batch 64'),
    },
    'wgan-gp': {
        'chapter': dict(config=dict(_DIGITS, ngf=32, ndf=32), batch=5 * 16,
                        label='chapter 3: 32 px digits, ngf/ndf 32, 5 critic steps of 16'),
        'paper': dict(config=_DCGAN_LIKE_PAPER, batch=5 * 64,
                      label='paper (DCGAN-style critic): 64 px RGB, ngf/ndf 64, '
                            '5 critic steps of 64'),
    },
    'cgan': {
        'chapter': dict(config=dict(_DIGITS, ngf=32, ndf=32), batch=64,
                        label='chapter: 32 px digits, 10 classes, ngf/ndf 32, batch 64'),
    },
    'pix2pix': {
        'chapter': dict(config=dict(image_size=64, ngf=32, ndf=32), batch=4,
                        label='chapter: 64 px, ngf/ndf 32, batch 4'),
        'paper': dict(config=dict(image_size=256, ngf=64, ndf=64), batch=1,
                      label='paper: unet_256 + 70x70 PatchGAN, 256 px, batch 1'),
    },
    'cyclegan': {
        'chapter': dict(config=dict(image_size=64, ngf=16, ndf=32, n_blocks=6, pool_size=50),
                        batch=1, label='chapter: 64 px, resnet_6blocks ngf 16, ndf 32, batch 1, '
                                       '50-image pool'),
        'paper': dict(config=dict(image_size=256, ngf=64, ndf=64, n_blocks=9, pool_size=50),
                      batch=1, label='paper: resnet_9blocks + 70x70 PatchGAN, 256 px, batch 1, '
                                     '50-image pool'),
    },
    'stargan': _edit('stargan', 16, CELEBA_5),
    'attgan': _edit('attgan', 32, CELEBA_13),
    'stgan': _edit('stgan', 32, CELEBA_13),
    'spade': {
        'chapter': dict(config=dict(image_size=64, num_classes=7, ngf=16, ndf=16, hidden=32),
                        batch=4, label='chapter: 64 px synthetic facades, 7 classes + edges, '
                                       'ngf/ndf 16, hidden 32, batch 4, no VGG loss'),
        'paper': dict(config=dict(image_size=256, num_classes=35, ngf=64, ndf=64, hidden=128),
                      batch=1, label='paper networks (Cityscapes: 35 classes + edges) at '
                                     '256x256, batch 1 (paper: 256x512, batch 32), no VGG loss'),
    },
    'pggan': {
        'chapter': dict(config=dict(_DIGITS, fmap_base=512, fmap_max=32), batch=16,
                        label='chapter: 32 px digits at full resolution (lod 0), '
                              'fmap_base 512, fmap_max 32, batch 16'),
        'paper': dict(config=dict(image_size=256, channels=3, fmap_base=8192, fmap_max=512),
                      batch=4, label='paper networks at 256 px (lod 0), batch 4 '
                                     '(paper: 1024 px, batch 4 at 1024)'),
    },
    'stylegan2': {
        'chapter': dict(config=dict(_DIGITS, channel_base=1024, channel_max=64), batch=32,
                        label='book size: 32 px digits, channel_max 64, batch 32, '
                              'lazy R1 + path length as configured'),
        'paper': dict(config=dict(image_size=256, channels=3, z_dim=512, w_dim=512,
                                  channel_base=16384, channel_max=512),
                      batch=4, label='paper256 networks (NVlabs), batch 4 (paper: 64); '
                                     'the timed iteration has no lazy R1 / path length step'),
    },
    'starganv2': {
        'chapter': dict(config=dict(_DIGITS, num_domains=10, dim_in=16, max_conv_dim=64,
                                    hidden_dim=64), batch=8,
                        label='book size: 32 px digits, 10 domains, dim_in 16, '
                              'max_conv_dim 64, mapping width 64, batch 8'),
        'paper': dict(config=dict(image_size=256, num_domains=3), batch=2,
                      label='paper: AFHQ networks (256 px, 3 domains), batch 2 (paper: 8)'),
    },
    'ugatit': {
        'chapter': dict(config=dict(image_size=64, ngf=16, ndf=16, light=True), batch=1,
                        label='book size: 64 px, light, ngf/ndf 16, batch 1'),
        'paper': dict(config=dict(image_size=256, light=True), batch=1,
                      label='paper light model: 256 px, ngf/ndf 64, batch 1'),
    },
}
