"""Benchmark the book's models: tokens/sec and perplexity on this device.

    python -m d2lsave.bench                 # every model, 20 epochs each
    python -m d2lsave.bench --epochs 5 --models gluon-rnn-256
    python -m d2lsave.bench --json results.jsonl

Each model is trained with the book's own `train_ch8` (batch 32, 35 steps,
the first 10,000 characters). The speed is the median tokens/sec over the
epochs after `--warmup`; the table also gives the perplexity reached and the
wall time. Results are printed as a table and as JSON lines (one per model,
plus one line describing the machine), and appended to `--json` if given.
This module is written by hand; it is not generated from the notebooks.
"""
import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy
from mxnet import init
from mxnet.gluon import rnn as gluon_rnn

import d2lsave
from d2lsave import d2l, mx


def _scratch(num_hiddens):
    return lambda V, ctx: d2lsave.RNNModelScratch(
        V, num_hiddens, ctx, d2lsave.get_params, d2lsave.init_rnn_state,
        d2lsave.rnn)


def _compiled(num_hiddens):
    def build(V, ctx):
        model = d2lsave.RNNModelCompiled(V, num_hiddens)
        model.initialize(init.Normal(0.01), ctx=ctx)
        model.hybridize(static_alloc=True, static_shape=True)  # as chapter 2
        return model
    return build


def _gluon(make_layer):
    def build(V, ctx):
        model = d2lsave.RNNModel(make_layer(), V)
        model.initialize(init.Normal(0.01), ctx=ctx)
        model.hybridize(static_alloc=True, static_shape=True)  # like the book
        return model
    return build


# name: (builder, learning rate as in the chapters)
MODELS = {
    'scratch-rnn-256': (_scratch(256), 1),
    'scratch-rnn-512': (_scratch(512), 1),
    'scratch-rnn-256-compiled': (_compiled(256), 1),
    'gluon-rnn-256': (_gluon(lambda: gluon_rnn.RNN(256, activation='tanh')),
                      1),
    'gluon-gru-2x256': (_gluon(lambda: gluon_rnn.GRU(256, num_layers=2)), 5),
    'gluon-lstm-2x256': (_gluon(lambda: gluon_rnn.LSTM(256, num_layers=2)),
                         5),
    'scratch-deep-rnn-2x256': (
        lambda V, ctx: d2lsave.deep_rnn_scratch(V, 256, 2, ctx), 1),
}


def commit():
    """The book's git commit ('-dirty' if tracked files differ), or None."""
    try:
        return subprocess.run(
            ['git', 'describe', '--always', '--dirty', '--exclude=*'],
            cwd=os.path.dirname(os.path.abspath(__file__)),
            capture_output=True, text=True, timeout=10,
            check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None  # no git, or not a git checkout


def machine():
    """Describe the device, versions, thread settings and code version."""
    cpu = platform.processor() or 'unknown'
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f
                       if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return {'kind': 'machine', 'device': str(d2l.try_gpu()), 'cpu': cpu,
            'cores': os.cpu_count(), 'mxnet': mx.__version__,
            'numpy': numpy.__version__,
            'python': platform.python_version(),
            'threads': {k: os.environ.get(k) for k in (
                'OMP_NUM_THREADS', 'OPENBLAS_CORETYPE',
                'MXNET_CPU_WORKER_NTHREADS', 'MXNET_ENGINE_TYPE',
                'MXNET_USE_MKLDNN_RNN')},
            'commit': commit(), 'time': time.strftime('%Y-%m-%d %H:%M:%S')}


def run(name, epochs, warmup):
    """Train one model; return its JSON record."""
    build, lr = MODELS[name]
    d2lsave.set_seed(0)
    train_iter, vocab = d2lsave.load_data_time_machine(32, 35)
    ctx = d2l.try_gpu()
    model = build(len(vocab), ctx)
    start = time.time()
    with contextlib.redirect_stdout(io.StringIO()):  # keep the table clean
        result = d2lsave.train_ch8(model, train_iter, vocab, lr, epochs, ctx,
                                   plot_every=epochs)
    seconds = time.time() - start
    speeds = result['history']['speed'][warmup:]  # main() keeps it non-empty
    return {'kind': 'model', 'model': name, 'epochs': epochs, 'lr': lr,
            'tokens_per_sec': round(statistics.median(speeds)),
            'spread': [round(min(speeds)), round(max(speeds))],
            'perplexity': round(result['perplexity'], 3),
            'seconds': round(seconds, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark the book\'s models on this device.')
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=2,
                        help='epochs left out of the median (default 2)')
    parser.add_argument('--models', nargs='+', choices=list(MODELS),
                        default=list(MODELS))
    parser.add_argument('--json', help='append the JSON lines to this file')
    args = parser.parse_args(argv)
    if args.epochs < 1 or not 0 <= args.warmup < args.epochs:
        parser.error('need --epochs >= 1 and 0 <= --warmup < --epochs')
    records = [machine()]
    print(f'{"model":<26}{"tokens/sec":>11}{"min-max":>17}{"perplexity":>11}'
          f'{"seconds":>9}   ({args.epochs} epochs on {records[0]["device"]})',
          flush=True)
    for name in args.models:
        r = run(name, args.epochs, args.warmup)
        records.append(r)
        print(f'{name:<26}{r["tokens_per_sec"]:>11}'
              f'{"%d-%d" % tuple(r["spread"]):>17}{r["perplexity"]:>11.2f}'
              f'{r["seconds"]:>9.1f}', flush=True)
    lines = [json.dumps(r) for r in records]
    print('\n'.join(lines))
    if args.json:
        with open(args.json, 'a') as f:
            f.write('\n'.join(lines) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
