"""The built book as a reader's browser shows it: typeset formulas offline, images, links.

``scripts/run_tests.sh`` builds the quick book first and points ``D2GAN_BOOK_HTML`` at it;
run alone, without a built book, these tests are skipped. The browser is headless Chromium with
no network (``scripts/book_browser.py``), so MathJax must come from the book itself.
"""
import os
import sys
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import book_browser  # noqa: E402

HTML = os.environ.get('D2GAN_BOOK_HTML')
pytestmark = pytest.mark.skipif(not HTML, reason='no built book: scripts/run_tests.sh sets '
                                                 'D2GAN_BOOK_HTML after the quick build')


def html_files():
    for folder, dirs, files in os.walk(HTML):
        dirs[:] = [d for d in dirs if not d.startswith('_')]
        for name in files:
            if name.endswith('.html'):
                yield os.path.join(folder, name)


@pytest.fixture(scope='module')
def reports():
    with book_browser.Browser() as browser:
        return {doc: browser.report(book_browser.page_url(HTML, doc)) for doc in book_browser.toc_docnames(ROOT)}


def test_every_formula_is_typeset_offline(reports):
    with_math = {doc: r for doc, r in reports.items() if r['math']}
    assert len(with_math) >= 10, sorted(with_math)   # the book is full of formulas
    for doc, r in with_math.items():
        assert r['mathjax_version'], f'{doc}: MathJax did not load'
        assert r['untypeset'] == [], f'{doc}: raw TeX left: {r["untypeset"][:3]}'


def test_every_image_loads(reports):
    assert sum(r['images'] for r in reports.values()) >= 20   # the trained results are images
    for doc, r in reports.items():
        assert r['broken_images'] == [], f'{doc}: images that did not load: {r["broken_images"]}'


def test_quick_build_says_so_on_every_page(reports):
    for doc, r in reports.items():
        assert 'D2GAN_QUICK' in r['announcement'], f'{doc}: no quick-build banner'


def ids_in(path, cache={}):
    if path not in cache:
        with open(path, encoding='utf-8') as f:
            soup = BeautifulSoup(f, 'html.parser')
        cache[path] = {el['id'] for el in soup.find_all(id=True)} | {
            el['name'] for el in soup.find_all('a', attrs={'name': True})}
    return cache[path]


def test_no_internal_link_or_asset_is_broken():
    broken, checked = [], 0
    for page in html_files():
        with open(page, encoding='utf-8') as f:
            soup = BeautifulSoup(f, 'html.parser')
        refs = [(tag, attr, tag.get(attr)) for tag, attr in
                [(t, 'href') for t in soup.find_all(['a', 'link'], href=True)] +
                [(t, 'src') for t in soup.find_all(['img', 'script'], src=True)]]
        for tag, attr, ref in refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or ref.startswith('data:'):
                continue   # external: not ours to check offline
            target = (os.path.normpath(os.path.join(os.path.dirname(page), unquote(parts.path)))
                      if parts.path else page)
            checked += 1
            if not os.path.exists(target):
                broken.append(f'{os.path.relpath(page, HTML)}: {ref} (no file)')
            elif parts.fragment and target.endswith('.html') and \
                    unquote(parts.fragment) not in ids_in(target):
                broken.append(f'{os.path.relpath(page, HTML)}: {ref} (no such anchor)')
    assert checked > 500, checked
    assert broken == [], broken[:20]


def page_soup(docname):
    with open(os.path.join(HTML, docname + '.html'), encoding='utf-8') as f:
        return BeautifulSoup(f, 'html.parser')


def test_execution_table_has_the_books_headers():
    headers = [th.get_text(strip=True) for th in
               page_soup('chapters/appendix/execution_times').find('thead').find_all('th')]
    assert headers == ['笔记本', '修改时间', '执行方式', '运行时间（秒）', '状态']


def test_glued_numbers_reach_the_prose():
    pasted = page_soup('chapters/10_style_gans/pggan').find_all(class_='pasted-text')
    assert len(pasted) >= 8
    texts = [p.get_text() for p in pasted]
    assert all(t.strip() for t in texts), texts
