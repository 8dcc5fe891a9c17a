"""Sphinx hooks of the d2gan book build.

* A quick build (``D2GAN_QUICK=1``: every chapter trains for one smoke-run epoch) carries a
  banner on every page, so its pages cannot be mistaken for the book.
* At the end of every build, each notebook's execution time and the total are printed (and
  written to ``<outdir>/../execution_times.txt``), so a reader sees where the minutes went and
  a slow cell is found before it reaches the cell timeout.
* myst-nb's execution table (``{nb-exec-table}``, the appendix) gets Chinese column headers.
"""
import os

from docutils import nodes
from myst_nb.sphinx_ import NbMetadataCollector
from sphinx.transforms.post_transforms import SphinxPostTransform

QUICK_BANNER = ('快速构建（D2GAN_QUICK=1）：各章只训练一个冒烟轮次，图像和数字不是本书的结果。'
                '完整的书由 bash scripts/build_book.sh 构建。')


def quick_build():
    """Same rule as ``d2gan.quick_mode`` (the book build does not import the library)."""
    return os.environ.get('D2GAN_QUICK', '0') not in ('', '0', 'false', 'False')


def mark_quick_build(app, config):
    if quick_build():
        config.html_theme_options = dict(config.html_theme_options or {},
                                         announcement=QUICK_BANNER)


def execution_report(env):
    """Lines 'seconds  docname' for every notebook executed in this environment, then the total."""
    rows = []
    for docname, data in sorted(NbMetadataCollector.get_doc_data(env).items()):
        exec_data = data.get('exec_data')
        if exec_data and exec_data.get('runtime') is not None:
            status = '' if exec_data['succeeded'] else '  FAILED'
            rows.append((exec_data['runtime'], docname, status))
    lines = [f'{seconds:8.1f} s  {docname}{status}' for seconds, docname, status in rows]
    total = sum(seconds for seconds, _, _ in rows)
    lines.append(f'{total:8.1f} s  total ({len(rows)} notebooks, '
                 f'{"quick" if quick_build() else "full"} run)')
    return lines


def print_execution_report(app, exception):
    if app.builder.format != 'html':
        return
    lines = execution_report(app.env)
    print('\nNotebook execution times:\n' + '\n'.join(lines), flush=True)
    with open(os.path.join(app.outdir, os.pardir, 'execution_times.txt'), 'w',
              encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


#: myst-nb's English headers of the execution table -> the book's
EXEC_TABLE_HEADERS = {'Document': '笔记本', 'Modified': '修改时间', 'Method': '执行方式',
                      'Run Time (s)': '运行时间（秒）', 'Status': '状态'}


class TranslateExecTableHeaders(SphinxPostTransform):
    """Replace the headers of the execution table, after myst-nb builds it (priority 8)."""

    default_priority = 9

    def run(self, **kwargs):
        for thead in list(self.document.findall(nodes.thead)):
            paragraphs = list(thead.findall(nodes.paragraph))
            if sorted(p.astext() for p in paragraphs) != sorted(EXEC_TABLE_HEADERS):
                continue                   # another table
            for paragraph in paragraphs:
                paragraph.replace_self(nodes.paragraph(
                    text=EXEC_TABLE_HEADERS[paragraph.astext()]))


def setup(app):
    app.add_post_transform(TranslateExecTableHeaders)
    app.connect('config-inited', mark_quick_build)
    app.connect('build-finished', print_execution_report)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
