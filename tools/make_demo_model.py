"""Train a small demo model for the intro page's text-generation widget.

    .venv/bin/python tools/make_demo_model.py [--epochs 50]

Trains `RNNModel(rnn.RNN(256, activation='tanh'))` like chapter 2 (same
data, initialization, learning rate and hybridization) for a short run, and
exports it with `export_for_web` to _extra/lm-models/demo-rnn.js, which the
build copies to _build/html/lm-models/. Seeded: the same run gives the same
file. About half a minute on two cores for 50 epochs.
"""
import argparse
import os
import time
from pathlib import Path

os.environ.setdefault('MPLBACKEND', 'Agg')  # train_ch8 plots: no window
import d2lsave  # noqa: E402  (before mxnet: thread settings)
from d2l import mxnet as d2l  # noqa: E402
from mxnet import init  # noqa: E402
from mxnet.gluon import rnn  # noqa: E402

from web_export import export_for_web  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / '_extra' / 'lm-models'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=int, default=50)
    parser.add_argument('--name', default='demo-rnn')
    args = parser.parse_args()
    d2lsave.set_seed(0)
    batch_size, num_steps, num_hiddens, lr = 32, 35, 256, 1
    train_iter, vocab = d2lsave.load_data_time_machine(batch_size, num_steps)
    ctx = d2l.try_gpu()
    net = d2lsave.RNNModel(rnn.RNN(num_hiddens, activation='tanh'),
                           len(vocab))
    net.initialize(init.Normal(0.01), ctx=ctx)
    net.hybridize(static_alloc=True, static_shape=True)
    start = time.time()
    result = d2lsave.train_ch8(net, train_iter, vocab, lr, args.epochs, ctx,
                               plot_every=args.epochs)
    print(f'trained in {time.time() - start:.0f} s')
    description = (
        f'rnn.RNN, {num_hiddens} hidden units, tanh, trained for '
        f'{args.epochs} epochs on the first 10,000 characters of the novel '
        f'(training perplexity {result["perplexity"]:.1f}): a quick demo; '
        f'the chapters train better models.')
    path = export_for_web(net, vocab, FOLDER, args.name, description)
    print(f'wrote {path.relative_to(ROOT)}: {path.stat().st_size:,} bytes')


if __name__ == '__main__':
    main()
