"""``benchmarks/stylegan2_variants.py`` (v1 vs v2 layers and path length over seeds) and the
feature-peak measurement it reports."""
import json
import os
import sys

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
from mxnet import nd

from d2gan.models.stylegan2 import feature_peak_ratio

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
import stylegan2_variants  # noqa: E402


def test_peak_ratio_is_large_for_a_spike_and_one_for_a_flat_map():
    flat = nd.ones((2, 3, 8, 8)) * -2
    spike = nd.ones((2, 3, 8, 8)) * 0.01
    spike[:, :, 4, 4] = 50
    assert feature_peak_ratio(flat) == pytest.approx(1.0, rel=1e-5)
    # mean |x| = (63 * 0.01 + 50) / 64, max 50
    assert feature_peak_ratio(spike) == pytest.approx(50 / ((63 * 0.01 + 50) / 64), rel=1e-4)


def test_features_are_each_blocks_maps():
    G = d2gan.get_model('stylegan2_generator', resolution=16, img_channels=1, z_dim=8, w_dim=8,
                        mapping_layers=1, channel_base=64, channel_max=8)
    G.initialize()
    ws = G.map(nd.random.normal(shape=(3, 8)))
    maps = G.synthesis.features(ws)
    assert [m.shape for m in maps] == [(3, 8, 4, 4), (3, 8, 8, 8), (3, 4, 16, 16)]
    # the maps of the forward pass itself (noise strengths start at 0: no random term)
    first = G.synthesis.blocks[0]
    x0, _ = first(ws[:, :first.num_conv + 1])
    assert np.allclose(maps[0].asnumpy(), x0.asnumpy(), atol=1e-6)
    assert maps[-1].abs().sum().asscalar() > 0


def test_a_short_run_of_two_variants_measures_everything(tmp_path):
    out = tmp_path / 'variants.json'
    short = ['--chunks', '2', '--epochs-per-chunk', '1', '--train', '64', '--num', '64',
             '--ppl-num', '20', '--quick']
    payload = stylegan2_variants.main(['--seeds', '0', '--json', str(out)] + short)
    assert json.loads(out.read_text())['summary'] == payload['summary']
    assert [(r['variant'], r['seed']) for r in payload['runs']] == [('v2', 0), ('v1', 0),
                                                                    ('v2+pl', 0)]
    for run in payload['runs']:
        assert [c['kimg'] for c in run['curve']] == [0.064, 0.128]
        assert np.isfinite(run['fid']) and run['fid'] > 0 and run['ppl_w'] > 0
        assert sorted(run['peak_ratio'], key=int) == ['4', '8', '16', '32']
        assert all(r >= 1 for r in run['peak_ratio'].values())
    # the two layers are different networks: different results from the same seed
    assert payload['runs'][0]['fid'] != payload['runs'][1]['fid']
    assert payload['summary']['v1']['fids'] == [payload['runs'][1]['fid']]
    # path length regularization changes the training of the same seed
    assert payload['runs'][2]['fid'] != payload['runs'][0]['fid']
    # --keep: finished runs are taken over, not trained again; another protocol is refused
    again = stylegan2_variants.main(['--seeds', '0', '--variants', 'v1', '--keep', str(out)]
                                    + short)
    assert again['runs'] == [payload['runs'][1]]
    with pytest.raises(SystemExit, match='not comparable'):
        stylegan2_variants.main(['--seeds', '0', '--keep', str(out)] + short[2:])


def test_summary_gives_mean_and_spread_over_seeds():
    runs = [{'variant': 'v2', 'seed': s, 'fid': f, 'pixel_spread': 0.2, 'ppl_w': 100.0,
             'minutes': 9.0} for s, f in ((0, 10.0), (1, 20.0))]
    entry = stylegan2_variants.summarize(runs)['v2']
    assert entry['fid'] == 15.0 and entry['fid_std'] == pytest.approx(np.std([10, 20], ddof=1))
    assert entry['seeds'] == [0, 1] and entry['pixel_spread_std'] == 0


@pytest.mark.parametrize('args, message', [(['--variants', 'v3'], 'unknown variant'),
                                           (['--seeds', 'a,b'], 'must be integers')])
def test_bad_arguments_are_named(args, message, capsys):
    with pytest.raises(SystemExit) as err:
        stylegan2_variants.main(args)
    assert message in str(err.value)
