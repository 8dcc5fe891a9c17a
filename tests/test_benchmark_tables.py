"""``benchmarks/tables.py``: the README's benchmark tables are the saved results, and the rows
compute their ratios and shares of the peak from the measurements."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))

import tables  # noqa: E402

MACHINE = {'date': '2026-12-05', 'cpu_count': 2, 'load_at_start': 0.1, 'mxnet': '1.9.1',
           'command': 'python benchmarks/model_table.py --save'}


def test_readme_tables_are_the_saved_results():
    with open(tables.README, encoding='utf-8') as f:
        text = f.read()
    for name, content in tables.readme_blocks().items():
        assert tables.read_block(text, name) == content, (
            f'the README\'s {name} table differs from benchmarks/results/{name}.json: '
            'run python benchmarks/tables.py --readme')


def test_model_rows_compute_ratio_and_share_of_peak():
    data = {'peak_gflops': 100.0, 'machine': MACHINE, 'rows': [
        {'model': 'dcgan', 'setting': 'chapter', 'batch': 64, 'arch': 'equal',
         'd2gan': {'images_per_s': 500.0, 'flops_per_image': 0.1e9},
         'torch': {'images_per_s': 400.0}},
        {'model': 'spade', 'setting': 'paper', 'batch': 1, 'arch': '-',
         'd2gan': {'images_per_s': 0.05, 'flops_per_image': 1000e9}}]}
    first, second = tables.model_rows(data)
    assert first['d2gan / PyTorch'] == pytest.approx(1.25)
    assert first['d2gan % of peak'] == pytest.approx(50.0)     # 500 * 0.1 GFLOP of 100
    assert first['PyTorch % of peak'] == pytest.approx(40.0)
    assert second['d2gan / PyTorch'] is None and second['PyTorch % of peak'] is None
    assert second['d2gan % of peak'] == pytest.approx(50.0)


def test_markdown_formats_ratios_shares_and_missing_values():
    rows = [{'model': 'a', 'd2gan / PyTorch': 1.234, 'd2gan % of peak': 55.4,
             'd2gan images/s': 1530.5, 'PyTorch images/s': None, 'batch': 4},
            {'model': 'b', 'd2gan / PyTorch': None, 'd2gan % of peak': 9.6,
             'd2gan images/s': 0.0406, 'PyTorch images/s': 2.51, 'batch': 1}]
    table = tables.markdown(rows, ['model', 'batch', 'd2gan images/s', 'PyTorch images/s',
                                   'd2gan / PyTorch', 'd2gan % of peak'])
    lines = table.splitlines()
    assert lines[2] == '| a | 4 | 1,530 | - | 1.23 | 55% |'
    assert lines[3] == '| b | 1 | 0.0406 | 2.51 | - | 10% |'


def test_blocks_are_replaced_between_their_markers_only():
    text = 'intro\n<!-- t:start -->\nold\n<!-- t:end -->\noutro\n'
    assert tables.write_blocks(text, {'t': 'new\nrows'}) == (
        'intro\n<!-- t:start -->\nnew\nrows\n<!-- t:end -->\noutro\n')
    with pytest.raises(ValueError, match='<!-- other:start -->'):
        tables.write_blocks(text, {'other': 'x'})


def test_split_rows_divide_the_iteration_and_bound_the_ratio():
    data = {'machine': MACHINE, 'rows': [
        {'model': 'attgan', 'setting': 'chapter',
         'd2gan': {'iteration_ms': 40.0, 'python_ms': 10.0, 'engine_ms': 30.0,
                   'matmul_share': 0.4, 'waits': False},
         'torch': {'iteration_ms': 36.0, 'matmul_share': 0.5}},
        {'model': 'cgan', 'setting': 'chapter',
         'd2gan': {'iteration_ms': 70.0, 'python_ms': None, 'engine_ms': None,
                   'matmul_share': 0.75, 'waits': True},
         'torch': {'iteration_ms': 84.0, 'matmul_share': 0.7}},
        {'model': 'spade', 'setting': 'paper',
         'd2gan': {'iteration_ms': 9000.0, 'python_ms': 50.0, 'engine_ms': 8900.0,
                   'matmul_share': 0.7, 'waits': False},
         'torch': {'error': 'no twin'}}]}
    split, waits, no_twin = tables.split_rows(data)
    assert split['now'] == pytest.approx(0.9)                  # 36 / 40
    assert split['overlap'] == pytest.approx(1.2)              # 36 / max(10, 30)
    assert split['engine only'] == pytest.approx(1.2)
    assert split['engine conv ms'] == pytest.approx(12.0)
    assert split['engine other ms'] == pytest.approx(18.0)
    assert split['PyTorch conv ms'] == pytest.approx(18.0)
    assert split['PyTorch other ms'] == pytest.approx(18.0)
    assert waits['waits'] and waits['now'] == pytest.approx(1.2)
    assert waits['overlap'] is None and waits['engine only'] is None
    assert waits['engine conv ms'] is None and waits['Python ms'] is None
    assert no_twin['now'] is None and no_twin['PyTorch ms'] is None
    assert no_twin['engine conv ms'] == pytest.approx(6230.0)


def test_overlap_bound_is_set_by_the_slower_of_python_and_engine():
    row = {'model': 'm', 'setting': 'chapter',
           'd2gan': {'iteration_ms': 50.0, 'python_ms': 30.0, 'engine_ms': 20.0,
                     'matmul_share': 0.5, 'waits': False},
           'torch': {'iteration_ms': 45.0, 'matmul_share': 0.5}}
    (r,) = tables.split_rows({'rows': [row]})
    assert r['overlap'] == pytest.approx(1.5)                  # 45 / 30: Python is the longer
    assert r['engine only'] == pytest.approx(2.25)
