"""Plumbing for the chapters' training code, written by hand.

The chapters define the ideas (the model, the training loop, perplexity) and
save them into `d2lsave` with `#@save`. What is only engineering lives here,
so that it stays out of the reader's way (the appendix "Under the hood"
explains each piece): the check behind every claim of the text, argument
checks with actionable messages, a fused gradient norm, holding back Ctrl-C
during a parameter update, stopping a diverged run, the bookkeeping of
`train_ch8` (validation, early stopping, the live plot, the report), and a
faster way for Gluon's recurrent layers to join their parameters (installed
by `RNNModel`, not on import).
"""

import contextlib
import functools
import math
import signal
import statistics
import threading
import time

import IPython
import IPython.display
import mxnet as mx
from d2l import mxnet as d2l
from mxnet import gluon, np

import d2lsave  # the chapters' helpers, looked up when called

__all__ = [
    'check_claim',
    'check_positive_int',
    'check_state',
    'check_prefix',
    'check_vocab',
    'check_training',
    'TrainingDiverged',
    'check_divergence',
    'make_updater',
    'global_norm',
    'ctrl_c_deferred',
    'TrainingPlot',
    'Progress',
    'report_training',
    'join_rows',
    'use_row_join',
    'mxnet_join',
]


def check_claim(holds, claim):
    """Fail with the wording of `claim` unless `holds` is true.

    The chapters call it, in cells hidden from the website, for every
    statement of their text that rests on a computed number, so that
    re-running a notebook re-checks its prose.
    """
    if not holds:
        raise AssertionError(
            f'The text says: "{claim}", but this run contradicts it. '
            f'Compare the outputs with the text and fix whichever is wrong.'
        )


def check_positive_int(**values):
    """Raise ValueError unless every keyword argument is an int >= 1."""
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(
                f'{name} must be a positive integer, got {value!r}'
            )


def check_state(state, expected, batch_size):
    """Raise ValueError unless the state arrays have the expected shapes."""
    shapes = [s.shape for s in state]
    if shapes != expected:
        raise ValueError(
            f'state shapes {shapes} do not fit a minibatch of {batch_size} '
            f'examples: expected {expected}. Make it with '
            f'model.begin_state(batch_size={batch_size}, ctx=ctx).'
        )


def check_prefix(prefix, vocab):
    """Raise ValueError unless `prefix` is a non-empty string of known
    tokens (a model fed `<unk>`, which it never saw in training, would
    produce nonsense without saying why)."""
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(
            f'prefix must be a non-empty string such as '
            f"'time traveller', got {prefix!r}"
        )
    unknown = sorted({c for c in prefix if c not in vocab.token_to_idx})
    if unknown:
        known = ''.join(t for t in vocab.idx_to_token if len(t) == 1)
        raise ValueError(
            f'prefix {prefix!r} has characters outside the vocabulary: '
            f'{unknown}. The model knows only {known!r}; lowercase the '
            f'prefix and replace other characters with spaces.'
        )


def check_vocab(model, vocab):
    """Raise ValueError if the model was built for another vocabulary size."""
    if model.vocab_size != len(vocab):
        raise ValueError(
            f'the model was built for {model.vocab_size} tokens '
            f'but the vocabulary has {len(vocab)}: build the '
            f'model with vocab_size=len(vocab).'
        )


def check_training(model, vocab, lr, num_epochs, prefixes, plot_every):
    """Raise ValueError for arguments of `train_ch8` that cannot work,
    before any work is done (prefixes too, not after the first epochs)."""
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f'lr must be a positive number, got {lr!r}')
    check_positive_int(num_epochs=num_epochs, plot_every=plot_every)
    check_vocab(model, vocab)
    for prefix in prefixes:
        check_prefix(prefix, vocab)


class TrainingDiverged(RuntimeError):
    """The training loss became NaN or infinite, or absurdly large."""


def check_divergence(ppl, epoch, vocab, lr, theta, result):
    """Raise TrainingDiverged (with `result` attached) if `ppl` is NaN,
    infinite or over 1000 times the vocabulary size, which no working
    model reaches; the message says what to change."""
    if ppl <= 1000 * len(vocab):  # False for NaN
        return
    error = TrainingDiverged(
        f'training diverged in epoch {epoch}: the perplexity is {ppl:.3g}, '
        f'over 1000 times that of guessing among {len(vocab)} tokens '
        f'(lr={lr}, gradient clipping theta={theta}). Lower the learning '
        f'rate or clip gradients (theta=1), then retrain a fresh model.'
    )
    error.result = result
    raise error


def make_updater(model, lr, optimizer='sgd'):
    """Return updater(batch_size): one uninterruptible parameter update.

    Scratch models use `d2l.sgd`; Gluon models any optimizer of
    `gluon.Trainer`. Each update runs inside `ctrl_c_deferred()`.
    """
    if isinstance(model, gluon.Block):
        step = gluon.Trainer(
            model.collect_params(), optimizer, {'learning_rate': lr}
        ).step
    elif optimizer == 'sgd':

        def step(batch_size):
            d2l.sgd(model.params, lr, batch_size)
    else:
        raise ValueError(
            f'scratch models train with optimizer="sgd" only, '
            f'got {optimizer!r}; use a Gluon model for others'
        )

    def updater(batch_size):
        with ctrl_c_deferred():
            step(batch_size)

    return updater


def global_norm(arrays):
    """Return the L2 norm of all `arrays` taken together, as a 1-element array
    on their device (no wait for the device).

    One operator (`multi_sum_sq`) computes the sums of squares of every array
    at once; it takes MXNet's classic `NDArray`, which `as_nd_ndarray()`
    gives without copying.
    """
    sums = mx.nd.multi_sum_sq(
        *[a.as_nd_ndarray() for a in arrays], num_arrays=len(arrays)
    )
    return np.sqrt(sums.as_np_ndarray().sum(keepdims=True))


@contextlib.contextmanager
def ctrl_c_deferred():
    """Hold back Ctrl-C (SIGINT) until the `with` block has finished.

    A parameter update interrupted halfway would leave some parameters
    updated and others not. Inside the block, a SIGINT is only recorded;
    when the block ends, the previous handler gets it (by default:
    KeyboardInterrupt). Signal handlers exist in the main thread only; in
    other threads the block runs unprotected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *args: caught.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        if callable(previous):
            previous(*caught[0])
        elif previous == signal.SIG_DFL:
            raise KeyboardInterrupt


class TrainingPlot:
    """Live perplexity curves (log scale) for `train_ch8`, with a line of
    generated text as the title, where redrawing does not erase it.

    `add` records a point per curve and costs nothing; `draw` redraws the
    figure. `train_ch8` draws when `due()` and after the last epoch. A
    drawing is due once `min_seconds` of wall time have passed since the
    last one, and at least as many seconds as the last drawing took divided
    by `max_share`, so that drawing stays within about `max_share` of a long
    run (a redraw in Jupyter can take a few tenths of a second; the sample
    in the title, generated before each drawing, costs less). In a notebook
    the figure updates in place, through a display handle, so that lines
    printed before it or by other runs in the same cell stay; elsewhere
    nothing is shown. `reference` ({name: perplexity}, e.g. baselines on
    the validation text) is drawn as dotted horizontal lines.
    """

    def __init__(
        self,
        num_epochs,
        heldout=True,
        min_seconds=10,
        max_share=0.01,
        reference=None,
    ):
        d2l.use_svg_display()
        self.fig, self.ax = d2l.plt.subplots(figsize=(6, 3))
        d2l.plt.close(self.fig)  # shown by `draw` only, not again at the end
        self.handle = None  # the display that `draw` updates
        self.num_epochs, self.min_seconds = num_epochs, min_seconds
        self.max_share = max_share
        self.curves = {'train': ([], [])}
        if heldout:
            self.curves['validation'] = ([], [])
        self.last_draw, self.draw_seconds = -math.inf, 0.0
        self.reference = dict(reference or {})

    def add(self, epoch, train, heldout=None):
        """Record the perplexities of one epoch (validation: None if not
        measured)."""
        for name, value in (('train', train), ('validation', heldout)):
            if value is not None and name in self.curves:
                self.curves[name][0].append(epoch)
                self.curves[name][1].append(value)

    def due(self):
        """Whether a drawing is due (see the class docstring)."""
        wait = max(self.min_seconds, self.draw_seconds / self.max_share)
        return time.perf_counter() - self.last_draw >= wait

    def draw(self, title=''):
        """Redraw the curves with `title` above them."""
        start = time.perf_counter()
        self.ax.cla()
        for name, (epochs, values) in self.curves.items():
            self.ax.plot(epochs, values, label=name)
        for i, (name, value) in enumerate(self.reference.items()):
            self.ax.axhline(
                value, color=f'C{i + 2}', linestyle=':', label=name
            )
        self.ax.set(
            xlabel='epoch',
            ylabel='perplexity',
            yscale='log',
            xlim=(1, max(self.num_epochs, 2)),
        )
        self.ax.grid(True)
        self.ax.legend()
        self.ax.set_title(title, loc='left', fontsize=8, family='monospace')
        if IPython.get_ipython() is not None:  # in Jupyter: update in place
            if self.handle is None:
                self.handle = IPython.display.display(
                    self.fig, display_id=True
                )
            else:
                self.handle.update(self.fig)
        self.last_draw = time.perf_counter()
        self.draw_seconds = self.last_draw - start


class Progress:
    """The bookkeeping of `train_ch8`: validation, early stopping, the live
    plot, samples, the history and the final report.

    Call `epoch_done` after every epoch and `finish` after the last. Every
    `plot_every` epochs, and after the last, it measures the validation
    perplexity on `valid_iter` (None: never) and remembers the best value
    and its epoch; with `keep_best=True` also that epoch's parameters, which
    `finish` restores (early stopping). If `verbose`, it plots both
    perplexities with a continuation of `prefixes[0]` when `TrainingPlot`
    says a drawing is due and after the last epoch, and `finish` prints a
    report (`report_training`). Used as a context manager, it says on
    Ctrl-C that the model keeps its last finished minibatch. `reference`
    goes to the plot (`TrainingPlot`).
    """

    def __init__(
        self,
        model,
        vocab,
        ctx,
        num_epochs,
        valid_iter=None,
        plot_every=10,
        prefixes=('time traveller',),
        keep_best=False,
        verbose=True,
        reference=None,
    ):
        self.model, self.vocab, self.ctx = model, vocab, ctx
        self.num_epochs, self.valid_iter = num_epochs, valid_iter
        self.plot_every, self.prefixes = plot_every, prefixes
        self.keep_best, self.verbose = keep_best, verbose
        self.plot = (
            TrainingPlot(
                num_epochs, valid_iter is not None, reference=reference
            )
            if verbose
            else None
        )
        self.history = {
            'epoch': [],
            'train': [],
            'valid': [],
            'tokens_per_sec': [],
        }
        self.result = {
            'history': self.history,
            'samples': {},
            'best_valid': math.inf,
            'best_epoch': None,
            'valid_perplexity': None,
        }
        self.best_params, self.epoch, self.tokens = None, 0, 0
        self.start = time.perf_counter()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is KeyboardInterrupt:
            print(
                f'interrupted in epoch {self.epoch + 1}: the model keeps '
                f'the weights of its last finished minibatch; call '
                f'train_ch8 again to go on.'
            )
        return False  # the exception, if any, goes on

    def epoch_done(self, epoch, ppl, tokens_per_sec, seconds):
        """Record an epoch's training perplexity, speed and wall seconds;
        evaluate, keep the best parameters and draw when due."""
        self.epoch = epoch
        self.tokens += tokens_per_sec * seconds
        self.result['perplexity'] = ppl
        held = None
        if epoch % self.plot_every == 0 or epoch == self.num_epochs:
            if self.valid_iter is not None:
                held = d2lsave.evaluate_ppl(
                    self.model, self.valid_iter, self.ctx
                )
                self.result['valid_perplexity'] = held
                if held < self.result['best_valid']:
                    self.result.update(best_valid=held, best_epoch=epoch)
                    if self.keep_best:
                        self.best_params = [
                            p.copy() for p in d2lsave.model_params(self.model)
                        ]
            if self.verbose:
                self.plot.add(epoch, ppl, held)
                if self.plot.due() or epoch == self.num_epochs:
                    sample = d2lsave.predict_ch8(
                        self.prefixes[0], 50, self.model, self.vocab, self.ctx
                    )
                    self.result['samples'][epoch] = sample
                    self.plot.draw(f'epoch {epoch}: {sample}')
        for key, value in zip(
            self.history, (epoch, ppl, held, tokens_per_sec)
        ):
            self.history[key].append(value)

    def finish(self):
        """Restore the best parameters (with `keep_best`), report if
        `verbose`, and return the result dict (see `train_ch8`)."""
        if self.best_params is not None:  # early stopping
            for param, best in zip(
                d2lsave.model_params(self.model), self.best_params
            ):
                param[:] = best
        seconds = time.perf_counter() - self.start
        speeds = self.history['tokens_per_sec']
        self.result.update(
            seconds=seconds,
            tokens_per_sec=statistics.median(speeds[2:] or speeds),
            wall_tokens_per_sec=self.tokens / seconds,
        )
        if self.verbose:
            report_training(
                self.result,
                self.model,
                self.vocab,
                self.ctx,
                self.prefixes,
                self.keep_best,
            )
        return self.result


def report_training(result, model, vocab, ctx, prefixes, keep_best=False):
    """Print the results of `train_ch8`: one line of numbers, a few of the
    samples taken during training, and a continuation of each prefix."""
    held = ''
    if result['best_epoch'] is not None:
        held = (
            f', validation {result["valid_perplexity"]:.1f} (best '
            f'{result["best_valid"]:.1f} in epoch '
            f'{result["best_epoch"]}' + (', restored)' if keep_best else ')')
        )
    print(
        f'perplexity {result["perplexity"]:.1f}{held}, '
        f'{result["tokens_per_sec"]:,.0f} tokens/sec on {ctx} '
        f'({result["wall_tokens_per_sec"]:,.0f} over the whole run)'
    )
    epochs = list(result['samples'])
    shown = {epochs[(len(epochs) - 1) * i // 3] for i in range(4)}
    for epoch in sorted(shown):
        print(f'epoch {epoch}: {result["samples"][epoch]}')
    for prefix in prefixes:
        print(d2lsave.predict_ch8(prefix, 50, model, vocab, ctx))


def _shape(array):
    """The shape of an NDArray or Symbol; None if not known yet."""
    if isinstance(array, mx.symbol.Symbol):
        shape = array.infer_shape_partial()[1][0]
        return shape if shape and min(shape) > 0 else None
    return array.shape


def join_rows(concat):
    """Wrap MXNet's `rnn_param_concat` to copy rows instead of single numbers.

    On every forward pass, Gluon's recurrent layers (`rnn.RNN`, `rnn.GRU`,
    `rnn.LSTM`) flatten each weight and bias to 1-D and join them into the
    one vector that the fused operator takes. MXNet 1.9.1 copies 1-D arrays
    one number at a time. Seen as rows of k numbers, k the greatest common
    divisor of their sizes (1,024 for the 2-layer LSTM with 256 units), the
    same bytes are joined into the same vector, bit for bit, much faster:
    for that LSTM the join went from about 5 to 0.2 ms per minibatch and
    its gradient (a split) from 2.3 to 0.5 ms, of about 50 ms in all
    (`bench.run(..., profile=True)` inside and outside `mxnet_join()`, as
    chapter 3 does; AMD EPYC, 2 threads).

    The gain is in hybridized graphs, where the rows are fixed arrays of
    the graph. Called imperatively, each call makes new row views and the
    gain is smaller and uneven (that LSTM's parameters, eight alternating
    timings: 1.1 to 4.6 ms per join against 3.9 ms). When a size is
    not known yet, MXNet's join runs: so it does in the graph of a
    hybridized layer built without `input_size` (`RNNModel` hybridizes
    itself and sets the input size, so the book's models get the faster
    join). `use_row_join()` puts it in place.
    """

    @functools.wraps(concat)
    def wrapped(*arrays, dim=0, **kwargs):
        shapes = [_shape(a) for a in arrays]
        if dim == 0 and shapes and all(s and len(s) == 1 for s in shapes):
            k = math.gcd(*(s[0] for s in shapes))
            if k > 1:
                rows = [a.reshape(-1, k) for a in arrays]
                return concat(*rows, dim=0, **kwargs).reshape(-1)
        return concat(*arrays, dim=dim, **kwargs)

    wrapped.original = concat
    return wrapped


# Where Gluon's layers look the join up, when run and when hybridized.
JOIN_MODULES = (mx.ndarray.numpy._internal, mx.symbol.numpy._internal)
_mxnet_join_depth = 0  # > 0 inside `mxnet_join()`


def use_row_join():
    """Make Gluon's recurrent layers join their parameters with `join_rows`.

    `RNNModel` calls it when it is built, so that `import d2lsave` alone
    changes nothing in MXNet. It replaces MXNet's `rnn_param_concat`, for
    every layer called (or hybridized) afterwards, with a join that gives
    the same vector bit for bit. Calling it again does nothing; inside
    `mxnet_join()` it does nothing either.
    """
    if _mxnet_join_depth:
        return
    for module in JOIN_MODULES:
        if not hasattr(module.rnn_param_concat, 'original'):
            module.rnn_param_concat = join_rows(module.rnn_param_concat)


@contextlib.contextmanager
def mxnet_join():
    """Inside the block, Gluon's recurrent layers use MXNet's own join.

    For comparisons. A hybridized layer records its graph on its first
    call: a layer first called inside the block keeps MXNet's join after it.
    """
    global _mxnet_join_depth
    saved = [(module, module.rnn_param_concat) for module in JOIN_MODULES]
    for module, join in saved:
        module.rnn_param_concat = getattr(join, 'original', join)
    _mxnet_join_depth += 1
    try:
        yield
    finally:
        _mxnet_join_depth -= 1
        for module, join in saved:
            module.rnn_param_concat = join
