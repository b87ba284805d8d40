"""Chapter 2: RNNModel with Gluon layers, and its equivalence to chapter 1."""
import mxnet as mx
import pytest
from d2l import mxnet as d2l
from mxnet import init, np, npx
from mxnet.gluon import rnn

import d2lsave

npx.set_np()
CTX = mx.cpu()


@pytest.fixture(scope='module')
def toy():
    text = 'the time machine ' * 60
    vocab = d2l.Vocab(list(text))
    return vocab, d2lsave.SeqDataLoader([vocab[c] for c in text], 4, 10)


def gluon_model(layer, vocab_size, hybridize=False):
    model = d2lsave.RNNModel(layer, vocab_size)
    model.initialize(init.Normal(0.1), ctx=CTX)
    if hybridize:
        model.hybridize()
    return model


def random_scratch_model():
    """Chapter 1's model (28 tokens, 16 units) with large random weights."""
    d2lsave.set_seed(0)
    scratch = d2lsave.RNNModelScratch(28, 16, CTX, d2lsave.get_params,
                                      d2lsave.init_rnn_state, d2lsave.rnn)
    for p in scratch.params:
        p[:] = np.random.normal(scale=0.3, size=p.shape)
    return scratch


@pytest.mark.parametrize('hybridize', [False, True])
def test_scratch_and_gluon_rnn_are_the_same_model(hybridize):
    scratch = random_scratch_model()
    model = gluon_model(rnn.RNN(16, activation='tanh'), 28, hybridize)
    X = np.random.randint(0, 28, size=(3, 7))
    model(X, model.begin_state(batch_size=3, ctx=CTX))  # allocate params
    d2lsave.copy_scratch_to_gluon(scratch.params, model)
    state = [np.random.normal(size=(3, 16))]
    Y1, (H1,) = scratch(X, (state[0],))
    Y2, (H2,) = model(X, [state[0].reshape(1, 3, 16)])
    assert Y1.shape == Y2.shape == (21, 28)
    assert np.allclose(Y1, Y2, atol=1e-5)
    assert np.allclose(H1, H2[0], atol=1e-5)


LAYERS = {
    'RNN': lambda n: rnn.RNN(16, num_layers=n, activation='tanh'),
    'GRU': lambda n: rnn.GRU(16, num_layers=n),
    'LSTM': lambda n: rnn.LSTM(16, num_layers=n),
}


@pytest.mark.parametrize('kind', LAYERS)
@pytest.mark.parametrize('num_layers', [1, 2])
def test_rnnmodel_works_with_every_layer(toy, kind, num_layers, capsys):
    vocab, loader = toy
    model = gluon_model(LAYERS[kind](num_layers), len(vocab), hybridize=True)
    state = model.begin_state(batch_size=4, ctx=CTX)
    assert len(state) == (2 if kind == 'LSTM' else 1)
    assert state[0].shape == (num_layers, 4, 16)
    Y, new_state = model(np.zeros((4, 10)), state)
    assert Y.shape == (40, len(vocab))
    assert [s.shape for s in new_state] == [s.shape for s in state]
    text = d2lsave.predict_ch8('the', 7, model, vocab, CTX)
    assert len(text) == 10 and text.startswith('the')
    result = d2lsave.train_ch8(model, loader, vocab, lr=1, num_epochs=2,
                               ctx=CTX, plot_every=1,
                               prefixes=('the time',))
    assert result['perplexity'] < len(vocab)
    assert 'tokens/sec' in capsys.readouterr().out


def compiled_model(vocab_size, num_hiddens):
    model = d2lsave.RNNModelCompiled(vocab_size, num_hiddens)
    model.initialize(init.Normal(0.01), ctx=CTX)
    model.hybridize(static_alloc=True)
    return model


@pytest.mark.parametrize('build, lr, bound', [
    (lambda V: gluon_model(rnn.GRU(32), V, hybridize=True), 2, 1.1),
    (lambda V: compiled_model(V, 32), 1, 1.2)],
    ids=['RNNModel-GRU', 'compiled'])
def test_models_learn_a_repetitive_text(toy, build, lr, bound):
    vocab, loader = toy
    d2lsave.set_seed(0)
    model = build(len(vocab))
    result = d2lsave.train_ch8(model, loader, vocab, lr=lr, num_epochs=60,
                               ctx=CTX, plot_every=30,
                               prefixes=('the time',))
    assert result['perplexity'] < bound
    assert d2lsave.predict_ch8('the time', 9, model, vocab, CTX) == \
        'the time machine '


def test_a_wrong_state_is_refused():
    model = gluon_model(rnn.LSTM(16, num_layers=2), 28)
    X = np.zeros((4, 5))
    with pytest.raises(ValueError, match=r'begin_state\(batch_size=4'):
        model(X, model.begin_state(batch_size=3, ctx=CTX))
    with pytest.raises(ValueError, match='expected'):
        model(X, model.begin_state(batch_size=4, ctx=CTX)[:1])


def trained_models(vocab, loader):
    d2lsave.set_seed(0)
    scratch = d2lsave.RNNModelScratch(len(vocab), 24, CTX, d2lsave.get_params,
                                      d2lsave.init_rnn_state, d2lsave.rnn)
    gluon_lstm = gluon_model(rnn.LSTM(24, num_layers=2), len(vocab), True)
    for model in (scratch, gluon_lstm):
        d2lsave.train_ch8(model, loader, vocab, lr=1, num_epochs=3, ctx=CTX,
                          plot_every=3, prefixes=('the',))
    return {'scratch': (scratch, lambda: d2lsave.RNNModelScratch(
                len(vocab), 24, CTX, d2lsave.get_params,
                d2lsave.init_rnn_state, d2lsave.rnn)),
            'gluon': (gluon_lstm, lambda: d2lsave.RNNModel(
                rnn.LSTM(24, num_layers=2), len(vocab)))}


def test_save_and_load_round_trip(toy, tmp_path):
    vocab, loader = toy
    for name, (model, rebuild) in trained_models(vocab, loader).items():
        d2lsave.save_model(model, vocab, tmp_path / name)
        fresh = rebuild()
        if name == 'gluon':
            fresh.hybridize()
        loaded_vocab = d2lsave.load_model(fresh, tmp_path / name, CTX)
        assert loaded_vocab.idx_to_token == vocab.idx_to_token
        assert loaded_vocab['z'] == loaded_vocab.unk  # unknowns still map
        expected = d2lsave.predict_ch8('the ', 60, model, vocab, CTX)
        assert d2lsave.predict_ch8('the ', 60, fresh, loaded_vocab,
                                   CTX) == expected


def test_loading_into_a_different_model_is_refused(toy, tmp_path):
    vocab, _ = toy
    small = d2lsave.RNNModelScratch(len(vocab), 8, CTX, d2lsave.get_params,
                                    d2lsave.init_rnn_state, d2lsave.rnn)
    d2lsave.save_model(small, vocab, tmp_path)
    bigger = d2lsave.RNNModelScratch(len(vocab), 16, CTX, d2lsave.get_params,
                                     d2lsave.init_rnn_state, d2lsave.rnn)
    with pytest.raises(ValueError, match='same sizes'):
        d2lsave.load_model(bigger, tmp_path, CTX)
    other_vocab = d2lsave.RNNModelScratch(len(vocab) + 1, 8, CTX,
                                          d2lsave.get_params,
                                          d2lsave.init_rnn_state, d2lsave.rnn)
    with pytest.raises(ValueError, match='vocab_size'):
        d2lsave.load_model(other_vocab, tmp_path, CTX)


def compiled_copy_of(scratch, hybridize):
    """An RNNModelCompiled holding the scratch model's weights."""
    model = d2lsave.RNNModelCompiled(scratch.vocab_size, scratch.num_hiddens)
    model.initialize(ctx=CTX)
    if hybridize:
        model.hybridize(static_alloc=True)
    for name, value in zip(['W_xh', 'W_hh', 'b_h', 'W_hq', 'b_q'],
                           scratch.params):
        getattr(model, name).set_data(value.copy())
    return model


@pytest.mark.parametrize('hybridize', [False, True])
def test_compiled_model_is_chapter_1s_model(hybridize):
    """Same weights: same outputs, states and gradients, at any length."""
    scratch = random_scratch_model()
    model = compiled_copy_of(scratch, hybridize)
    for num_steps in (7, 1, 7, 3):  # new lengths record new graphs
        X = np.random.randint(0, 28, size=(3, num_steps))
        H0 = np.random.normal(size=(3, 16))
        with mx.autograd.record():
            Y1, (H1,) = scratch(X, (H0,))
            l1 = (Y1 ** 2).sum() + H1.sum()
        l1.backward()
        with mx.autograd.record():
            Y2, (H2,) = model(X, [H0])
            l2 = (Y2 ** 2).sum() + H2.sum()
        l2.backward()
        assert Y2.shape == (3 * num_steps, 28)
        assert np.allclose(Y1, Y2, atol=1e-5)
        assert np.allclose(H1, H2, atol=1e-5)
        for name, p in zip(['W_xh', 'W_hh', 'b_h', 'W_hq', 'b_q'],
                           scratch.params):
            assert np.allclose(p.grad, getattr(model, name).grad(),
                               rtol=1e-4, atol=1e-4), (num_steps, name)


def test_compiled_model_checks_its_state():
    model = compiled_model(28, 16)
    with pytest.raises(ValueError, match=r'begin_state\(batch_size=4'):
        model(np.zeros((4, 5)), model.begin_state(batch_size=3, ctx=CTX))
