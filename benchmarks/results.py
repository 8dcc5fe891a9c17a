"""Where a benchmark's measured figures are kept: ``benchmarks/results/NAME.json``.

The book reads these files -- chapter 9's speed tables, the StyleGAN section's comparison of
variants over seeds (``stylegan2_variants.py``) -- and every number its text quotes comes from
them, so a table is never copied by hand and always comes from one run. A benchmark
writes its file with ``--save``; the payload gets the run's circumstances next to it (date,
cores, load average at the start, library versions, command line), and the file is replaced
atomically.
"""
import datetime
import json
import os
import platform
import sys
import tempfile

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results')


def result_path(name):
    return os.path.join(RESULTS, name + '.json')


def cpu_model():
    """The processor's name (``/proc/cpuinfo``; else ``platform.processor()``), or None: ratios
    to PyTorch moved by 30 % between an Intel and an AMD machine of the same size."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def machine(load_at_start):
    """The circumstances of a run, as the chapter prints them under a table."""
    info = {'date': datetime.date.today().isoformat(), 'cpu_count': os.cpu_count(),
            'cpu': cpu_model(),
            'load_at_start': round(load_at_start, 2), 'python': platform.python_version(),
            'command': 'python ' + ' '.join([os.path.relpath(sys.argv[0])] + sys.argv[1:])}
    try:
        import mxnet
        info['mxnet'] = mxnet.__version__
    except ImportError:
        pass
    return info


def save_results(name, payload, load_at_start):
    """Write ``{'machine': ..., **payload}`` to ``results/NAME.json`` atomically; its path."""
    os.makedirs(RESULTS, exist_ok=True)
    path = result_path(name)
    data = {'machine': machine(load_at_start), **payload}
    fd, tmp = tempfile.mkstemp(dir=RESULTS, suffix='.tmp')
    with os.fdopen(fd, 'w') as f:
        json.dump(data, f, indent=1, default=str)
        f.write('\n')
    os.replace(tmp, path)
    return path


def load_results(name):
    """The saved results ``NAME`` (a dict), or a ``FileNotFoundError`` saying how to make them."""
    path = result_path(name)
    if not os.path.exists(path):
        raise FileNotFoundError(f'{path} is missing: run benchmarks/{name}.py --save on an '
                                'otherwise idle machine')
    with open(path) as f:
        return json.load(f)


__all__ = ['RESULTS', 'result_path', 'save_results', 'load_results']
