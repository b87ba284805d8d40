"""Plumbing for the chapters' training code, written by hand.

The chapters define the ideas (the model, the training loop, perplexity) and
save them into `d2lsave` with `#@save`. What is only engineering lives here,
so that it stays out of the reader's way: a fused gradient norm, holding back
Ctrl-C during a parameter update, and the live training plot.
"""
import contextlib
import signal
import threading

import mxnet as mx
from d2l import mxnet as d2l
from mxnet import np

__all__ = ['global_norm', 'ctrl_c_deferred', 'TrainingPlot']


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


class TrainingPlot(d2l.Animator):
    """d2l's `Animator` for perplexity curves (log scale), with the latest
    generated text as the plot's title, where redrawing does not erase it."""
    def __init__(self, num_epochs, heldout=True):
        super().__init__(xlabel='epoch', ylabel='perplexity',
                         legend=['train'] + (['held-out'] if heldout else []),
                         xlim=[1, num_epochs], yscale='log', figsize=(6, 3))
        self.note = ''
        configure = self.config_axes  # d2l calls it after every redraw

        def config_axes():
            configure()
            self.axes[0].set_title(self.note, loc='left', fontsize=8,
                                   family='monospace')
        self.config_axes = config_axes

    def add(self, epoch, train, heldout=None, sample=''):
        """Add one point per curve and show `sample` above the plot."""
        self.note = f'epoch {epoch}: {sample}'
        super().add(epoch, [train] if heldout is None else [train, heldout])
