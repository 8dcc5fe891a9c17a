"""Every recipe's networks are hybridized with static memory (``d2gan.train.step.GRAPH_FLAGS``;
StyleGAN2 keeps dynamic memory) and train, from the command line with one seed, to the
parameters that the other kind of memory gives.

Static memory changes where MXNet keeps the activations, not what it computes: the parameters
after two iterations must agree to float precision. (A graph that reused one buffer for two calls
inside one ``autograd.record()`` would back-propagate through the second call's activations
twice; CycleGAN's and StyleGAN2's critics, called on reals and fakes in one recorded step,
would then move far more than this.)

The second test pins why ``d2gan._env`` sets ``MXNET_EXEC_INPLACE_GRAD_SUM_CAP``: with MXNet's
default cap, a static graph asks the library's C++ operators to *add* their gradients into a
shared sum, they write, and U-GAT-IT's generator gets wrong gradients for its mapping layers.
"""
import json
import os
import subprocess
import sys

import pytest
from mxnet import gluon

from d2gan.cli import common
from d2gan.train.step import Step
from test_cli_devices import RECIPE_ARGS, assert_equal_parameters, train


def hybrid_flags(step):
    """``{block name: static_alloc}`` for the outermost HybridBlocks of ``step.networks``
    (a plain Block, as StyleGAN2's generator, is looked into)."""
    found, todo = {}, list(step.networks.values())
    while todo:
        block = todo.pop()
        if isinstance(block, gluon.HybridBlock):
            found[block.name] = dict(block._flags).get('static_alloc', False)
        else:
            todo.extend(block._children.values())
    return found


#: recipes whose step keeps dynamic memory by default (``graph_flags``; StyleGAN2: two batch
#: sizes per step, no speed gain, more memory)
DYNAMIC_BY_DEFAULT = {'stylegan2'}


def trained(model, folder, monkeypatch, static=None):
    """The parameters after ``train`` and the static flags of the step it built; ``static``:
    force ``static_alloc`` to this value whatever the step's default."""
    built = []
    real_build, real_hybridize = common.build_gan, Step.hybridize
    monkeypatch.setattr(common, 'build_gan', lambda *a, **k: built.append(real_build(*a, **k))
                        or built[-1])
    if static is not None:
        monkeypatch.setattr(Step, 'hybridize', lambda self, **flags: real_hybridize(
            self, **dict(flags, static_alloc=static)))
    params = train(model, folder, 'cpu:0')
    return params, hybrid_flags(built[0])


@pytest.mark.parametrize('model', sorted(RECIPE_ARGS))
def test_static_memory_trains_to_the_parameters_of_dynamic_memory(model, tmp_path, monkeypatch):
    default, flags = trained(model, tmp_path / 'default', monkeypatch)
    static = model not in DYNAMIC_BY_DEFAULT
    assert flags and all(v == static for v in flags.values()), flags
    other, flags = trained(model, tmp_path / 'other', monkeypatch, static=not static)
    assert flags and all(v != static for v in flags.values()), flags
    assert_equal_parameters(default, other, model)


# U-GAT-IT's generator: gamma and beta feed twelve AdaILN layers (the library's C++ operator)
GENERATOR_GRADIENTS = """
import json
import d2gan, mxnet as mx, numpy as np
from mxnet import autograd, nd
from d2gan.models.ugatit import ugatit_generator

def gradients(static):
    mx.random.seed(0)
    net = ugatit_generator(ngf=4, img_size=32, n_blocks=6)
    net.initialize(mx.init.Normal(0.2))
    if static is not None:
        net.hybridize(static_alloc=static)
    x = nd.random.normal(shape=(2, 3, 32, 32))
    with autograd.record():
        loss = (net(x)[0] ** 2).sum()
    loss.backward()
    return [p.grad().asnumpy() for p in net.collect_params().values()]

print(json.dumps(max(float(np.abs(a - b).max() / np.abs(a).max())
                     for a, b in zip(gradients(None), gradients(True)))))
"""


@pytest.mark.parametrize('cap, wrong', [(None, False), ('8', True)])
def test_static_memory_needs_the_gradient_sum_cap(cap, wrong):
    """Static memory against operator-by-operator gradients: equal with d2gan's setting of the
    cap, far apart with MXNet's default (8)."""
    env = {k: v for k, v in os.environ.items() if k != 'MXNET_EXEC_INPLACE_GRAD_SUM_CAP'}
    if cap is not None:
        env['MXNET_EXEC_INPLACE_GRAD_SUM_CAP'] = cap
    out = subprocess.run([sys.executable, '-c', GENERATOR_GRADIENTS], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    worst = json.loads(out.stdout.strip().splitlines()[-1])
    assert (worst > 1e-2) == wrong, worst
    if not wrong:
        assert worst < 1e-6
