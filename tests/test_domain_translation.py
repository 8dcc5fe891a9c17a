"""StarGAN (v1) on one-hot domain labels, and the scores of translation into domains with
styles (:mod:`d2gan.metrics.domain_translation`) checked on models whose answers are known."""
import numpy as np
import pytest
from mxnet import nd

import d2gan
from d2gan.data import digit_domains as dd
from d2gan.data.domain_labels import domain_attribute_data, domains_of, one_hot_domains
from d2gan.gans.editing import train_editor
from d2gan.metrics import domain_translation as dt


@pytest.fixture(scope='module')
def val(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('domains'))
    dd.make_digit_domains(root, verbose=False)
    X, y, names = dd.load_digit_domains('val', root, image_size=32)
    return X, y, names


def test_one_hot_domains_round_trip_and_refuse_what_is_not_one_domain():
    y = np.array([2, 0, 1, 2])
    A = one_hot_domains(y, 3)
    assert A.dtype == np.float32 and A.tolist()[0] == [0, 0, 1]
    assert domains_of(A).tolist() == y.tolist()
    assert one_hot_domains(y).shape == (4, 3)
    with pytest.raises(ValueError, match='does not fit 2 domains'):
        one_hot_domains(y, 2)
    with pytest.raises(ValueError, match='one-hot'):
        domains_of(np.array([[1, 1, 0]]))
    data = domain_attribute_data(np.zeros((4, 3, 8, 8)), y, ('a', 'b', 'c'), labels=[5, 6, 7, 8])
    assert data.names == ('a', 'b', 'c') and data.attrs.shape == (4, 3)
    assert data.subset([1, 3]).labels.tolist() == [6, 8]


def test_stargan_trains_on_one_hot_domains_and_translates_between_them(val):
    X, y, names = val
    keep = np.concatenate([np.flatnonzero(y == d)[:8] for d in range(3)])
    data = domain_attribute_data(X[keep], y[keep], names)
    step, state = train_editor('stargan', data, iterations=2, batch_size=8, n_critic=1)
    assert step.net_G.c_dim == 3 and state.iteration == 2
    translate, stochastic = dt.translator(step)
    out = translate(X[:5], y[:5], 1)
    assert out.shape == (5, 3, 32, 32) and not stochastic
    # the target label is what G sees: another domain gives another output
    assert np.abs(translate(X[:5], y[:5], 2) - out).max() > 0


def test_a_domains_stargan_edits_into_one_domain_at_a_time(val):
    X, y, names = val
    keep = np.concatenate([np.flatnonzero(y == d)[:4] for d in range(3)])
    data = domain_attribute_data(X[keep], y[keep], names)
    step, _ = train_editor('stargan', data, iterations=1, batch_size=6, n_critic=1,
                           domains=True, image_size=32)          # image_size: agrees with data
    A = data.attrs[:5]
    for d in range(3):                   # every row goes to domain d, whatever it was before
        assert step.flip_targets(A, d).tolist() == [[float(i == d) for i in range(3)]] * 5
    step.set_sample_data(X[:4], data.attrs[:4], names)
    assert step.sample(8, seed=0).shape == (4 * 2, 3, 32, 32)  # originals + one row per domain
    with pytest.raises(ValueError, match=r'one domain per image; row 1 is \[1.0, 1.0, 0.0\]'):
        step.train_step((X[:2], np.array([[0, 1, 0], [1, 1, 0]], np.float32)))
    with pytest.raises(ValueError, match="target_mode='shuffle'"):
        d2gan.build_gan('stargan', attrs=list(names), domains=True, target_mode='flip',
                        image_size=32, conv_dim=4, repeat_num=1, d_conv_dim=4, d_repeat_num=2)
    with pytest.raises(ValueError, match=r'takes image_size from the data \(32\), got '
                                         r'image_size=64: resize the images instead'):
        train_editor('stargan', data, iterations=1, image_size=64)


class ReferenceCopier:
    """A stand-in StarGAN v2 whose reference-guided output IS the reference and whose
    latent-guided output is the source itself."""
    latent_dim = 2
    F_ema = None

    def translate(self, X, y_trg, z=None, reference=None):
        return nd.array(reference if reference is not None else X)


def test_scores_of_models_whose_answers_are_known(val):
    X, y, names = val
    src = np.concatenate([np.flatnonzero(y == d)[:10] for d in range(3)])
    real = {d: X[y == d][40:140] for d in range(3)}
    refs = (X[y >= 0][200:], y[200:])
    classifier = d2gan.metrics.DigitFeatures(verbose=False)
    copy = dt.score_translations('copy', X[src], y[src], refs, real, num_styles=3,
                                 names=names, classifier=classifier)
    assert copy['num_pairs'] == 60 and copy['domain'] == 0 and copy['identity'] == 1
    assert copy['diversity'] == 0 and copy['hue_spread'] == 0
    assert 0.1 < copy['hue_to_ref'] < 0.4 and 0.1 < copy['hue_to_other'] < 0.4
    assert set(copy['fid']) == set(names) and all(v > 0 for v in copy['fid'].values())
    copier = dt.score_translations(ReferenceCopier(), X[src], y[src], refs, real,
                                   num_styles=3, classifier=classifier)
    assert copier['ref_domain'] == 1 and copier['hue_to_ref'] == 0
    assert copier['hue_to_other'] > 0.1
    assert copier['domain'] == 0 and copier['identity'] == 1 and copier['diversity'] == 0
    # copying the other domains' images is far from the target domain's real images; other
    # real images of the target domain are near
    for d, name in enumerate(names):
        floor = d2gan.metrics.fid_from_features(classifier(X[y == d][140:240])[0],
                                                classifier(real[d])[0])
        assert copy["fid"][name] > 1.5 * floor
    table = dt.translation_table({'copy': copy, 'copier': copier})
    assert table.splitlines()[0].split()[:3] == ['model', 'domain', 'identity']
    assert 'fid[paper]' in table and len(table.splitlines()) == 4


def test_pairs_and_grids(val):
    X, y, _ = val
    src, trg = dt.translation_pairs(np.array([0, 2]), 3)
    assert src.tolist() == [0, 0, 1, 1] and trg.tolist() == [1, 2, 0, 1]
    images, nrow = dt.latent_grid('copy', X[:2], y[:2], num_styles=2)
    assert nrow == 7 and images.shape == (14, 3, 32, 32)
    np.testing.assert_array_equal(images.asnumpy()[7], X[1])
    images, nrow = dt.reference_grid(ReferenceCopier(), X[:2], y[:2], X[5:8], y[5:8])
    assert nrow == 4 and images.shape == (12, 3, 32, 32)
    np.testing.assert_array_equal(images.asnumpy()[5:8], X[5:8])
