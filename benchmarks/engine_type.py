"""Book models' training iterations under MXNet's two CPU engines, measured in one run.

MXNet's default engine (``ThreadedEnginePerDevice``) runs every operator on a worker thread:
Python's main thread only queues them. With ``OMP_NUM_THREADS`` = cores, that is one thread
more than there are cores -- the main thread, queueing, and the worker's OpenMP team, computing.
``NaiveEngine`` runs each operator at once on the calling thread, as PyTorch does: the main
thread is the OpenMP team's master and nothing else competes for the cores.

For each model and setting (``model_settings.SETTINGS``), this runs ``model_table.py``'s d2gan
row (a fresh process each) under both engines, interleaved for ``--rounds`` rounds, and prints
the best images/s of each and their ratio.

    python benchmarks/engine_type.py                                # chapter settings
    python benchmarks/engine_type.py --models attgan,dcgan --rounds 3
    python benchmarks/engine_type.py --settings chapter,paper --save
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from model_settings import SETTINGS  # noqa: E402
from model_table import ITERS, ITERS_OF, WARMUP  # noqa: E402
from results import save_results  # noqa: E402

ENGINES = ('ThreadedEnginePerDevice', 'NaiveEngine')


def row(model, setting, engine):
    """``model_table.py``'s d2gan row (images/s, CPU s per iteration) under ``engine``."""
    iters = ITERS_OF.get((model, setting), ITERS[setting])
    env = dict(os.environ, MXNET_ENGINE_TYPE=engine)
    out = subprocess.run([sys.executable, os.path.join(HERE, 'model_table.py'), '--d2gan-row',
                          json.dumps([model, setting, iters, WARMUP[setting]])],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f'{model} {setting} under {engine} failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(model, setting, rounds):
    """``{engine: best row}`` over ``rounds`` interleaved rounds."""
    best = {}
    for _ in range(rounds):
        for engine in ENGINES:
            r = row(model, setting, engine)
            if engine not in best or r['images_per_s'] > best[engine]['images_per_s']:
                best[engine] = r
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--models', default=','.join(SETTINGS))
    p.add_argument('--settings', default='chapter')
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--save', action='store_true', help='keep the figures in benchmarks/results/')
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    print(f'{"model":<11}{"setting":<9}{"threaded im/s":>14}{"naive im/s":>12}{"naive/threaded":>16}'
          f'{"CPU s/it threaded":>19}{"naive":>8}')
    rows = []
    for model in args.models.split(','):
        for setting in args.settings.split(','):
            if setting not in SETTINGS[model]:
                continue
            best = measure(model, setting, args.rounds)
            threaded, naive = (best[e] for e in ENGINES)
            ratio = naive['images_per_s'] / threaded['images_per_s']
            print(f'{model:<11}{setting:<9}{threaded["images_per_s"]:14.2f}'
                  f'{naive["images_per_s"]:12.2f}{ratio:16.2f}'
                  f'{threaded["cpu_s_per_iter"]:19.3f}{naive["cpu_s_per_iter"]:8.3f}', flush=True)
            rows.append({'model': model, 'setting': setting, 'ratio': ratio,
                         **{e: best[e] for e in ENGINES}})
    if args.save:
        print('saved', save_results('engine_type', {'rounds': args.rounds, 'rows': rows}, load))


if __name__ == '__main__':
    main()
