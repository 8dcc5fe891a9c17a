"""``benchmarks/profile_step.py`` reads MXNet's profiler table and groups operators by cause."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
import profile_step  # noqa: E402

TABLE = """
MXNET_C_API
=================
Name                          Total Count        Time (ms)    Min Time (ms)    Max Time (ms)    Avg Time (ms)
MXNDArrayWaitAll                        1       32024.0430       32024.0430       32024.0430       32024.0430

operator
=================
Name                          Total Count        Time (ms)    Min Time (ms)    Max Time (ms)    Avg Time (ms)
----                          -----------        ---------    -------------    -------------    -------------
_backward_LayerNorm                  1200        9428.1006           0.1220         187.8760           7.8568
Convolution                          1380        3090.4099           0.0400          44.1420           2.2394
_backward_Pad                         920        2196.1489           0.0090          51.9950           2.3871

"""


def test_the_operator_block_is_read_and_nothing_else():
    ops = profile_step.parse_operators(TABLE)
    assert ops == {'_backward_LayerNorm': 9428.1006, 'Convolution': 3090.4099,
                   '_backward_Pad': 2196.1489}


def test_operators_are_grouped_by_cause_forward_and_backward_alike():
    assert profile_step.group_of('_backward_LayerNorm') == 'normalisation'
    assert profile_step.group_of('Deconvolution') == 'convolution'
    assert profile_step.group_of('_backward_Pad') == 'padding'
    assert profile_step.group_of('transpose') == 'layout'
    assert profile_step.group_of('elemwise_add') == 'element-wise and other'
    text = profile_step.report('m', 'chapter', {'Convolution': 3.0, '_backward_Pad': 1.0}, 5)
    assert 'convolution 75%' in text and 'padding 25%' in text


def test_by_kind_gives_shares_that_sum_to_100_largest_first():
    shares = profile_step.by_kind({'Convolution': 30.0, '_backward_Convolution': 30.0,
                                   '_backward_LayerNorm': 25.0, 'Pad': 15.0})
    assert list(shares) == ['convolution', 'normalisation', 'padding']
    assert shares['convolution'] == 60.0 and abs(sum(shares.values()) - 100) < 1e-9


def test_profiling_leaves_the_null_device_alone(monkeypatch):
    """MXNet's profiler recreates its file when it dumps: pointed at ``os.devnull`` it replaced
    /dev/null with a regular file (and every later shell redirection on the machine failed)."""
    import stat

    import d2gan  # noqa: F401  (before mxnet)
    import mxnet as mx
    files = []
    original = mx.profiler.set_config

    def recording_set_config(**kwargs):
        files.append(kwargs.get('filename'))
        return original(**kwargs)

    monkeypatch.setattr(mx.profiler, 'set_config', recording_set_config)
    per_iter = profile_step.profile('dcgan', 'chapter', iters=1, warmup=1)
    assert per_iter and files and os.devnull not in files
    if os.name != 'nt':
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
