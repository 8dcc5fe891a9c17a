"""``benchmarks/static_alloc.py``: each variant really runs with the memory it names (whatever
the step's own default), the variants alternate between rounds, and the summary takes medians
of images/s and the largest peak memory of each."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
import static_alloc  # noqa: E402


def test_each_variant_runs_with_the_memory_it_names(monkeypatch):
    seen = []
    real = static_alloc.build_step

    def spy(model, setting):
        step, batch, spec = real(model, setting)
        net = step.networks['D']
        original = net.hybridize
        net.hybridize = lambda *a, **k: seen.append(k.get('static_alloc')) or original(*a, **k)
        return step, batch, spec

    monkeypatch.setattr(static_alloc, 'build_step', spy)
    for variant in static_alloc.VARIANTS:
        row = static_alloc.row('stylegan2', 'chapter', variant, iters=1, warmup=0)
        assert row['images_per_s'] > 0 and row['peak_mib'] > 0
    assert seen == [False, True]          # StyleGAN2's default is dynamic; 'static' overrides it


def test_rounds_alternate_and_the_summary_takes_medians(monkeypatch):
    calls = []
    speed = {'dynamic': iter([10.0, 30.0, 20.0]), 'static': iter([12.0, 11.0, 40.0])}

    def fake_isolated(script, flag, args):
        calls.append(args[2])
        return {'images_per_s': next(speed[args[2]]), 'peak_mib': 100.0 + len(calls)}

    monkeypatch.setattr(static_alloc, 'run_isolated', fake_isolated)
    runs = static_alloc.compare('dcgan', 'chapter', rounds=3, iters=1, warmup=0)
    assert calls == ['dynamic', 'static', 'static', 'dynamic', 'dynamic', 'static']
    summary = static_alloc.summary(runs)
    assert summary['dynamic'] == 20.0 and summary['static'] == 12.0
    assert summary['ratio'] == 12.0 / 20.0
    assert summary['peak_mib_dynamic'] == 105.0 and summary['peak_mib_static'] == 106.0


def test_saved_results_are_named_by_setting(monkeypatch):
    saved = []
    monkeypatch.setattr(static_alloc, 'run_isolated',
                        lambda script, flag, args: {'images_per_s': 1.0, 'peak_mib': 1.0})
    monkeypatch.setattr(static_alloc, 'save_results',
                        lambda name, payload, load: saved.append((name, len(payload['rows']))))
    static_alloc.main(['--models', 'dcgan', '--rounds', '1', '--save'])
    static_alloc.main(['--models', 'stylegan2', '--setting', 'paper', '--rounds', '1', '--save'])
    assert saved == [('static_alloc', 1), ('static_alloc_paper', 1)]
