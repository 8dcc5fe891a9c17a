"""Where each book model's iteration goes, beside PyTorch's: the Python thread, the engine's
operators (convolutions and matrix products, and the rest), and what it costs that the two
share the cores.

MXNet's Python thread only queues operators; one engine thread runs them, with an OpenMP team
of as many threads as cores. For every model and setting this measures, in fresh processes:

* **iteration** -- a training iteration as ``model_table.py`` times it (Python queueing while
  the engine computes);
* **Python** -- the Python thread's time per iteration, measured while the engine waits for the
  batch (every image array passes through an operator that sleeps; operators that do not need
  the batch, e.g. sampling the noise, may still run beside it). Class labels (1-D arrays) pass
  ready, as a loader hands them over: steps read them on the host to check their range;
* **engine** -- the engine's time per iteration with the Python thread idle: a block of
  independent matrix products is queued first and every iteration after it; the clock runs from
  the end of the block (Python waits for it) to the end of the iterations;
* **conv** -- the share of the engine's operator time spent in convolutions and matrix products
  (MXNet's profiler, in a second held run), applied to the engine's time;
* PyTorch's iteration and the self time of its convolutions and matrix products
  (``torch.profiler``), with the twin ``model_table.py`` uses.

It prints the ratio to PyTorch now, and two bounds: ``overlap`` = PyTorch / max(Python, engine),
what d2gan would reach if Python's work hid completely behind the operators, and ``engine`` =
PyTorch / engine, what it would reach with no Python at all. A model whose ``engine`` bound is
under a bar cannot reach that bar by trimming Python; only faster operators move it.

    python benchmarks/engine_split.py --models attgan,wgan-gp --settings chapter
    python benchmarks/engine_split.py --save     # every row below the issue's bars in the
                                                 # saved model table (model_table.py --save)
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from model_settings import SETTINGS  # noqa: E402
from model_table import run_isolated, twin_models  # noqa: E402
from results import load_results, save_results  # noqa: E402
from tables import model_rows, split_rows  # noqa: E402

# timed iterations: a second or more of work at the chapter's settings, one at the paper's
ITERS = {'chapter': 20, 'paper': 1}
ITERS_OF = {('stylegan2', 'chapter'): 16, ('spade', 'chapter'): 6, ('cyclegan', 'chapter'): 10,
            ('ugatit', 'chapter'): 4, ('starganv2', 'chapter'): 6, ('pix2pix', 'chapter'): 10}
# the speed issue's bars: d2gan / PyTorch at the chapter's setting and at the paper's
BARS = {'chapter': 1.2, 'paper': 1.0}
# measured by default whatever the table says: chapter 9 reads this row as its worked example
EXAMPLE = ('attgan', 'chapter')
TORCH_MATMUL = ('aten::mkldnn_convolution', 'aten::convolution_backward', 'aten::_convolution',
                'aten::convolution', 'aten::conv2d', 'aten::conv_transpose2d', 'aten::mm',
                'aten::addmm', 'aten::bmm', 'aten::matmul', 'aten::linear',
                'aten::_slow_conv2d_forward', 'aten::_slow_conv2d_backward',
                'aten::slow_conv_transpose2d', 'aten::mkldnn_convolution_backward')


def rows_under_bars(table):
    """``[(model, setting)]`` of a saved model table's rows below :data:`BARS` (or with no
    PyTorch figure to compare with), in the table's order, and :data:`EXAMPLE` first when it
    is not among them."""
    rows = [(r['model'], r['setting']) for r in model_rows(table)
            if r['d2gan / PyTorch'] is None or r['d2gan / PyTorch'] < BARS[r['setting']]]
    return rows if EXAMPLE in rows else [EXAMPLE] + rows


# -- d2gan side (runs in a fresh process) ------------------------------------------------------
def _hold_operator(mx):
    """Register the custom operator ``d2gan_bench_hold``: it copies its inputs to its outputs
    after sleeping ``seconds``."""
    class Hold(mx.operator.CustomOp):
        def __init__(self, seconds):
            super().__init__()
            self.seconds = seconds

        def forward(self, is_train, req, in_data, out_data, aux):
            time.sleep(self.seconds)
            for i, x in enumerate(in_data):
                self.assign(out_data[i], req[i], x)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            for i, g in enumerate(out_grad):
                self.assign(in_grad[i], req[i], g)

    @mx.operator.register('d2gan_bench_hold')
    class HoldProp(mx.operator.CustomOpProp):
        def __init__(self, seconds='1', num_inputs='1'):
            super().__init__(need_top_grad=False)
            self.seconds, self.n = float(seconds), int(num_inputs)

        def list_arguments(self):
            return [f'x{i}' for i in range(self.n)]

        def list_outputs(self):
            return [f'y{i}' for i in range(self.n)]

        def infer_shape(self, in_shape):
            return in_shape, in_shape, []

        def infer_type(self, in_type):
            return in_type, in_type, []

        def create_operator(self, ctx, shapes, dtypes):
            return Hold(self.seconds)


def _held(mx, batch, seconds):
    """``batch`` with every array but the class labels (1-D) passed through
    ``d2gan_bench_hold``."""
    arrays = batch if isinstance(batch, (tuple, list)) else (batch,)
    nds = [i for i, x in enumerate(arrays) if isinstance(x, mx.nd.NDArray) and x.ndim > 1]
    if not nds:
        raise ValueError('the batch has no image array to hold: the split cannot time Python '
                         'alone without one')
    outs = mx.nd.Custom(*[arrays[i] for i in nds], op_type='d2gan_bench_hold',
                        seconds=str(seconds), num_inputs=str(len(nds)))
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    held = list(arrays)
    for i, o in zip(nds, outs):
        held[i] = o
    return type(batch)(held) if isinstance(batch, (tuple, list)) else held[0]


def _gemm_block(mx, n_gemm, a):
    """Queue ``n_gemm`` matrix products of ``a`` with itself. They are independent, so the
    engine's queue holds them, in order, ahead of everything queued after them (a chain of
    dependent products would not: each would join the queue only when the previous one ends)."""
    return [mx.nd.linalg.gemm2(a, a) for _ in range(n_gemm)]


def _engine_ms(mx, step, batch, iters, python_s):
    """The engine's ms per iteration with Python idle: the iterations queue behind a block of
    products that lasts longer than Python's queueing; the clock starts when the last product
    is done (Python waits for it) and stops when the iterations are. None when a step waited
    for the block: then Python never queued ahead and the engine was not alone."""
    a = mx.nd.ones((1024, 1024))
    _gemm_block(mx, 4, a)
    mx.nd.waitall()
    t = time.perf_counter()
    _gemm_block(mx, 20, a)
    mx.nd.waitall()
    per_gemm = (time.perf_counter() - t) / 20
    n_gemm = int((2 * python_s + 0.3) / per_gemm) + 1
    best = None
    for _ in range(2):
        block = _gemm_block(mx, n_gemm, a)
        for _ in range(iters):
            step.train_step(batch)
        queued = time.perf_counter()
        block[-1].wait_to_read()
        start = time.perf_counter()
        mx.nd.waitall()
        if start - queued < 0.05:
            return None     # Python waited for the block inside a step: not measured alone
        ms = (time.perf_counter() - start) / iters * 1000
        best = ms if best is None else min(best, ms)
    return best


def _matmul_share(mx, step, batch, iters, seconds):
    """Share of the engine's operator time in convolutions and matrix products (profiled, with
    the batch held so that Python's queueing is over before the operators run)."""
    from profile_step import group_of, operator_ms
    ops = operator_ms(step, _held(mx, batch, seconds), iters, profile_symbolic=True,
                      profile_imperative=True, profile_memory=False, profile_api=False)
    ops = {k: v for k, v in ops.items() if 'Custom' not in k and 'd2gan_bench_hold' not in k}
    matmul = sum(v for k, v in ops.items() if group_of(k) == 'convolution')
    return matmul / sum(ops.values())


def d2gan_split(model, setting, iters, warmup):
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    import mxnet as mx
    from model_table import build_step
    from scale_throughput import time_steps
    _hold_operator(mx)
    step, batch, spec = build_step(model, setting)
    iteration = spec['batch'] / time_steps(step, batch, warmup, iters, spec['batch'])
    # Python alone: the engine waits for the held batch while Python queues every iteration
    seconds = 3 * iteration * iters + 1
    held = _held(mx, batch, seconds)
    t = time.perf_counter()
    for _ in range(iters):
        step.train_step(held)
    python = (time.perf_counter() - t) / iters
    mx.nd.waitall()
    share = _matmul_share(mx, step, batch, iters, seconds)
    # a step that waits for the engine inside (it reads a result back, or makes an array from
    # NumPy, which waits for every queued operator) waited for the hold, or for the block of
    # products: its Python never runs ahead, and neither part can be timed alone
    engine = None if python * iters > 0.8 * seconds else _engine_ms(mx, step, batch, iters,
                                                                      python * iters)
    waits = engine is None
    return {'iteration_ms': iteration * 1000, 'python_ms': None if waits else python * 1000,
            'engine_ms': engine, 'matmul_share': share, 'waits': waits}


# -- PyTorch side (runs in the twin's interpreter) ---------------------------------------------
TORCH_CODE = r'''
import importlib.util, json, sys, time
payload = json.loads(sys.argv[1])
sys.path.insert(0, payload['here'])
spec_ = importlib.util.spec_from_file_location('twin', payload['path'])
twin_mod = importlib.util.module_from_spec(spec_)
spec_.loader.exec_module(twin_mod)
import torch
torch.set_num_threads(payload['threads'])
torch.manual_seed(0)
model, setting = payload['model'], payload['setting']
spec = twin_mod.SETTINGS[model][setting]
if not hasattr(twin_mod, 'build'):             # torch_twins_style.py builds as its run() does
    config = dict(twin_mod.DEFAULTS[model], **spec['config'])
    twin = twin_mod.TWINS[model](config)
    batch = twin_mod.make_batch(twin.batch_kind, spec['batch'], config['channels'],
                                config['image_size'], config.get('num_domains'))
else:
    twin = twin_mod.build(model, spec['config'])
    batch = twin.batch(spec['batch'])
for _ in range(payload['warmup']):
    twin.train_step(batch)
iters = payload['iters']
t = time.perf_counter()
for _ in range(iters):
    twin.train_step(batch)
iteration = (time.perf_counter() - t) / iters
from torch.profiler import profile, ProfilerActivity
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for _ in range(iters):
        twin.train_step(batch)
events = prof.key_averages()
total = sum(e.self_cpu_time_total for e in events)
matmul = sum(e.self_cpu_time_total for e in events if e.key in set(payload['matmul']))
print(json.dumps({'iteration_ms': iteration * 1000, 'matmul_share': matmul / total,
                  'version': torch.__version__}))
'''


def torch_split(python, path, model, setting, iters, warmup, threads):
    payload = dict(here=HERE, path=path, model=model, setting=setting, iters=iters,
                   warmup=warmup, threads=threads, matmul=list(TORCH_MATMUL))
    out = subprocess.run([python, '-c', TORCH_CODE, json.dumps(payload)], capture_output=True,
                         text=True)
    if out.returncode != 0:
        return {'error': (out.stderr.strip().splitlines() or ['failed'])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def d2gan_split_isolated(model, setting, iters, warmup):
    """:func:`d2gan_split` in a fresh process (``model_table.run_isolated``)."""
    return run_isolated(__file__, '--d2gan-split', [model, setting, iters, warmup])


# -- the table ---------------------------------------------------------------------------------
def format_table(rows):
    """The rows of :func:`tables.split_rows` as the terminal prints them."""
    head = (f'{"model":<10}{"setting":<8}{"d2gan ms":>9}{"Python":>8}{"engine":>8}{"(conv":>7}'
            f'{"rest)":>7}{"torch ms":>9}{"(conv":>7}{"rest)":>7}{"now":>6}{"overlap":>8}'
            f'{"engine":>7}')

    def cell(value, width, digits=1):
        return f'{value:{width}.{digits}f}' if value is not None else f'{"-":>{width}}'

    lines = [head, '-' * len(head)]
    for r in rows:
        python = cell(r['Python ms'], 8) if not r['waits'] else f'{"waits":>8}'
        lines.append(f'{r["model"]:<10}{r["setting"]:<8}{cell(r["d2gan ms"], 9)}{python}'
                     f'{cell(r["engine ms"], 8)}{cell(r["engine conv ms"], 7)}'
                     f'{cell(r["engine other ms"], 7)}{cell(r["PyTorch ms"], 9)}'
                     f'{cell(r["PyTorch conv ms"], 7)}{cell(r["PyTorch other ms"], 7)}'
                     f'{cell(r["now"], 6, 2)}{cell(r["overlap"], 8, 2)}'
                     f'{cell(r["engine only"], 7, 2)}')
    lines += ['ms per training iteration; Python: the Python thread alone; engine: the operators '
              'alone; conv: convolutions and matrix products;',
              'waits: the step waits for the engine inside every iteration (it reads a result '
              'back, or makes an array from NumPy), so neither part is timed alone;',
              'now / overlap / engine: PyTorch ms over d2gan ms, over max(Python, engine), over '
              'engine']
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--rows', default=None,
                   help='model:setting pairs, comma-separated (default: the rows under the bars '
                        'in benchmarks/results/model_table.json)')
    p.add_argument('--models', default=None, help='these models at --settings instead of --rows')
    p.add_argument('--settings', default='chapter,paper')
    p.add_argument('--torch-python', default=os.environ.get('D2GAN_TORCH_PYTHON', sys.executable))
    p.add_argument('--save', action='store_true',
                   help='keep the results in benchmarks/results/engine_split.json')
    p.add_argument('--d2gan-split', default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.d2gan_split:
        print(json.dumps(d2gan_split(*json.loads(args.d2gan_split))))
        return None
    if args.models:
        pairs = [(m.strip(), s.strip()) for m in args.models.split(',') if m.strip()
                 for s in args.settings.split(',') if s.strip() in SETTINGS.get(m.strip(), {})]
    elif args.rows:
        pairs = [tuple(x.split(':')) for x in args.rows.split(',')]
    else:
        pairs = rows_under_bars(load_results('model_table'))
    unknown = sorted({m for m, s in pairs if s not in SETTINGS.get(m, {})})
    if unknown:
        raise SystemExit(f'error: unknown model or setting for {unknown}; '
                         f'models: {", ".join(SETTINGS)}')
    threads = int(os.environ.get('OMP_NUM_THREADS') or os.cpu_count())
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'{os.cpu_count()} CPU cores, {threads} threads, load average {load:.2f} at start',
          flush=True)
    twins = twin_models(args.torch_python)
    rows = []
    for model, setting in pairs:
        iters = ITERS_OF.get((model, setting), ITERS[setting])
        warmup = 2 if setting == 'chapter' else 1
        row = {'model': model, 'setting': setting,
               'd2gan': d2gan_split_isolated(model, setting, iters, warmup)}
        if model in twins:
            row['torch'] = torch_split(args.torch_python, twins[model], model, setting, iters,
                                       warmup, threads)
        rows.append(row)
        print(f'{model} {setting}: {json.dumps(row)}', flush=True)
    print(format_table(split_rows({'rows': rows})))
    if args.save:
        print('saved', save_results('engine_split', {'threads': threads, 'rows': rows}, load))
    return rows


if __name__ == '__main__':
    main()
