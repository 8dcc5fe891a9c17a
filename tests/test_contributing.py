"""The guide's example family (``CONTRIBUTING.md``) works as written.

Its two files are loaded as ``d2gan.models.fcgan`` and ``d2gan.gans.fcgan`` in a child process
(so the extra names never reach this process's registries), then the recipe is listed, trained
and sampled from the command line and built from Python.
"""
import os
import re
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = textwrap.dedent('''
    import importlib.util, io, os, sys, contextlib
    import numpy as np
    import d2gan
    from d2gan import cli

    folder, out = sys.argv[1], sys.argv[2]
    for name in ('d2gan.models.fcgan', 'd2gan.gans.fcgan'):
        path = os.path.join(folder, name.split('.')[1], 'fcgan.py')
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)

    listing = io.StringIO()
    with contextlib.redirect_stdout(listing):
        assert cli.main(['models']) == 0
    assert 'fcgan' in listing.getvalue() and 'fc_generator' in listing.getvalue()
    assert d2gan.registry.batch_kind('fcgan') == 'images'

    assert cli.main(['train', '--model', 'fcgan', '--epochs', '1', '--limit', '128',
                     '--device', 'cpu', '--out', out]) == 0
    ckpt = os.path.join(out, 'checkpoint.ckpt')
    assert cli.main(['sample', '--checkpoint', ckpt, '--num', '4', '--nrow', '2',
                     '--out', os.path.join(out, 'grid.png')]) == 0

    X = np.random.default_rng(0).uniform(-1, 1, (128, 1, 32, 32)).astype('float32')
    step = d2gan.build_gan('fcgan', image_size=32, channels=1)
    state = d2gan.train_gan(step, d2gan.ArrayBatches(X, 64), num_epochs=1)
    assert state.iteration == 2 and step.sample(3).shape == (3, 1, 32, 32)
    print('guide example ok')
''')


def _python_blocks(text):
    return re.findall(r'```python\n(.*?)```', text, re.S)


def test_guide_example_runs(tmp_path):
    with open(os.path.join(ROOT, 'CONTRIBUTING.md'), encoding='utf-8') as f:
        blocks = _python_blocks(f.read())
    model_file, gan_file = blocks[0], blocks[1]
    assert 'MODELS.register' in model_file and 'register_recipe' in gan_file
    for part, source in (('models', model_file), ('gans', gan_file)):
        (tmp_path / part).mkdir()
        (tmp_path / part / 'fcgan.py').write_text(source)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    done = subprocess.run([sys.executable, '-c', CHILD, str(tmp_path), str(tmp_path / 'run')],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert 'guide example ok' in done.stdout
