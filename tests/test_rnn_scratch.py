"""Chapter 1: the RNN from scratch, its training loop and its guards."""
import math
import os
import signal

import mxnet as mx
import pytest
from d2l import mxnet as d2l
from mxnet import autograd, gluon, np, npx

import d2lsave

npx.set_np()
CTX = mx.cpu()


def scratch_model(vocab_size=28, num_hiddens=16):
    return d2lsave.RNNModelScratch(vocab_size, num_hiddens, CTX,
                                   d2lsave.get_params,
                                   d2lsave.init_rnn_state, d2lsave.rnn)


@pytest.fixture(scope='module')
def toy():
    """A tiny, perfectly repetitive text and its loader."""
    text = 'the time machine ' * 60
    vocab = d2l.Vocab(list(text))
    corpus = [vocab[c] for c in text]
    return vocab, d2lsave.SeqDataLoader(corpus, 4, 10)


def test_shapes_and_state():
    net = scratch_model(28, 512)
    X = np.zeros((32, 35), dtype='int32')
    state = net.begin_state(32, CTX)
    assert isinstance(state, tuple) and state[0].shape == (32, 512)
    Y, new_state = net(X, state)
    assert Y.shape == (1120, 28) and new_state[0].shape == (32, 512)
    assert (state[0] == 0).all()        # the input state is not modified
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
    norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in net.params))
    before = [p.grad.copy() for p in net.params]
    d2lsave.grad_clipping(net, norm * 2)        # below theta: untouched
    assert all((p.grad == b).all() for p, b in zip(net.params, before))
    d2lsave.grad_clipping(net, 1.0)
    after = math.sqrt(sum(float((p.grad ** 2).sum()) for p in net.params))
    assert after == pytest.approx(1.0, rel=1e-4)
    for p, b in zip(net.params, before):        # same direction
        assert np.allclose(p.grad * norm, b, rtol=1e-4)


def test_grad_clipping_works_on_gluon_blocks():
    net = gluon.nn.Dense(3)
    net.initialize(ctx=CTX)
    with autograd.record():
        out = (net(np.ones((2, 4)) * 100) ** 2).sum()
    out.backward()
    d2lsave.grad_clipping(net, 0.5)
    grads = [p.grad() for p in net.collect_params().values()]
    norm = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    assert norm == pytest.approx(0.5, rel=1e-4)


def test_rnn_gradients_match_finite_differences():
    d2lsave.set_seed(3)
    net = scratch_model(vocab_size=5, num_hiddens=4)
    for p in net.params:                        # larger, non-zero weights
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
    for trial in range(3):
        direction = [np.random.normal(size=p.shape) for p in net.params]
        analytic = sum(float((p.grad * d).sum())
                       for p, d in zip(net.params, direction))
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
    result = d2lsave.train_ch8(net, loader, vocab, lr=2, num_epochs=60,
                               ctx=CTX, plot_every=20,
                               prefixes=('the time', 'time'))
    assert result['perplexity'] < 1.1
    assert len(result['history']['train']) == 60
    assert result['history']['train'][0] > 3 * result['perplexity']
    out = capsys.readouterr().out
    assert 'tokens/sec on cpu(0)' in out and 'epoch 20:' in out
    assert d2lsave.predict_ch8('the time', 9, net, vocab, CTX) == \
        'the time machine '


def test_predict_returns_prefix_plus_num_preds(toy):
    vocab, _ = toy
    net = scratch_model(len(vocab))
    for prefix, n in [('t', 0), ('t', 5), ('the time', 12)]:
        text = d2lsave.predict_ch8(prefix, n, net, vocab, CTX)
        assert text.startswith(prefix) and len(text) == len(prefix) + n
        assert set(text) <= set(vocab.idx_to_token)


@pytest.mark.parametrize('prefix, message', [
    ('', 'non-empty string'),
    (None, 'non-empty string'),
    (42, 'non-empty string'),
    ('The time', r"outside the vocabulary: \['T'\]"),
    ('time!', r"outside the vocabulary: \['!'\]"),
])
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


@pytest.mark.parametrize('kwargs, message', [
    (dict(lr=0, num_epochs=1), 'lr must be a positive'),
    (dict(lr=-1, num_epochs=1), 'lr must be a positive'),
    (dict(lr=1, num_epochs=0), 'num_epochs must be'),
    (dict(lr=1, num_epochs=2.5), 'num_epochs must be'),
])
def test_bad_hyperparameters_are_explained(toy, kwargs, message):
    vocab, loader = toy
    with pytest.raises(ValueError, match=message):
        d2lsave.train_ch8(scratch_model(len(vocab)), loader, vocab,
                          ctx=CTX, prefixes=('the',), **kwargs)


def test_num_hiddens_must_be_positive():
    with pytest.raises(ValueError, match='num_hiddens must be'):
        scratch_model(28, 0)


def test_divergence_stops_with_a_clear_message(toy):
    vocab, loader = toy
    d2lsave.set_seed(0)
    net = scratch_model(len(vocab), 32)
    with pytest.raises(d2lsave.TrainingDiverged) as info:
        d2lsave.train_ch8(net, loader, vocab, lr=1e6, num_epochs=50,
                          ctx=CTX, theta=None, prefixes=('the',))
    message = str(info.value)
    assert 'diverged in epoch' in message and 'lr=1000000' in message
    assert 'theta=None' in message and 'Lower the learning rate' in message
    epoch = int(message.split('epoch ')[1].split(':')[0])
    history = info.value.result['history']
    assert len(history['train']) == epoch - 1 < 50
    assert all(math.isfinite(p) for p in history['train'])


def test_prefixes_that_do_not_fit_are_refused_before_training(toy):
    vocab, loader = toy   # the toy text has no 'r', 'v' or 'l'
    with pytest.raises(ValueError, match=r"'time traveller' has characters"):
        d2lsave.train_ch8(scratch_model(len(vocab)), loader, vocab, 1, 1,
                          CTX)


@pytest.fixture
def ctrl_c():
    """Python's usual Ctrl-C handler, even where SIGINT was inherited as
    ignored (e.g. a background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_an_interrupt_stops_between_updates_and_says_where(toy, capsys,
                                                           ctrl_c):
    vocab, loader = toy
    net = scratch_model(len(vocab), 32)
    updates = []
    real_step = d2lsave.update_uninterrupted

    def counting(step, batch_size):
        real_step(step, batch_size)
        updates.append([p.copy() for p in net.params])
        if len(updates) == 20:          # Ctrl-C while training
            os.kill(os.getpid(), signal.SIGINT)
    d2lsave.update_uninterrupted = counting
    try:
        with pytest.raises(KeyboardInterrupt):
            d2lsave.train_ch8(net, loader, vocab, lr=1, num_epochs=50,
                              ctx=CTX, prefixes=('the',))
    finally:
        d2lsave.update_uninterrupted = real_step
    out = capsys.readouterr().out
    assert 'interrupted in epoch' in out and 'finished minibatch' in out
    # the weights are those of the last finished update, not a mix
    assert 20 <= len(updates) < 50 * 14
    assert all((p == q).all() for p, q in zip(net.params, updates[-1]))
    # and the usual Ctrl-C handler is back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_update_defers_an_interrupt_until_it_is_whole(ctrl_c):
    done = []

    def slow_update(batch_size):
        os.kill(os.getpid(), signal.SIGINT)   # arrives mid-update
        done.append(batch_size)
    with pytest.raises(KeyboardInterrupt):
        d2lsave.update_uninterrupted(slow_update, 1)
    assert done == [1]                         # the update completed first


def test_same_seed_same_run(toy):
    """Reproducibility: with set_seed, two trainings give identical numbers."""
    vocab, loader = toy
    runs = []
    for _ in range(2):
        d2lsave.set_seed(7)
        net = scratch_model(len(vocab), 16)
        result = d2lsave.train_ch8(net, loader, vocab, lr=1, num_epochs=5,
                                   ctx=CTX, plot_every=5, prefixes=('the',))
        runs.append((result['history']['train'],
                     [p.asnumpy().tolist() for p in net.params]))
    assert runs[0] == runs[1]
