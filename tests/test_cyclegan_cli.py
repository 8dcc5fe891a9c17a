"""`python -m d2gan train --model cyclegan` and `infer --direction`, on a tiny photo/cartoon set."""
import d2gan
from d2gan.cli import main
from d2gan.data import cartoon_synth


def test_train_resume_and_infer_both_directions(tmp_path, capsys):
    root = cartoon_synth.make_photo2cartoon(tmp_path / 'p2c', {'train': 4, 'test': 2}, size=32)
    out = str(tmp_path / 'run')
    args = ['train', '--model', 'cyclegan', '--dataroot', root, '--image-size', '32',
            '--ngf', '4', '--ndf', '4', '--batch-size', '2', '--epochs', '1', '--out', out]
    assert main(args) == 0
    assert 'folder' in capsys.readouterr().out
    assert (tmp_path / 'run' / 'samples' / 'epoch_001.png').exists()
    assert main(args) == 2                                       # never overwrites a run
    resume = args[:args.index('--epochs') + 1] + ['2', '--out', out, '--resume']
    assert main(resume) == 0
    ckpt = str(tmp_path / 'run' / 'checkpoint.ckpt')
    meta = d2gan.train.read_meta(ckpt)
    assert meta['epoch'] == 2 and meta['config']['n_epochs'] == 1
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
