"""Start a parameter-server job for MXNet's ``dist_sync`` kvstore and watch it.

A job is 1 scheduler, ``S`` servers and ``W`` workers. Every process gets the ``DMLC_*``
variables (role, the scheduler's address and port, the numbers of servers and workers); the
scheduler and the servers simply ``import mxnet`` -- with ``DMLC_ROLE=scheduler|server`` that
import runs the role and exits when the workers are done -- and the workers run the command::

    python -m d2gan launch -n 2 -s 1 -- python -m d2gan train --kvstore dist_sync ...

Locally (the default) everything listens on 127.0.0.1 only. With ``--hosts FILE`` (one host
per line) the processes are started over ``ssh`` like MXNet's ``tools/launch.py``: the
scheduler on the first host, servers and workers round-robin over the hosts, each in the same
working directory (``--cwd``, default: this one), so the code and data must be there on every
host (a shared file system, or the same checkout).

Watchdog: ps-lite waits forever for a peer that died, so the launcher polls its children; when
one fails (non-zero exit, a signal) or ``timeout`` seconds pass, it names the process, stops
all the others (SIGTERM, then SIGKILL after ``grace`` seconds) and returns non-zero.
"""
import os
import shlex
import signal
import socket
import subprocess
import sys
import time

ROLE_COMMAND = ['-c', 'import mxnet']   # with DMLC_ROLE=scheduler/server: run it, then exit


def free_port(host='127.0.0.1'):
    """A TCP port that is free on ``host`` right now (for the scheduler)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def dmlc_env(role, num_workers, num_servers, root_uri, port, node_host=None):
    """The ``DMLC_*`` variables of one process of the job."""
    if role not in ('scheduler', 'server', 'worker'):
        raise ValueError(f"role must be 'scheduler', 'server' or 'worker', got {role!r}")
    env = {'DMLC_ROLE': role, 'DMLC_PS_ROOT_URI': str(root_uri),
           'DMLC_PS_ROOT_PORT': str(port), 'DMLC_NUM_SERVER': str(num_servers),
           'DMLC_NUM_WORKER': str(num_workers)}
    if node_host:
        env['DMLC_NODE_HOST'] = node_host   # the address this process announces
    return env


class ProcessSpec:
    """One process to start: its role, its number within the role, where, and how."""

    def __init__(self, role, index, host, argv, env):
        self.role, self.index, self.host, self.argv, self.env = role, index, host, argv, env

    @property
    def name(self):
        return f'{self.role} #{self.index} on {self.host}'

    def __repr__(self):
        return f'ProcessSpec({self.name}: {" ".join(self.argv)})'


def _roles(num_workers, num_servers):
    if num_workers < 1 or num_servers < 1:
        raise ValueError(f'a job needs at least 1 worker and 1 server, got {num_workers} '
                         f'workers and {num_servers} servers')
    return ([('scheduler', 0)] + [('server', i) for i in range(num_servers)]
            + [('worker', i) for i in range(num_workers)])


def local_specs(command, num_workers=2, num_servers=1, port=None, threads=None):
    """All processes on this machine, talking over 127.0.0.1 only.

    Workers get ``OMP_NUM_THREADS = threads`` (default: the cores shared equally), the
    scheduler and servers one thread each.
    """
    if not command:
        raise ValueError('no command to run on the workers (put it after --)')
    roles = _roles(num_workers, num_servers)
    port = port or free_port()
    threads = threads or max(1, (os.cpu_count() or 1) // num_workers)
    specs = []
    for role, index in roles:
        env = dict(os.environ, **dmlc_env(role, num_workers, num_servers, '127.0.0.1', port,
                                          '127.0.0.1'))
        env['DMLC_INTERFACE'] = 'lo'
        env['OMP_NUM_THREADS'] = str(threads if role == 'worker' else 1)
        argv = list(command) if role == 'worker' else [sys.executable] + ROLE_COMMAND
        specs.append(ProcessSpec(role, index, '127.0.0.1', argv, env))
    return specs


def read_hosts(path):
    """Host names of a hosts file: one per line; blank lines and ``#`` comments ignored."""
    with open(path) as f:
        hosts = [line.split('#', 1)[0].strip() for line in f]
    hosts = [h for h in hosts if h]
    if not hosts:
        raise ValueError(f'hosts file {path} names no host')
    return hosts


def ssh_specs(command, hosts, num_workers=2, num_servers=1, port=9091, cwd=None,
              python='python', ssh=('ssh', '-o', 'StrictHostKeyChecking=no'), env_keys=()):
    """The ``ssh`` command line of every process of a cluster job (see the module docstring).

    ``env_keys``: names of local environment variables to pass on as well (e.g.
    ``OMP_NUM_THREADS``, ``D2GAN_DATA``).
    """
    cwd = cwd or os.getcwd()
    root = hosts[0]
    specs, placed = [], {'server': 0, 'worker': 0}
    for role, index in _roles(num_workers, num_servers):
        host = root if role == 'scheduler' else hosts[placed[role] % len(hosts)]
        placed[role] = placed.get(role, 0) + 1
        env = dmlc_env(role, num_workers, num_servers, root, port, host)
        env.update({k: os.environ[k] for k in env_keys if k in os.environ})
        argv = list(command) if role == 'worker' else [python] + ROLE_COMMAND
        remote = (f'cd {shlex.quote(cwd)} && '
                  + ' '.join(f'{k}={shlex.quote(v)}' for k, v in env.items()) + ' '
                  + ' '.join(shlex.quote(a) for a in argv))
        specs.append(ProcessSpec(role, index, host, list(ssh) + [host, remote], {}))
    return specs


def _describe_exit(code):
    if code < 0:
        try:
            return f'was killed by {signal.Signals(-code).name}'
        except ValueError:
            return f'was killed by signal {-code}'
    return f'exited with code {code}'


class _Stop(Exception):
    pass


def run(specs, timeout=None, grace=5.0, stream=None, poll=0.1):
    """Start ``specs``, wait for the workers, stop everything if one fails; the exit code.

    0: every worker exited 0; 1: a process failed (named on ``stream``); 124: ``timeout``.
    """
    stream = stream or sys.stderr
    say = lambda text: print(f'd2gan launch: {text}', file=stream, flush=True)  # noqa: E731
    procs = []
    previous = _trap_sigterm()
    try:
        for spec in specs:
            env = spec.env or None
            procs.append((spec, subprocess.Popen(spec.argv, env=env, start_new_session=True)))
        start = time.time()
        while True:
            workers = [(s, p) for s, p in procs if s.role == 'worker']
            for spec, proc in procs:
                code = proc.poll()
                if code is None or code == 0:   # the scheduler may exit just before workers
                    continue
                others = sum(p.poll() is None for _, p in procs)
                say(f'{spec.name} (pid {proc.pid}) {_describe_exit(code)}; stopping the '
                    f'{others} other process(es) of the job')
                return 1
            if all(p.poll() == 0 for _, p in workers):
                _wait_all([p for _, p in procs], grace)
                return 0
            if timeout is not None and time.time() - start > timeout:
                say(f'timed out after {timeout:g} s; stopping all '
                    f'{sum(p.poll() is None for _, p in procs)} running process(es)')
                return 124
            time.sleep(poll)
    except (KeyboardInterrupt, _Stop):
        say('interrupted; stopping the job')
        return 130
    finally:
        _stop_all([p for _, p in procs], grace)
        _restore_sigterm(previous)


def _wait_all(procs, seconds):
    end = time.time() + seconds
    while time.time() < end and any(p.poll() is None for p in procs):
        time.sleep(0.05)


def _stop_all(procs, grace):
    alive = [p for p in procs if p.poll() is None]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in alive:
            try:
                os.killpg(p.pid, sig)   # each child leads its own session (start_new_session)
            except ProcessLookupError:
                pass
        _wait_all(alive, grace)
        alive = [p for p in alive if p.poll() is None]
        if not alive:
            break
    for p in procs:
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass


def _trap_sigterm():
    try:
        def handler(signum, frame):
            raise _Stop()
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:   # not the main thread
        return None


def _restore_sigterm(previous):
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def launch(command, num_workers=2, num_servers=1, hosts=None, port=None, timeout=None,
           threads=None, grace=5.0, stream=None, **ssh_options):
    """Run ``command`` (a list) on ``num_workers`` workers of a dist job; returns the exit code.

    ``hosts``: None (all on this machine over 127.0.0.1) or a list of host names / a hosts
    file path (ssh; ``ssh_options`` go to :func:`ssh_specs`).
    """
    if hosts is None:
        specs = local_specs(command, num_workers, num_servers, port, threads)
    else:
        hosts = read_hosts(hosts) if isinstance(hosts, (str, os.PathLike)) else list(hosts)
        specs = ssh_specs(command, hosts, num_workers, num_servers, port or 9091,
                          **ssh_options)
    return run(specs, timeout=timeout, grace=grace, stream=stream)


__all__ = ['launch', 'run', 'local_specs', 'ssh_specs', 'read_hosts', 'dmlc_env', 'free_port']
