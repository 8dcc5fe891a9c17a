"""The benchmark tables that chapter 9 and the README show, computed from the saved results.

``model_table.py --save`` and ``scale_throughput.py --save`` keep their measurements in
``benchmarks/results/``; this module turns them into rows (ratios, GFLOP per image, share of
the machine's peak) in one place, so the chapter's tables, the numbers its text quotes and the
README's tables are the same figures from the same run. The README's tables sit between
``<!-- NAME:start -->`` / ``<!-- NAME:end -->`` markers and are rewritten by

    python benchmarks/tables.py --readme          # after a benchmark's --save

(``tests/test_benchmark_tables.py`` fails when they differ from the saved results).
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from results import load_results  # noqa: E402

README = os.path.join(HERE, '..', 'README.md')


def _ratio(a, b):
    return a / b if a and b else None


def ratio_range(row):
    """``(lowest, highest)`` d2gan / PyTorch ratio over a ``model_table`` row's rounds (round
    i's d2gan run over round i's PyTorch run), or None without runs of both."""
    ours, theirs = row['d2gan'].get('runs'), (row.get('torch') or {}).get('runs')
    if not ours or not theirs:
        return None
    ratios = [a / b for a, b in zip(ours, theirs)]
    return min(ratios), max(ratios)


def model_rows(data):
    """One dict per (model, setting) of ``model_table``'s results: images/s of both frameworks
    (each the median of the row's rounds), their ratio and its range over the rounds, GFLOP per
    training image and each framework's share of the peak (%)."""
    peak = data['peak_gflops']
    rows = []
    for r in data['rows']:
        ours, theirs = r['d2gan'], r.get('torch') or {}
        gflop = ours['flops_per_image'] / 1e9
        pt = theirs.get('images_per_s')
        spread = ratio_range(r)
        rows.append({'model': r['model'], 'setting': r['setting'], 'batch': r['batch'],
                     'd2gan images/s': ours['images_per_s'], 'PyTorch images/s': pt,
                     'd2gan / PyTorch': _ratio(ours['images_per_s'], pt),
                     'rounds': r.get('rounds', 1),
                     'ratio range': f'{spread[0]:.2f}-{spread[1]:.2f}'
                     if spread and r.get('rounds', 1) > 1 else None,
                     'GFLOP per image': gflop,
                     'd2gan % of peak': 100 * ours['images_per_s'] * gflop / peak,
                     'PyTorch % of peak': 100 * pt * gflop / peak if pt else None,
                     'parameters': r['arch']})
    return rows


def scale_rows(data):
    """One dict per model of ``scale_throughput``'s results: images/s of each way of running
    the same iteration and the ratios the chapter reads."""
    rows = []
    for r in data['rows']:
        best = max(r['imperative'], r['hybridized'])
        rows.append({'model': r['model'], 'batch': r['batch'], 'imperative': r['imperative'],
                     'hybridize': r['hybridized'], 'PyTorch': r.get('torch'),
                     '2 contexts': r.get('2 contexts'), '2 workers': r.get('2 workers'),
                     'hybridize / imperative': _ratio(r['hybridized'], r['imperative']),
                     'd2gan / PyTorch': _ratio(best, r.get('torch')),
                     '2 workers / 1': _ratio(r.get('2 workers'), r['hybridized'])})
    return rows


def split_rows(data):
    """One dict per (model, setting) of ``engine_split``'s results: ms per iteration of d2gan,
    of its Python thread alone and of its engine alone (convolutions and matrix products, and
    the rest), PyTorch's, and three ratios to PyTorch: now, with Python hidden completely behind
    the operators (``overlap``), and with no Python at all (``engine only``). A step that waits
    for the engine inside every iteration (``waits``) has neither part timed alone."""
    rows = []
    for r in data['rows']:
        ours, theirs = r['d2gan'], r.get('torch') or {}
        pt = theirs.get('iteration_ms')
        python, engine = ours.get('python_ms'), ours.get('engine_ms')
        conv = engine * ours['matmul_share'] if engine is not None else None
        pt_conv = pt * theirs['matmul_share'] if pt else None
        rows.append({'model': r['model'], 'setting': r['setting'],
                     'd2gan ms': ours['iteration_ms'], 'Python ms': python, 'engine ms': engine,
                     'engine conv ms': conv,
                     'engine other ms': engine - conv if engine is not None else None,
                     'PyTorch ms': pt, 'PyTorch conv ms': pt_conv,
                     'PyTorch other ms': pt - pt_conv if pt else None,
                     'now': _ratio(pt, ours['iteration_ms']),
                     'overlap': _ratio(pt, max(python, engine)) if engine is not None else None,
                     'engine only': _ratio(pt, engine),
                     'waits': bool(ours.get('waits'))})
    return rows


def _cell(value, column):
    if value is None:
        return '-'
    if isinstance(value, str):
        return value
    if '%' in column:
        return f'{value:.0f}%'
    if '/' in column and 'images/s' not in column:
        return f'{value:.2f}'
    if isinstance(value, int):
        return str(value)
    return f'{value:#,.3g}' if abs(value) < 1000 else f'{value:,.0f}'


def markdown(rows, columns):
    """``rows`` as a Markdown table of ``columns`` (3 significant digits, ratios to 0.01)."""
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    lines += ['| ' + ' | '.join(_cell(r[c], c) for c in columns) + ' |' for r in rows]
    return '\n'.join(lines)


def about(machine):
    """One line saying where and how a result was measured."""
    cpu = f" ({machine['cpu']})" if machine.get('cpu') else ''
    return (f"{machine['date']}, {machine['cpu_count']} CPU cores{cpu}, load average "
            f"{machine['load_at_start']} at the start, MXNet {machine.get('mxnet', '?')}: "
            f"`{machine['command']}`")


def readme_blocks():
    """``{marker name: Markdown}`` of every README table rendered from the saved results."""
    models = load_results('model_table')
    scale = load_results('scale_throughput')
    model_cols = ['model', 'setting', 'batch', 'd2gan images/s', 'PyTorch images/s',
                  'd2gan / PyTorch', 'rounds', 'ratio range', 'GFLOP per image',
                  'd2gan % of peak', 'PyTorch % of peak']
    scale_cols = ['model', 'batch', 'imperative', 'hybridize', 'PyTorch', '2 contexts',
                  '2 workers', 'd2gan / PyTorch']
    return {
        'model_table': (markdown(model_rows(models), model_cols) + '\n\n'
                        + f"Peak {models['peak_gflops']:.1f} GFLOP/s; measured "
                        + about(models['machine']) + '.'),
        'scale_throughput': (markdown(scale_rows(scale), scale_cols) + '\n\nMeasured '
                             + about(scale['machine']) + '.'),
    }


def _block_pattern(name):
    return re.compile(rf'(<!-- {name}:start -->\n)(.*?)(\n<!-- {name}:end -->)', re.S)


def read_block(text, name):
    """The text between ``name``'s markers in ``text``; ``ValueError`` when they are missing."""
    m = _block_pattern(name).search(text)
    if m is None:
        raise ValueError(f'no <!-- {name}:start --> ... <!-- {name}:end --> block in the README')
    return m.group(2)


def write_blocks(text, blocks):
    """``text`` with each named block replaced by its new content."""
    for name, content in blocks.items():
        read_block(text, name)
        text = _block_pattern(name).sub(lambda m: m.group(1) + content + m.group(3), text)
    return text


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--readme', action='store_true',
                   help="rewrite the README's benchmark tables from benchmarks/results/")
    args = p.parse_args(argv)
    blocks = readme_blocks()
    if not args.readme:
        for name, content in blocks.items():
            print(f'## {name}\n{content}\n')
        return
    with open(README, encoding='utf-8') as f:
        text = f.read()
    new = write_blocks(text, blocks)
    if new != text:
        with open(README, 'w', encoding='utf-8') as f:
            f.write(new)
    print('README.md', 'updated' if new != text else 'already up to date')


if __name__ == '__main__':
    main()
