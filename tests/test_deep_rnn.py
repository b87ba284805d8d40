"""Chapter 3: the stacked scratch RNN equals Gluon's multi-layer RNN."""
import mxnet as mx
import pytest
from d2l import mxnet as d2l
from mxnet import np, npx
from mxnet.gluon import rnn

import d2lsave

npx.set_np()
CTX = mx.cpu()


@pytest.mark.parametrize('num_layers', [1, 2, 3])
def test_stacked_scratch_rnn_matches_gluon(num_layers):
    d2lsave.set_seed(num_layers)
    scratch = d2lsave.deep_rnn_scratch(28, 16, num_layers, CTX)
    assert len(scratch.params) == 3 * num_layers + 2
    for p in scratch.params:
        p[:] = np.random.normal(scale=0.3, size=p.shape)
    model = d2lsave.RNNModel(rnn.RNN(16, num_layers=num_layers,
                                     activation='tanh'), 28)
    model.initialize(ctx=CTX)
    model.hybridize()
    X = np.random.randint(0, 28, size=(4, 9))
    model(X, model.begin_state(batch_size=4, ctx=CTX))
    d2lsave.copy_scratch_to_gluon(scratch.params, model)
    state = np.random.normal(size=(num_layers, 4, 16))
    Y1, state1 = scratch(X, tuple(state[i] for i in range(num_layers)))
    Y2, (state2,) = model(X, [state])
    assert Y1.shape == Y2.shape == (36, 28)
    assert np.allclose(Y1, Y2, atol=1e-5)
    assert len(state1) == num_layers
    for i, s in enumerate(state1):
        assert np.allclose(s, state2[i], atol=1e-5)


def test_stacked_scratch_rnn_trains(capsys):
    text = 'the time machine ' * 60
    vocab = d2l.Vocab(list(text))
    loader = d2lsave.SeqDataLoader([vocab[c] for c in text], 4, 10)
    d2lsave.set_seed(0)
    model = d2lsave.deep_rnn_scratch(len(vocab), 32, 2, CTX)
    result = d2lsave.train_ch8(model, loader, vocab, lr=2, num_epochs=80,
                               ctx=CTX, plot_every=40,
                               prefixes=('the time',))
    assert result['perplexity'] < 1.2
    with pytest.raises(ValueError, match='expected'):
        model(np.zeros((4, 5)), model.begin_state(4, CTX)[:1])
