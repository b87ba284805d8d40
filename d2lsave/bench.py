"""Benchmark the book's models: tokens/sec and perplexity on this device.

    python -m d2lsave.bench                 # every model, 20 epochs each
    python -m d2lsave.bench --epochs 5 --models gluon-rnn-256
    python -m d2lsave.bench --json results.jsonl
    python -m d2lsave.bench --profile --epochs 5 --models gluon-lstm-2x256

Each model is built as the chapters build it (`scratch_lm`, `gluon_lm`) and
trained with the book's own `train_ch8(..., verbose=False)` (batch 32, 35
steps, the first 10,000 characters). Two speeds: `tokens_per_sec` is
train_ch8's median over the epochs after the first two (min-max beside it);
`wall_tokens_per_sec` is the tokens trained divided by the seconds of the
whole call, held-out evaluation included. The table also gives the
perplexity reached and the wall time. Results are printed as a table and
as JSON lines (one per model, plus one line describing the machine), and
appended to `--json` if given. With `--profile`, each model then trains
as many epochs again under MXNet's profiler (training only: no evaluation)
and the table lists the operators that took the most time, in milliseconds
per minibatch; the speeds in the table come from the run before, which the
profiler does not slow down.
This module is written by hand; it is not generated from the notebooks.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy
from mxnet import gluon, init, profiler

import d2lsave
from d2lsave import d2l, mx
from d2lsave._env import cpu_name


def _compiled(num_hiddens):
    def build(V, ctx):
        model = d2lsave.RNNModelCompiled(V, num_hiddens)
        model.initialize(init.Normal(0.01), ctx=ctx)
        return model  # it hybridizes itself, as in Chapter 3

    return build


def _scratch(cell, num_hiddens, num_layers=1):
    return lambda V, ctx: d2lsave.scratch_lm(
        cell, V, num_hiddens, ctx, num_layers
    )


def _gluon(cell, num_hiddens, num_layers=1):
    return lambda V, ctx: d2lsave.gluon_lm(
        cell, V, num_hiddens, ctx, num_layers
    )


# name: (builder, learning rate as in the chapters)
MODELS = {
    'scratch-rnn-256': (_scratch('rnn', 256), 1),
    'scratch-rnn-512': (_scratch('rnn', 512), 1),
    'scratch-rnn-256-compiled': (_compiled(256), 1),
    'gluon-rnn-256': (_gluon('rnn', 256), 1),
    'scratch-gru-256': (_scratch('gru', 256), 5),
    'scratch-lstm-256': (_scratch('lstm', 256), 5),
    'gluon-gru-2x256': (_gluon('gru', 256, 2), 5),
    'gluon-lstm-2x256': (_gluon('lstm', 256, 2), 5),
    'scratch-deep-rnn-2x256': (_scratch('rnn', 256, 2), 1),
}


def commit():
    """The book's git commit ('-dirty' if tracked files differ), or None."""
    try:
        return subprocess.run(
            ['git', 'describe', '--always', '--dirty', '--exclude=*'],
            cwd=os.path.dirname(os.path.abspath(__file__)),
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None  # no git, or not a git checkout


def machine():
    """Describe the device, versions, thread settings and code version."""
    return {
        'kind': 'machine',
        'device': str(d2l.try_gpu()),
        'cpu': cpu_name(),
        'cores': os.cpu_count(),
        'mxnet': mx.__version__,
        'numpy': numpy.__version__,
        'python': platform.python_version(),
        'threads': {
            k: os.environ.get(k)
            for k in (
                'OMP_NUM_THREADS',
                'OPENBLAS_CORETYPE',
                'MXNET_CPU_WORKER_NTHREADS',
                'MXNET_ENGINE_TYPE',
                'MXNET_USE_MKLDNN_RNN',
            )
        },
        'commit': commit(),
        'time': time.strftime('%Y-%m-%d %H:%M:%S'),
    }


def run(name, epochs, profile=False):
    """Train one model; return its JSON record (with `profile`, also the
    operators' times of `epochs` more epochs, see `profile_epochs`)."""
    build, lr = MODELS[name]
    d2lsave.set_seed(0)
    train_iter, vocab = d2lsave.load_data_time_machine(32, 35)
    ctx = d2l.try_gpu()
    model = build(len(vocab), ctx)
    result = d2lsave.train_ch8(
        model,
        train_iter,
        vocab,
        lr,
        epochs,
        ctx,
        plot_every=epochs,
        verbose=False,
    )
    speeds = (
        result['history']['tokens_per_sec'][2:]
        or result['history']['tokens_per_sec']
    )  # as train_ch8's median
    record = {
        'kind': 'model',
        'model': name,
        'epochs': epochs,
        'lr': lr,
        'tokens_per_sec': round(result['tokens_per_sec']),
        'spread': [round(min(speeds)), round(max(speeds))],
        'wall_tokens_per_sec': round(result['wall_tokens_per_sec']),
        'perplexity': round(result['perplexity'], 3),
        'seconds': round(result['seconds'], 1),
    }
    if profile:
        record['ms_per_minibatch'] = profile_epochs(
            model, train_iter, lr, ctx, epochs
        )
    return record


def profile_epochs(model, train_iter, lr, ctx, epochs):
    """Train `model` `epochs` more epochs under MXNet's profiler, training
    only (no evaluation, no plot); return each operator's milliseconds per
    minibatch, largest first."""
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    updater = d2lsave.make_updater(model, lr)
    minibatches = 0

    def counted():
        nonlocal minibatches
        for batch in train_iter:
            minibatches += 1
            yield batch

    mx.nd.waitall()
    profiler.set_config(
        profile_all=True, aggregate_stats=True, filename=os.devnull
    )
    profiler.set_state('run')
    for _ in range(epochs):
        d2lsave.train_epoch_ch8(model, counted(), loss, updater, ctx, False)
    mx.nd.waitall()
    profiler.set_state('stop')
    stats = json.loads(profiler.dumps(reset=True, format='json'))
    return {
        op: round(s['Total'] / minibatches, 3)
        for op, s in sorted(
            stats['Time']['operator'].items(),
            key=lambda item: -item[1]['Total'],
        )
    }


def print_profile(record, top=8):
    """Print the operators that took the most time in a profiled run."""
    ms = record['ms_per_minibatch']
    total = sum(ms.values())
    print(f'  operators, ms per minibatch (all: {total:.1f} ms):')
    for op, t in list(ms.items())[:top]:
        name = op if len(op) <= 60 else op[:57] + '...'  # bulked segments
        print(f'  {name:<60}{t:>8.2f}{100 * t / total:>6.1f}%')


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark the book\'s models on this device.'
    )
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument(
        '--models', nargs='+', choices=list(MODELS), default=list(MODELS)
    )
    parser.add_argument('--json', help='append the JSON lines to this file')
    parser.add_argument(
        '--profile',
        action='store_true',
        help='also list the operators that took the most time (slower)',
    )
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f'need --epochs >= 1, got {args.epochs}')
    records = [machine()]
    print(
        f'{"model":<26}{"tokens/sec":>11}{"min-max":>17}{"wall":>9}'
        f'{"perplexity":>11}{"seconds":>9}'
        f'   ({args.epochs} epochs on {records[0]["device"]})',
        flush=True,
    )
    for name in args.models:
        r = run(name, args.epochs, args.profile)
        records.append(r)
        print(
            f'{name:<26}{r["tokens_per_sec"]:>11}'
            f'{"%d-%d" % tuple(r["spread"]):>17}'
            f'{r["wall_tokens_per_sec"]:>9}{r["perplexity"]:>11.2f}'
            f'{r["seconds"]:>9.1f}',
            flush=True,
        )
        if args.profile:
            print_profile(r)
    lines = [json.dumps(r) for r in records]
    print('\n'.join(lines))
    if args.json:
        with open(args.json, 'a') as f:
            f.write('\n'.join(lines) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
