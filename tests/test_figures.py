"""The book's diagrams (``img/*.svg``) are drawn by ``scripts/draw_figures.py``: every committed
drawing must be what the code draws today, and every drawing a page shows must have its code."""
import filecmp
import glob
import os
import re
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), '..')
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import draw_figures  # noqa: E402

HAND_DRAWN = {'spade_architecture'}     # drawn before the script existed; edited by hand


@pytest.mark.parametrize('name', sorted(draw_figures.FIGURES))
def test_committed_svg_is_what_the_code_draws(name, tmp_path):
    out = tmp_path / f'{name}.svg'
    draw_figures.FIGURES[name]().save(str(out))
    committed = os.path.join(draw_figures.IMG, f'{name}.svg')
    assert os.path.exists(committed), f'img/{name}.svg missing: python scripts/draw_figures.py {name}'
    assert filecmp.cmp(str(out), committed, shallow=False), \
        f'img/{name}.svg differs from its code: python scripts/draw_figures.py {name}'


def test_every_svg_the_book_shows_has_its_code():
    pages = glob.glob(os.path.join(ROOT, 'chapters', '**', '*.ipynb'), recursive=True) + \
        glob.glob(os.path.join(ROOT, 'chapters', '**', '*.md'), recursive=True) + \
        [os.path.join(ROOT, 'intro.md')]
    shown = set()
    for page in pages:
        with open(page, encoding='utf-8') as f:
            shown.update(re.findall(r'img/([\w-]+)\.svg', f.read()))
    assert shown, 'no figure found: the pattern is wrong'
    assert shown - set(draw_figures.FIGURES) - HAND_DRAWN == set()
    assert 'stylegan' in shown
