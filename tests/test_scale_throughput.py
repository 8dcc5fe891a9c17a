"""``benchmarks/scale_throughput.py`` sends every model's PyTorch twin the payload the twin
reads (the CycleGAN row once sent another interface's keys and its PyTorch column was empty)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
import scale_throughput  # noqa: E402

# the keys torch_twins_dcgan.run reads from a payload without a named setting
TWIN_KEYS = {'model', 'config', 'batch', 'iters', 'warmup', 'threads'}


@pytest.mark.parametrize('name', sorted(scale_throughput.SETTINGS))
def test_each_model_sends_its_twin_the_payload_it_reads(name, monkeypatch):
    import cyclegan_throughput
    import dcgan_throughput
    import pix2pix_throughput
    sent = []

    def fake_run_torch(code, payload):
        sent.append(payload)
        return {'images_per_s': 1.0, 'version': 'fake'}

    for module in (dcgan_throughput, pix2pix_throughput, cyclegan_throughput):
        monkeypatch.setattr(module, 'run_torch', fake_run_torch)
    setting = scale_throughput.SETTINGS[name]
    speed, note = scale_throughput.torch_throughput(name, setting)
    assert (speed, note) == (1.0, 'PyTorch fake')
    payload, = sent
    assert TWIN_KEYS <= set(payload), sorted(TWIN_KEYS - set(payload))
    assert payload['model'] == name and payload['batch'] == setting['batch']
    assert payload['config']['image_size'] == setting['config']['image_size']
