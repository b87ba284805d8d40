"""Chapter 5: the stacked scratch networks (equivalence with Gluon is in
test_rnn_concise.py, for 1 and 2 layers of every cell)."""

import mxnet as mx
import numpy as onp
import pytest
from mxnet import np, npx

import d2lsave

npx.set_np()
CTX = mx.cpu()


@pytest.mark.parametrize(
    'cell, arrays, states', [('rnn', 3, 1), ('gru', 4, 1), ('lstm', 4, 2)]
)
def test_deep_params_and_state_layout(cell, arrays, states):
    model = d2lsave.scratch_lm(cell, 28, 16, CTX, num_layers=3)
    assert len(model.params) == arrays * 3 + 2
    state = model.begin_state(5, CTX)
    assert isinstance(state, tuple) and len(state) == 3 * states
    Y, new_state = model(np.zeros((5, 4), dtype='int32'), state)
    assert Y.shape == (20, 28) and len(new_state) == len(state)


def test_three_layers_match_gluon():
    d2lsave.set_seed(3)
    scratch = d2lsave.scratch_lm('rnn', 28, 16, CTX, num_layers=3)
    for p in scratch.params:
        p[:] = np.random.normal(scale=0.3, size=p.shape)
    model = d2lsave.gluon_lm('rnn', 28, 16, CTX, num_layers=3)
    d2lsave.copy_scratch_to_gluon(scratch.params, model)
    X = np.random.randint(0, 28, size=(4, 9))
    Y1, _ = scratch(X, scratch.begin_state(4, CTX))
    Y2, _ = model(X, model.begin_state(4, CTX))
    assert np.allclose(Y1, Y2, atol=1e-5)


def test_deep_rnn_follows_the_stacked_equations():
    """H1_t = tanh(X_t W1 + H1_{t-1} U1 + b1), H2_t = tanh(H1_t W2 +
    H2_{t-1} U2 + b2), O_t = H2_t W_hq + b_q, written out in plain NumPy."""
    d2lsave.set_seed(0)
    params = d2lsave.get_deep_params(28, 8, CTX, num_layers=2)
    for p in params:
        p[:] = np.random.normal(scale=0.5, size=p.shape)
    state = tuple(np.random.normal(size=(3, 8)) for _ in range(2))
    inputs = npx.one_hot(np.random.randint(0, 28, size=(4, 3)), 28)
    Y, new_state = d2lsave.deep_rnn(inputs, state, params)
    W1, U1, b1, W2, U2, b2, W_hq, b_q = (p.asnumpy() for p in params)
    H1, H2 = (s.asnumpy() for s in state)
    outputs = []
    for X in inputs.asnumpy():
        H1 = onp.tanh(X @ W1 + H1 @ U1 + b1)
        H2 = onp.tanh(H1 @ W2 + H2 @ U2 + b2)
        outputs.append(H2 @ W_hq + b_q)
    assert onp.allclose(Y.asnumpy(), onp.concatenate(outputs), atol=1e-5)
    assert onp.allclose(new_state[0].asnumpy(), H1, atol=1e-6)
    assert onp.allclose(new_state[1].asnumpy(), H2, atol=1e-6)


@pytest.mark.parametrize('cell', ['rnn', 'lstm'])
def test_stacked_scratch_networks_train(toy, cell):
    vocab, loader = toy
    d2lsave.set_seed(0)
    model = d2lsave.scratch_lm(cell, len(vocab), 32, CTX, num_layers=2)
    result = d2lsave.train_ch8(
        model,
        loader,
        vocab,
        lr=2 if cell == 'rnn' else 8,
        num_epochs=50,
        ctx=CTX,
        plot_every=40,
        verbose=False,
    )
    assert result['perplexity'] < 1.2
    with pytest.raises(ValueError, match='expected'):
        model(np.zeros((4, 5)), model.begin_state(4, CTX)[:1])


def test_unknown_cells_are_refused():
    with pytest.raises(ValueError, match='cell must be one of'):
        d2lsave.scratch_lm('lsmt', 28, 16, CTX)
    with pytest.raises(ValueError, match='num_layers must be'):
        d2lsave.scratch_lm('rnn', 28, 16, CTX, num_layers=0)
