"""The book's configuration: zh_CN, executed chapters, and a failing notebook fails the build."""
import os
import shutil
import subprocess
import sys

import nbformat
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(name):
    with open(os.path.join(ROOT, name), encoding='utf-8') as f:
        return yaml.safe_load(f)


def toc_files(entries):
    for entry in entries:
        if 'file' in entry:
            yield entry['file']
        for key in ('chapters', 'sections', 'parts'):
            yield from toc_files(entry.get(key, []))


def test_config_executes_and_fails_on_errors():
    config = load('_config.yml')
    assert config['execute']['execute_notebooks'] == 'force'
    assert config['sphinx']['config']['language'] == 'zh_CN'
    assert config['sphinx']['config']['nb_execution_raise_on_error'] is True


def test_every_chapter_notebook_is_in_the_toc_and_has_no_outputs():
    toc = load('_toc.yml')
    listed = set(toc_files(toc['parts']))
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


def test_a_failing_notebook_fails_the_build(tmp_path):
    shutil.copy(os.path.join(ROOT, '_config.yml'), tmp_path)
    (tmp_path / '_toc.yml').write_text('format: jb-book\nroot: intro\nchapters:\n  - file: bad\n')
    (tmp_path / 'intro.md').write_text('# Intro\n')
    nb = nbformat.v4.new_notebook()
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3',
                                 'language': 'python'}
    nb.cells = [nbformat.v4.new_markdown_cell('# Bad'),
                nbformat.v4.new_code_cell('raise ValueError("boom")')]
    nbformat.write(nb, str(tmp_path / 'bad.ipynb'))
    jb = os.path.join(os.path.dirname(sys.executable), 'jupyter-book')
    result = subprocess.run([jb, 'build', str(tmp_path)], capture_output=True, text=True)
    assert result.returncode != 0
    assert 'boom' in result.stdout + result.stderr
