"""Chapter 2: the RNN from scratch, its training loop and its guards."""

import math
import os
import signal

import mxnet as mx
import pytest
from mxnet import autograd, gluon, np, npx

import d2lsave

npx.set_np()
CTX = mx.cpu()


def scratch_model(vocab_size=28, num_hiddens=16):
    return d2lsave.RNNModelScratch(vocab_size, num_hiddens, CTX)


def test_the_reference_call_still_works():
    """The reference chapters pass the three functions explicitly."""
    net = d2lsave.RNNModelScratch(
        28, 8, CTX, d2lsave.get_params, d2lsave.init_rnn_state, d2lsave.rnn
    )
    Y, state = net(np.zeros((2, 3), dtype='int32'), net.begin_state(2, CTX))
    assert Y.shape == (6, 28) and state[0].shape == (2, 8)


def test_shapes_and_state():
    net = scratch_model(28, 512)
    X = np.zeros((32, 35), dtype='int32')
    state = net.begin_state(32, CTX)
    assert isinstance(state, tuple) and state[0].shape == (32, 512)
    Y, new_state = net(X, state)
    assert Y.shape == (1120, 28) and new_state[0].shape == (32, 512)
    assert (state[0] == 0).all()  # the input state is not modified
    W_xh, W_hh, b_h, W_hq, b_q = net.params
    assert W_xh.shape == (28, 512) and W_hh.shape == (512, 512)
    assert abs(float(W_hh.std()) - 0.01) < 0.001 and (b_h == 0).all()


def test_a_wrong_state_is_refused():
    net = scratch_model()
    X = np.zeros((4, 5), dtype='int32')
    with pytest.raises(ValueError, match=r'begin_state\(batch_size=4'):
        net(X, net.begin_state(3, CTX))


def test_grad_clipping_caps_the_global_norm():
    net = scratch_model()
    for p, value in zip(net.params, [3.0, -2.0, 1.0, 0.5, 4.0]):
        p.grad[:] = value
    norm = math.sqrt(sum(float((p.grad**2).sum()) for p in net.params))
    before = [p.grad.copy() for p in net.params]
    d2lsave.grad_clipping(net, norm * 2)  # below theta: untouched
    assert all((p.grad == b).all() for p, b in zip(net.params, before))
    d2lsave.grad_clipping(net, 1.0)
    after = math.sqrt(sum(float((p.grad**2).sum()) for p in net.params))
    assert after == pytest.approx(1.0, rel=1e-4)
    for p, b in zip(net.params, before):  # same direction
        assert np.allclose(p.grad * norm, b, rtol=1e-4)


def test_grad_clipping_works_on_gluon_blocks():
    net = gluon.nn.Dense(3)
    net.initialize(ctx=CTX)
    with autograd.record():
        out = (net(np.ones((2, 4)) * 100) ** 2).sum()
    out.backward()
    d2lsave.grad_clipping(net, 0.5)
    grads = [p.grad() for p in net.collect_params().values()]
    norm = math.sqrt(sum(float((g**2).sum()) for g in grads))
    assert norm == pytest.approx(0.5, rel=1e-4)


@pytest.mark.parametrize('cell', ['rnn', 'gru', 'lstm'])
def test_scratch_gradients_match_finite_differences(cell):
    """Autograd through the scratch cells (Chapters 2 and 4) against
    central differences along random directions."""
    d2lsave.set_seed(3)
    net = d2lsave.scratch_lm(cell, 5, 4, CTX)
    for p in net.params:  # larger, non-zero weights
        p[:] = np.random.normal(scale=0.5, size=p.shape)
    X = np.array([[0, 1, 2, 3], [4, 3, 2, 1]])
    y = np.array([[1, 2, 3, 4], [3, 2, 1, 0]]).T.reshape(-1)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()

    def total_loss():
        out, _ = net(X, net.begin_state(2, CTX))
        return loss(out, y).sum()

    with autograd.record():
        value = total_loss()
    value.backward()
    for _ in range(3):  # three random directions
        direction = [np.random.normal(size=p.shape) for p in net.params]
        analytic = sum(
            float((p.grad * d).sum()) for p, d in zip(net.params, direction)
        )
        eps, values = 1e-2, []
        for sign in (1, -1):
            for p, d in zip(net.params, direction):
                p += sign * eps * d
            values.append(float(total_loss()))
            for p, d in zip(net.params, direction):
                p -= sign * eps * d
        numeric = (values[0] - values[1]) / (2 * eps)
        assert numeric == pytest.approx(analytic, rel=2e-2, abs=1e-3)


def test_training_learns_a_repetitive_text(toy, capsys):
    vocab, loader = toy
    d2lsave.set_seed(0)
    net = scratch_model(len(vocab), 32)
    result = d2lsave.train_ch8(
        net,
        loader,
        vocab,
        lr=2,
        num_epochs=60,
        ctx=CTX,
        plot_every=20,
        prefixes=('the time', 'time'),
    )
    assert result['perplexity'] < 1.1
    assert len(result['history']['train']) == 60
    assert result['history']['train'][0] > 3 * result['perplexity']
    out = capsys.readouterr().out
    assert 'tokens/sec on cpu(0)' in out and 'epoch 20:' in out
    assert (
        d2lsave.predict_ch8('the time', 9, net, vocab, CTX)
        == 'the time machine '
    )


def test_predict_returns_prefix_plus_num_preds(toy):
    vocab, _ = toy
    net = scratch_model(len(vocab))
    for prefix, n in [('t', 0), ('t', 5), ('the time', 12)]:
        text = d2lsave.predict_ch8(prefix, n, net, vocab, CTX)
        assert text.startswith(prefix) and len(text) == len(prefix) + n
        assert set(text) <= set(vocab.idx_to_token)


@pytest.mark.parametrize(
    'prefix, message',
    [
        ('', 'non-empty string'),
        (None, 'non-empty string'),
        (42, 'non-empty string'),
        ('The time', r"outside the vocabulary: \['T'\]"),
        ('time!', r"outside the vocabulary: \['!'\]"),
    ],
)
def test_bad_prefixes_are_explained(toy, prefix, message):
    vocab, _ = toy
    with pytest.raises(ValueError, match=message):
        d2lsave.predict_ch8(prefix, 5, scratch_model(len(vocab)), vocab, CTX)


def test_model_and_vocab_must_agree(toy):
    vocab, loader = toy
    net = scratch_model(len(vocab) + 3)
    with pytest.raises(ValueError, match='vocab_size=len'):
        d2lsave.predict_ch8('the', 5, net, vocab, CTX)
    with pytest.raises(ValueError, match='vocab_size=len'):
        d2lsave.train_ch8(net, loader, vocab, 1, 1, CTX)


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(lr=0, num_epochs=1), 'lr must be a positive'),
        (dict(lr=-1, num_epochs=1), 'lr must be a positive'),
        (dict(lr=1, num_epochs=0), 'num_epochs must be'),
        (dict(lr=1, num_epochs=2.5), 'num_epochs must be'),
    ],
)
def test_bad_hyperparameters_are_explained(toy, kwargs, message):
    vocab, loader = toy
    with pytest.raises(ValueError, match=message):
        d2lsave.train_ch8(
            scratch_model(len(vocab)),
            loader,
            vocab,
            ctx=CTX,
            prefixes=('the',),
            **kwargs,
        )


def test_num_hiddens_must_be_positive():
    with pytest.raises(ValueError, match='num_hiddens must be'):
        scratch_model(28, 0)


def test_divergence_stops_with_a_clear_message(toy):
    vocab, loader = toy
    d2lsave.set_seed(0)
    net = scratch_model(len(vocab), 32)
    with pytest.raises(d2lsave.TrainingDiverged) as info:
        d2lsave.train_ch8(
            net,
            loader,
            vocab,
            lr=1e6,
            num_epochs=50,
            ctx=CTX,
            theta=None,
            prefixes=('the',),
        )
    message = str(info.value)
    assert 'diverged in epoch' in message and 'lr=1000000' in message
    assert 'theta=None' in message and 'Lower the learning rate' in message
    epoch = int(message.split('epoch ')[1].split(':')[0])
    history = info.value.result['history']
    assert len(history['train']) == epoch - 1 < 50
    assert all(math.isfinite(p) for p in history['train'])


def test_prefixes_that_do_not_fit_are_refused_before_training(toy):
    vocab, loader = toy  # the toy text has no 'r', 'v' or 'l'
    with pytest.raises(ValueError, match=r"'time traveller' has characters"):
        d2lsave.train_ch8(scratch_model(len(vocab)), loader, vocab, 1, 1, CTX)


@pytest.fixture
def ctrl_c():
    """Python's usual Ctrl-C handler, even where SIGINT was inherited as
    ignored (e.g. a background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_an_interrupt_stops_between_updates_and_says_where(
    toy, capsys, ctrl_c, monkeypatch
):
    vocab, loader = toy
    net = scratch_model(len(vocab), 32)
    updates = []
    real_sgd = d2lsave.d2l.sgd

    def sgd(params, lr, batch_size):  # the update of scratch models
        if len(updates) == 19:  # Ctrl-C arrives in the middle of it
            os.kill(os.getpid(), signal.SIGINT)
        real_sgd(params, lr, batch_size)
        updates.append([p.copy() for p in net.params])

    monkeypatch.setattr(d2lsave.d2l, 'sgd', sgd)
    with pytest.raises(KeyboardInterrupt):
        d2lsave.train_ch8(
            net, loader, vocab, lr=1, num_epochs=50, ctx=CTX, prefixes=('the',)
        )
    out = capsys.readouterr().out
    assert 'interrupted in epoch' in out and 'finished minibatch' in out
    # the update under way finished, and the weights are its weights
    assert len(updates) == 20
    assert all((p == q).all() for p, q in zip(net.params, updates[-1]))
    # and the usual Ctrl-C handler is back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_deferred_holds_an_interrupt_until_the_block_ends(ctrl_c):
    done = []
    with pytest.raises(KeyboardInterrupt):
        with d2lsave.support.ctrl_c_deferred():
            os.kill(os.getpid(), signal.SIGINT)  # arrives mid-update
            done.append(1)
    assert done == [1]  # the block completed first


def test_keep_best_restores_the_best_evaluation(toy):
    """Early stopping: the restored parameters give exactly the best
    validation perplexity that train_ch8 reported."""
    vocab, loader = toy
    valid_text = 'the machine time ' * 3
    valid = d2lsave.TextSplit(
        [vocab[c] for c in valid_text],
        [vocab[c] for c in 'time the '],
        num_rows=3,
        num_warmup=4,
    )
    d2lsave.set_seed(0)
    net = scratch_model(len(vocab), 16)
    result = d2lsave.train_ch8(
        net,
        loader,
        vocab,
        lr=3,
        num_epochs=80,
        ctx=CTX,
        valid_iter=valid,
        plot_every=2,
        keep_best=True,
        verbose=False,
    )
    history = [h for h in result['history']['valid'] if h is not None]
    assert len(history) == 40 and result['best_valid'] == min(history)
    assert result['best_epoch'] < 80  # the run went past its best epoch
    assert result['valid_perplexity'] != result['best_valid']
    assert d2lsave.evaluate_ppl(net, valid, CTX) == result['best_valid']


def test_verbose_false_prints_nothing(toy, capsys):
    vocab, loader = toy
    result = d2lsave.train_ch8(
        scratch_model(len(vocab)),
        loader,
        vocab,
        1,
        3,
        CTX,
        prefixes=('the',),
        verbose=False,
    )
    assert capsys.readouterr().out == '' and result['samples'] == {}
    history = result['history']
    assert list(history) == ['epoch', 'train', 'valid', 'tokens_per_sec']
    assert all(len(v) == 3 for v in history.values())
    assert history['valid'] == [None, None, None]  # the toy has none


@pytest.mark.parametrize(
    'total_loss, num_tokens, expected',
    [
        (0.0, 10, 1.0),
        (10 * math.log(28), 10, 28.0),
        (7000.0, 10, math.inf),
        (float('nan'), 10, math.inf),
    ],
)
def test_one_overflow_rule_for_perplexity(total_loss, num_tokens, expected):
    assert d2lsave.perplexity(total_loss, num_tokens) == pytest.approx(
        expected
    )


def test_same_seed_same_run(toy):
    """Reproducibility: with set_seed, two trainings give identical numbers."""
    vocab, loader = toy
    runs = []
    for _ in range(2):
        d2lsave.set_seed(7)
        net = scratch_model(len(vocab), 16)
        result = d2lsave.train_ch8(
            net,
            loader,
            vocab,
            lr=1,
            num_epochs=5,
            ctx=CTX,
            plot_every=5,
            prefixes=('the',),
        )
        runs.append(
            (
                result['history']['train'],
                [p.asnumpy().tolist() for p in net.params],
            )
        )
    assert runs[0] == runs[1]


def test_training_plot_waits_longer_after_a_slow_drawing(monkeypatch):
    """The live plot redraws at most every `min_seconds`, and after a
    drawing that took s seconds, not before s / max_share seconds."""
    from d2lsave import support

    plot = support.TrainingPlot(10, min_seconds=1, max_share=0.01)
    assert plot.due()  # nothing drawn yet
    clock = [100.0]
    monkeypatch.setattr(support.time, 'perf_counter', lambda: clock[0])
    plot.draw('epoch 1: text')  # takes 0 s on this clock
    clock[0] = 100.5
    assert not plot.due()
    clock[0] = 101.0
    assert plot.due()
    plot.draw_seconds = 0.05  # a slow drawing: wait 5 s
    assert not plot.due()
    clock[0] = 105.0
    assert plot.due()
