"""`python -m d2gan train --model cyclegan` and `infer --direction`, on a tiny photo/cartoon set."""
import numpy as np

import d2gan
from d2gan.cli import main
from d2gan.data import cartoon_synth


def weights(checkpoint):
    """Every generator weight of a CycleGAN checkpoint, by name."""
    step = d2gan.build_gan(**d2gan.train.read_meta(checkpoint)['config'])
    d2gan.load_checkpoint(checkpoint, step)
    return {f'{g}.{k}': p.data().asnumpy() for g in ('G_A', 'G_B')
            for k, p in step.networks[g]._collect_params_with_prefix().items()}


def test_train_resume_and_infer_both_directions(tmp_path, capsys):
    root = cartoon_synth.make_photo2cartoon(tmp_path / 'p2c', {'train': 4, 'test': 2}, size=32)
    out = str(tmp_path / 'run')
    args = ['train', '--model', 'cyclegan', '--dataroot', root, '--image-size', '32',
            '--ngf', '4', '--ndf', '4', '--batch-size', '2', '--epochs', '1', '--out', out]
    assert main(args) == 0
    assert 'folder' in capsys.readouterr().out
    assert (tmp_path / 'run' / 'samples' / 'epoch_001.png').exists()
    assert main(args) == 2                                       # never overwrites a run
    ckpt = str(tmp_path / 'run' / 'checkpoint.ckpt')
    before = weights(ckpt)
    resume = args[:args.index('--epochs') + 1] + ['3', '--out', out, '--resume']
    wider = [a if a != '4' else '8' for a in resume]          # --ngf 8 --ndf 8
    assert main(wider) == 2                                  # used to train width 4 silently
    assert '--ngf 8 contradicts' in capsys.readouterr().err
    assert main(resume) == 0
    assert 'schedule now spans --epochs 3 (2 constant + 1 decaying' in capsys.readouterr().out
    meta = d2gan.train.read_meta(ckpt)
    assert meta['epoch'] == 3 and (meta['config']['n_epochs'], meta['config']['n_epochs_decay']) \
        == (2, 1)
    after = weights(ckpt)
    assert all(not np.array_equal(before[k], after[k]) for k in before)  # epochs 2-3 trained
    step = d2gan.build_gan(**meta['config'])
    assert [step.learning_rate(e) for e in range(3)] == [2e-4, 2e-4, 1e-4]  # never 0 or < 0
    capsys.readouterr()
    for direction, side in (('AtoB', 'A'), ('BtoA', 'B')):
        target = str(tmp_path / 'p2c' / 'truth' / f'test{side}')
        assert main(['infer', '--checkpoint', ckpt, '--direction', direction, '--input',
                     str(tmp_path / 'p2c' / f'test{side}'), '--target', target,
                     '--out', str(tmp_path / direction)]) == 0
        printed = capsys.readouterr().out
        assert direction in printed and 'PSNR' in printed and 'input copied' in printed
        assert sorted(p.name for p in (tmp_path / direction).iterdir()) == ['0000.png',
                                                                            '0001.png']
    assert main(['sample', '--checkpoint', ckpt, '--out', str(tmp_path / 'g.png')]) == 2
    assert 'infer' in capsys.readouterr().err


def test_light_option_reaches_the_recipe_and_is_refused_elsewhere(tmp_path, capsys):
    root = cartoon_synth.make_photo2cartoon(tmp_path / 'p2c', {'train': 2, 'test': 2}, size=32)
    for flag, light in (('--light', True), ('--no-light', False)):
        out = str(tmp_path / flag)
        assert main(['train', '--model', 'ugatit', '--dataroot', root, '--image-size', '32',
                     '--ngf', '4', '--ndf', '4', '--epochs', '1', flag, '--out', out]) == 0
        assert d2gan.train.read_meta(str(tmp_path / flag / 'checkpoint.ckpt'))['config'][
            'light'] is light
    assert main(['train', '--model', 'dcgan', '--light', '--out', str(tmp_path / 'd')]) == 2
    assert "--light does not apply to 'dcgan'" in capsys.readouterr().err
