"""The book's configuration and build commands.

zh_CN, executed chapters, a failing notebook fails the build, the book command executes every
notebook whatever ran before, and a quick build is marked as such on every page.
"""
import os
import shutil
import subprocess
import sys

import nbformat
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, '_ext'), os.path.join(ROOT, 'scripts')]
import book_browser  # noqa: E402
import d2gan_book  # noqa: E402


def load(name):
    with open(os.path.join(ROOT, name), encoding='utf-8') as f:
        return yaml.safe_load(f)


def test_config_executes_and_fails_on_errors():
    config = load('_config.yml')
    assert config['execute']['execute_notebooks'] == 'force'
    assert config['sphinx']['config']['language'] == 'zh_CN'
    assert config['sphinx']['config']['nb_execution_raise_on_error'] is True


def test_every_chapter_notebook_is_in_the_toc_and_has_no_outputs():
    listed = set(book_browser.toc_docnames(ROOT))
    notebooks = set()
    for folder, _, files in os.walk(os.path.join(ROOT, 'chapters')):
        if '.ipynb_checkpoints' in folder:
            continue
        for name in files:
            if name.endswith('.ipynb'):
                path = os.path.join(folder, name)
                notebooks.add(os.path.relpath(path, ROOT)[:-len('.ipynb')])
                nb = nbformat.read(path, as_version=4)
                assert not any(c.get('outputs') for c in nb.cells if c.cell_type == 'code'), path
                text = ''.join(c.source for c in nb.cells)
                assert 'TODO' not in text, path
    assert notebooks and notebooks <= listed, sorted(notebooks - listed)


def tiny_book(folder, source):
    """A one-notebook book with the real configuration; the notebook runs ``source``."""
    shutil.copy(os.path.join(ROOT, '_config.yml'), folder)
    shutil.copy(os.path.join(ROOT, 'references.bib'), folder)   # bibtex_bibfiles in the config
    shutil.copytree(os.path.join(ROOT, '_ext'), folder / '_ext')
    (folder / '_toc.yml').write_text('format: jb-book\nroot: intro\nchapters:\n  - file: run\n')
    (folder / 'intro.md').write_text('# Intro\n\n$x^2$\n')
    nb = nbformat.v4.new_notebook()
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3',
                                 'language': 'python'}
    nb.cells = [nbformat.v4.new_markdown_cell('# Run'), nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, str(folder / 'run.ipynb'))


def test_a_failing_notebook_fails_the_build(tmp_path):
    tiny_book(tmp_path, 'raise ValueError("boom")')
    jb = os.path.join(os.path.dirname(sys.executable), 'jupyter-book')
    result = subprocess.run([jb, 'build', str(tmp_path)], capture_output=True, text=True)
    assert result.returncode != 0
    assert 'boom' in result.stdout + result.stderr


def test_book_command_executes_again_after_a_quick_build(tmp_path):
    """A quick build left in _build (Sphinx's pickled environment included) is not reused."""
    tiny_book(tmp_path, 'import os\nprint("run:", "quick" if os.environ.get("D2GAN_QUICK") else "full")')
    jb = os.path.join(os.path.dirname(sys.executable), 'jupyter-book')
    quick = subprocess.run([jb, 'build', str(tmp_path)], capture_output=True, text=True,
                           env=dict(os.environ, D2GAN_QUICK='1'))
    assert quick.returncode == 0, quick.stdout[-2000:]
    page = tmp_path / '_build' / 'html' / 'run.html'
    assert 'run: quick' in page.read_text(encoding='utf-8')
    env = {k: v for k, v in os.environ.items() if k != 'D2GAN_QUICK'}
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env['PATH']
    full = subprocess.run(['bash', os.path.join(ROOT, 'scripts', 'build_book.sh'), str(tmp_path)],
                          capture_output=True, text=True, env=env)
    assert full.returncode == 0, full.stdout[-2000:] + full.stderr[-2000:]
    html = page.read_text(encoding='utf-8')
    assert 'run: full' in html and 'run: quick' not in html
    assert 'D2GAN_QUICK=1' not in html   # no quick-build banner on the book
    assert 'Notebook execution times:' in full.stdout and 'total (1 notebooks, full run)' in full.stdout
    assert (tmp_path / '_build' / 'html' / '_static' / 'mathjax' / 'tex-chtml.js').exists()


class FakeConfig:
    html_theme_options = {'logo': 'x'}


def test_quick_build_banner_only_in_quick_mode(monkeypatch):
    monkeypatch.setenv('D2GAN_QUICK', '1')
    config = FakeConfig()
    d2gan_book.mark_quick_build(None, config)
    assert 'D2GAN_QUICK=1' in config.html_theme_options['announcement']
    assert config.html_theme_options['logo'] == 'x'
    monkeypatch.setenv('D2GAN_QUICK', '0')
    config = FakeConfig()
    d2gan_book.mark_quick_build(None, config)
    assert 'announcement' not in config.html_theme_options
