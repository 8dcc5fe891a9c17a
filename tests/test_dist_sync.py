"""dist_sync over local processes (1 scheduler, 1 server, 2 workers on 127.0.0.1): identical
replicas, the same training as one process on the global batch, and a dead worker that stops
the job with a clear message instead of a hang. Every run is bounded by a timeout."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import d2gan
from d2gan.cli import main as cli_main
from d2gan.launch import launch, local_specs, read_hosts, ssh_specs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import dist_worker  # noqa: E402


def test_two_workers_train_like_one_process_on_the_global_batch(tmp_path, capfd):
    code = launch([sys.executable, os.path.join(HERE, 'dist_worker.py'), str(tmp_path)],
                  num_workers=2, num_servers=1, timeout=60)
    assert code == 0, capfd.readouterr().err[-2000:]
    r0, r1 = (dict(np.load(tmp_path / f'rank{r}.npz')) for r in (0, 1))
    # replicas: the same summed gradient and the same optimizer on both -> bit-identical
    for key in r0:
        np.testing.assert_array_equal(r0[key], r1[key], err_msg=key)
    # gradient scale: 2 workers x 2 rows == 1 process x 4 rows (SGD update ~ mean gradient)
    x = dist_worker.sgd_inputs()
    np.testing.assert_allclose(r0['sgd'], 0.5 - dist_worker.LR_SGD * x.mean(0, keepdims=True),
                               rtol=1e-6)
    # the GAN: one process on the global batch of 8, same seed, same number of steps
    single = dist_worker.tiny_pix2pix()
    d2gan.train_gan(single, d2gan.ArrayBatches(dist_worker.tiny_pairs(),
                                               dist_worker.GLOBAL_BATCH),
                    num_epochs=10, max_iterations=dist_worker.ITERATIONS, seed=3)
    ref = dist_worker.trainable(single)
    dist_worker.assert_same_training(ref, {k: v for k, v in r0.items() if k != 'sgd'},
                                     steps=dist_worker.ITERATIONS)


def _children(pid):
    out = subprocess.run(['ps', '-o', 'pid=', '--ppid', str(pid)], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


def _role(pid):
    try:
        with open(f'/proc/{pid}/environ', 'rb') as f:
            env = dict(item.split(b'=', 1) for item in f.read().split(b'\0') if b'=' in item)
        return env.get(b'DMLC_ROLE', b'').decode()
    except OSError:
        return ''


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f'/proc/{pid}/stat') as f:
        return f.read().split()[2] != 'Z'


def test_killed_worker_stops_the_job_and_leaves_a_loadable_checkpoint(tmp_path):
    out = tmp_path / 'run'
    checkpoint = out / 'checkpoint.ckpt'
    cmd = [sys.executable, '-m', 'd2gan', 'launch', '-n', '2', '-s', '1', '--timeout', '90',
           '--', sys.executable, '-m', 'd2gan', 'train', '--model', 'dcgan', '--kvstore',
           'dist_sync', '--image-size', '16', '--limit', '32', '--batch-size', '16',
           '--epochs', '100000', '--device', 'cpu', '--out', str(out)]
    job = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        deadline = time.time() + 60
        while not checkpoint.exists() and time.time() < deadline and job.poll() is None:
            time.sleep(0.2)
        assert checkpoint.exists(), f'no checkpoint was written: {job.communicate()}'
        time.sleep(0.5)
        children = _children(job.pid)
        workers = sorted(p for p in children if _role(p) == 'worker')
        assert len(workers) == 2, children
        os.kill(workers[1], signal.SIGKILL)   # mid-run: the job trains for 100,000 epochs
        t = time.time()
        stdout, stderr = job.communicate(timeout=30)
        stopped_in = time.time() - t
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
    assert job.returncode == 1, stderr[-2000:]
    assert 'worker #1' in stderr and 'SIGKILL' in stderr, stderr[-2000:]
    assert stopped_in < 30
    assert not any(_alive(p) for p in children)          # nothing left hanging
    meta = d2gan.train.read_meta(str(checkpoint))
    assert meta['iteration'] >= 2 and meta['config']['model'] == 'dcgan'
    config = dict(meta['config'])
    step = d2gan.build_gan(config.pop('model'), devices='cpu', **config)
    d2gan.load_checkpoint(str(checkpoint), step)        # the last checkpoint still loads


def test_dist_kvstore_without_launcher_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv('DMLC_ROLE', raising=False)
    code = cli_main(['train', '--kvstore', 'dist_sync', '--limit', '16', '--epochs', '1',
                           '--batch-size', '8', '--image-size', '16', '--out',
                           str(tmp_path / 'r')])
    assert code == 2
    assert 'python -m d2gan launch' in capsys.readouterr().err


def test_local_specs_use_loopback_only():
    specs = local_specs(['python', 'train.py'], num_workers=2, num_servers=1, port=9999,
                        threads=1)
    assert [s.role for s in specs] == ['scheduler', 'server', 'worker', 'worker']
    for s in specs:
        assert s.env['DMLC_PS_ROOT_URI'] == s.env['DMLC_NODE_HOST'] == '127.0.0.1'
        assert s.env['DMLC_INTERFACE'] == 'lo' and s.env['DMLC_PS_ROOT_PORT'] == '9999'
        assert s.env['DMLC_NUM_WORKER'] == '2' and s.env['DMLC_NUM_SERVER'] == '1'
    assert specs[2].argv == ['python', 'train.py']
    assert specs[0].argv[-1] == 'import mxnet'
    with pytest.raises(ValueError, match='at least 1 worker'):
        local_specs(['x'], num_workers=0)


def test_ssh_command_lines_for_a_cluster(tmp_path):
    hosts_file = tmp_path / 'hosts'
    hosts_file.write_text('# the cluster\nnode1\n\nnode2  # second machine\n')
    hosts = read_hosts(str(hosts_file))
    assert hosts == ['node1', 'node2']
    specs = ssh_specs(['python', '-m', 'd2gan', 'train', '--out', 'runs/a b'], hosts,
                      num_workers=3, num_servers=2, port=9091, cwd='/srv/d2gan')
    placed = [(s.role, s.host) for s in specs]
    assert placed == [('scheduler', 'node1'), ('server', 'node1'), ('server', 'node2'),
                      ('worker', 'node1'), ('worker', 'node2'), ('worker', 'node1')]
    argv = specs[4].argv
    assert argv[:4] == ['ssh', '-o', 'StrictHostKeyChecking=no', 'node2']
    remote = argv[4]
    assert remote.startswith('cd /srv/d2gan && ')
    for part in ('DMLC_ROLE=worker', 'DMLC_PS_ROOT_URI=node1', 'DMLC_PS_ROOT_PORT=9091',
                 'DMLC_NUM_WORKER=3', 'DMLC_NUM_SERVER=2', 'DMLC_NODE_HOST=node2',
                 "python -m d2gan train --out 'runs/a b'"):
        assert part in remote, part
    assert specs[1].argv[-1].endswith("python -c 'import mxnet'")


def test_launch_subcommand_forwards_the_command(monkeypatch):
    seen = {}
    monkeypatch.setattr('d2gan.launch.launch', lambda command, *a, **k: seen.update(
        command=command, args=a, kwargs=k) or 0)
    code = cli_main(['launch', '-n', '3', '-s', '2', '--', 'python', '-m', 'd2gan',
                           'train', '--epochs', '1'])
    assert code == 0
    assert seen['command'] == ['python', '-m', 'd2gan', 'train', '--epochs', '1']
    assert seen['args'] == (3, 2)
