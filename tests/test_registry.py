"""The recipe registry: every recipe's batch kind in one place, and the public names it serves."""
import pytest

import d2gan
from d2gan import cli
from d2gan.registry import BATCH_KINDS, RECIPES, Registry, batch_kind, register_recipe

EXPECTED_KINDS = {
    'dcgan': 'images', 'lsgan': 'images', 'wgan': 'images', 'wgan-gp': 'images',
    'hinge-sn': 'images', 'cgan': 'labelled', 'pix2pix': 'paired', 'cyclegan': 'unpaired',
    'spade': 'semantic', 'stargan': 'attributes', 'attgan': 'attributes', 'stgan': 'attributes',
    'stylegan2': 'images', 'pggan': 'images', 'starganv2': 'labelled', 'ugatit': 'unpaired',
    'photo2cartoon': 'unpaired',
}


def test_every_recipe_has_its_batch_kind():
    assert {name: batch_kind(name) for name in d2gan.list_gans()} == EXPECTED_KINDS
    assert set(EXPECTED_KINDS.values()) == set(BATCH_KINDS)


def test_built_step_carries_the_registered_kind():
    step = d2gan.build_gan('cgan', ngf=8, ndf=8)
    assert step.batch_kind == 'labelled' and step.config['model'] == 'cgan'


def test_unknown_names_and_kinds_are_clear_errors():
    with pytest.raises(KeyError, match='valid names are: attgan, cgan'):
        batch_kind('nope')
    with pytest.raises(ValueError, match='batch kind must be one of'):
        register_recipe('never', batch_kind='pairs')
    assert 'never' not in RECIPES


def test_registry_keeps_facts_per_name():
    reg = Registry('thing')
    reg.register('a', colour='red')(dict)
    assert reg.info('a') == {'colour': 'red'} and reg.get('a', x=1) == {'x': 1}
    with pytest.raises(ValueError, match='registered twice'):
        reg.register('a')(dict)


def test_sample_refuses_translation_kinds(tmp_path, capsys):
    step = d2gan.build_gan('pix2pix', image_size=32, ngf=8, ndf=8)
    path = str(tmp_path / 'p2p.ckpt')
    d2gan.save_checkpoint(path, step, {'epoch': 0, 'iteration': 0})
    assert cli.main(['sample', '--checkpoint', path, '--out', str(tmp_path / 'g.png')]) == 2
    assert 'a pix2pix checkpoint translates' in capsys.readouterr().err


def test_public_names_keep_their_paths():
    for name in ('GANStep', 'CGANStep', 'Pix2PixStep', 'CycleGANStep', 'SPADEStep',
                 'StarGANStep', 'AttGANStep', 'translation_metrics'):
        assert getattr(d2gan, name) is getattr(d2gan.gans, name) is getattr(d2gan.train, name)
    from d2gan.train import RECIPES as train_recipes, build_gan
    assert train_recipes is RECIPES and build_gan is d2gan.build_gan
    assert d2gan.get_model('dcgan_generator', latent_dim=4) is not None
    assert d2gan.pick(1, 2) in (1, 2) and isinstance(d2gan.quick_mode(), bool)
