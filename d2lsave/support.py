"""Plumbing for the chapters' training code, written by hand.

The chapters define the ideas (the model, the training loop, perplexity) and
save them into `d2lsave` with `#@save`. What is only engineering lives here,
so that it stays out of the reader's way: a fused gradient norm, holding back
Ctrl-C during a parameter update, the live training plot, and a faster way
for Gluon's recurrent layers to join their parameters (applied on import).
"""
import contextlib
import functools
import math
import signal
import threading
import time

import IPython
import IPython.display

import mxnet as mx
from d2l import mxnet as d2l
from mxnet import np

__all__ = ['global_norm', 'ctrl_c_deferred', 'TrainingPlot',
           'join_rows', 'mxnet_join']


def global_norm(arrays):
    """Return the L2 norm of all `arrays` taken together, as a 1-element array
    on their device (no wait for the device).

    One operator (`multi_sum_sq`) computes the sums of squares of every array
    at once; it takes MXNet's classic `NDArray`, which `as_nd_ndarray()`
    gives without copying.
    """
    sums = mx.nd.multi_sum_sq(*[a.as_nd_ndarray() for a in arrays],
                              num_arrays=len(arrays))
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
    nothing is shown.
    """
    def __init__(self, num_epochs, heldout=True, min_seconds=10,
                 max_share=0.01):
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
        self.ax.set(xlabel='epoch', ylabel='perplexity', yscale='log',
                    xlim=(1, max(self.num_epochs, 2)))
        self.ax.grid(True)
        self.ax.legend()
        self.ax.set_title(title, loc='left', fontsize=8, family='monospace')
        if IPython.get_ipython() is not None:  # in Jupyter: update in place
            if self.handle is None:
                self.handle = IPython.display.display(self.fig,
                                                      display_id=True)
            else:
                self.handle.update(self.fig)
        self.last_draw = time.perf_counter()
        self.draw_seconds = self.last_draw - start


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
    join).
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
for _module in JOIN_MODULES:
    if not hasattr(_module.rnn_param_concat, 'original'):
        _module.rnn_param_concat = join_rows(_module.rnn_param_concat)


@contextlib.contextmanager
def mxnet_join():
    """Inside the block, Gluon's recurrent layers use MXNet's own join.

    For comparisons. A hybridized layer records its graph on its first
    call: a layer first called inside the block keeps MXNet's join after it.
    """
    saved = [(module, module.rnn_param_concat) for module in JOIN_MODULES]
    for module, join in saved:
        module.rnn_param_concat = getattr(join, 'original', join)
    try:
        yield
    finally:
        for module, join in saved:
            module.rnn_param_concat = join
