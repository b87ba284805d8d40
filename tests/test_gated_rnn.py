"""Chapter 4: the GRU and LSTM from scratch (equivalence with Gluon, 1 and 2
layers with gradients: test_rnn_concise.py; finite differences:
test_rnn_scratch.py)."""

import mxnet as mx
import pytest
from mxnet import np, npx

import d2lsave

npx.set_np()
CTX = mx.cpu()
FUNCTIONS = {
    'gru': (d2lsave.get_gru_params, d2lsave.init_gru_state, d2lsave.gru, 1),
    'lstm': (
        d2lsave.get_lstm_params,
        d2lsave.init_lstm_state,
        d2lsave.lstm,
        2,
    ),
}


@pytest.mark.parametrize('cell', FUNCTIONS)
def test_shapes(cell):
    get_params, init_state, forward, num_states = FUNCTIONS[cell]
    model = d2lsave.RNNModelScratch(
        28, 16, CTX, get_params, init_state, forward
    )
    W_x, W_h, b_x, b_h, W_hq, b_q = model.params
    gates = 3 if cell == 'gru' else 4
    assert W_x.shape == (28, gates * 16) and W_h.shape == (16, gates * 16)
    assert b_x.shape == b_h.shape == (gates * 16,)
    assert W_hq.shape == (16, 28) and b_q.shape == (28,)
    state = model.begin_state(3, CTX)
    assert len(state) == num_states and state[0].shape == (3, 16)
    Y, new_state = model(np.zeros((3, 5), dtype='int32'), state)
    assert Y.shape == (15, 28)
    assert [s.shape for s in new_state] == [(3, 16)] * num_states


def test_gru_with_update_gate_closed_and_reset_open_is_a_tanh_rnn():
    """The chapter's worked exercise: z = 0 and r = 1 give the plain RNN."""
    d2lsave.set_seed(0)
    X, H = np.random.normal(size=(3, 5)), np.random.normal(size=(3, 4))
    W_x, W_h = np.random.normal(size=(5, 12)), np.random.normal(size=(4, 12))
    b_x, b_h = np.zeros(12), np.zeros(12)
    b_x[:4], b_x[4:8] = 50, -50  # r = sigmoid(50) = 1, z = 0
    (H1,) = d2lsave.gru_step(X, (H,), W_x, W_h, b_x, b_h)
    (H2,) = d2lsave.rnn_step(
        X, (H,), W_x[:, 8:], W_h[:, 8:], b_x[8:] + b_h[8:]
    )
    assert np.allclose(H1, H2, atol=1e-6)


@pytest.mark.parametrize('cell', FUNCTIONS)
def test_scratch_cells_learn_a_repetitive_text(toy, cell):
    vocab, loader = toy
    get_params, init_state, forward, _ = FUNCTIONS[cell]
    d2lsave.set_seed(0)
    model = d2lsave.RNNModelScratch(
        len(vocab), 32, CTX, get_params, init_state, forward
    )
    result = d2lsave.train_ch8(
        model,
        loader,
        vocab,
        lr=8,
        num_epochs=50,
        ctx=CTX,
        plot_every=40,
        verbose=False,
    )
    assert result['perplexity'] < 1.2
    assert (
        d2lsave.predict_ch8('the time', 9, model, vocab, CTX)
        == 'the time machine '
    )
