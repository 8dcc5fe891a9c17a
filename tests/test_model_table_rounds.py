"""``benchmarks/model_table.py``'s rounds: d2gan and PyTorch runs alternate which goes first,
each side is summarised by its median run, and the printed range pairs round i's runs."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
import model_table  # noqa: E402

PARAMS = {'G': 10, 'D': 20}


def fake_sides(monkeypatch, ours, theirs, torch_params=PARAMS):
    calls = []
    ours, theirs = iter(ours), iter(theirs)

    def d2gan(model, setting, iters, warmup):
        calls.append('d2gan')
        return {'images_per_s': next(ours), 'flops_per_image': 1e8, 'params': PARAMS}

    def torch(python, path, model, setting, iters, warmup, threads):
        calls.append('torch')
        value = next(theirs)
        return value if isinstance(value, dict) else {'images_per_s': value,
                                                      'params': torch_params}

    monkeypatch.setattr(model_table, 'd2gan_row_isolated', d2gan)
    monkeypatch.setattr(model_table, 'torch_row', torch)
    return calls


def test_rounds_alternate_and_each_side_is_its_median_run(monkeypatch):
    calls = fake_sides(monkeypatch, [300.0, 200.0, 250.0], [100.0, 400.0, 200.0])
    row = model_table.timed_row('attgan', 'chapter', 5, 2, 3, 'python', 'twin.py', 2)
    assert calls == ['d2gan', 'torch', 'torch', 'd2gan', 'd2gan', 'torch']
    assert row['d2gan']['images_per_s'] == 250.0 and row['torch']['images_per_s'] == 200.0
    assert row['d2gan']['runs'] == [300.0, 200.0, 250.0]
    assert row['rounds'] == 3 and row['arch'] == 'equal'
    assert model_table.ratio_range(row) == (0.5, 3.0)       # 200/400 and 300/100


def test_an_even_count_takes_the_lower_middle_run():
    runs = [{'images_per_s': v} for v in (4.0, 1.0, 3.0, 2.0)]
    assert model_table.median_run(runs)['images_per_s'] == 2.0


def test_a_failed_torch_round_is_reported_not_averaged(monkeypatch):
    fake_sides(monkeypatch, [10.0, 11.0], [{'error': 'No module named torchvision'}, 9.0])
    row = model_table.timed_row('dcgan', 'chapter', 5, 2, 2, 'python', 'twin.py', 2)
    assert row['torch'] == {'error': 'No module named torchvision'}
    assert row['arch'] == '-' and model_table.ratio_range(row) is None


def test_without_a_twin_only_d2gan_runs(monkeypatch):
    calls = fake_sides(monkeypatch, [10.0], [])
    row = model_table.timed_row('dcgan', 'paper', 1, 1, 1)
    assert calls == ['d2gan'] and 'torch' not in row and row['arch'] == '-'


def test_the_table_prints_the_rounds_range():
    row = {'model': 'attgan', 'setting': 'chapter', 'batch': 16, 'rounds': 2, 'arch': 'equal',
           'd2gan': {'images_per_s': 300.0, 'flops_per_image': 1e8, 'runs': [300.0, 330.0]},
           'torch': {'images_per_s': 250.0, 'runs': [250.0, 300.0]}}
    table = model_table.format_table([row], peak=100.0)
    assert '1.10-1.20 x2' in table and '1.20' in table


def test_the_split_takes_the_rows_under_the_bars():
    import engine_split
    row = lambda m, s, ours, theirs: {  # noqa: E731
        'model': m, 'setting': s, 'batch': 1, 'arch': 'equal',
        'd2gan': {'images_per_s': ours, 'flops_per_image': 1e8},
        'torch': {'images_per_s': theirs} if theirs else None}
    table = {'peak_gflops': 100.0, 'rows': [
        row('dcgan', 'chapter', 130.0, 100.0), row('attgan', 'chapter', 119.0, 100.0),
        row('attgan', 'paper', 99.0, 100.0), row('dcgan', 'paper', 100.0, 100.0),
        row('stgan', 'chapter', 150.0, None)]}
    assert engine_split.rows_under_bars(table) == [('attgan', 'chapter'), ('attgan', 'paper'),
                                                   ('stgan', 'chapter')]
    table['rows'][1] = row('attgan', 'chapter', 130.0, 100.0)      # the worked example is fast
    assert engine_split.rows_under_bars(table) == [('attgan', 'chapter'), ('attgan', 'paper'),
                                                   ('stgan', 'chapter')]
    table['rows'][1] = row('cgan', 'chapter', 130.0, 100.0)
    assert engine_split.rows_under_bars(table)[0] == engine_split.EXAMPLE


def test_the_chapter_and_readme_rows_carry_the_rounds_range():
    import tables
    row = {'model': 'attgan', 'setting': 'chapter', 'batch': 16, 'rounds': 3, 'arch': 'equal',
           'd2gan': {'images_per_s': 300.0, 'flops_per_image': 1e8, 'runs': [300.0, 280.0, 330.0]},
           'torch': {'images_per_s': 250.0, 'runs': [250.0, 280.0, 300.0]}}
    single = dict(row, rounds=1, d2gan={'images_per_s': 300.0, 'flops_per_image': 1e8},
                  torch={'images_per_s': 250.0})
    old = {k: v for k, v in single.items() if k != 'rounds'}    # saved before rounds existed
    out = tables.model_rows({'peak_gflops': 100.0, 'rows': [row, single, old]})
    assert out[0]['ratio range'] == '1.00-1.20' and out[0]['rounds'] == 3
    assert out[1]['ratio range'] is None and out[2]['rounds'] == 1
