"""Chapter 5: the stacked scratch networks (equivalence with Gluon is in
test_rnn_concise.py, for 1 and 2 layers of every cell)."""
import mxnet as mx
import pytest
from mxnet import np, npx

import d2lsave

npx.set_np()
CTX = mx.cpu()


@pytest.mark.parametrize('cell, arrays, states', [
    ('rnn', 3, 1), ('gru', 4, 1), ('lstm', 4, 2)])
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


def test_deep_rnn_is_the_reference_forward_function():
    d2lsave.set_seed(0)
    params = d2lsave.get_deep_params(28, 8, CTX, num_layers=2)
    state = d2lsave.init_deep_state(3, 8, CTX, num_layers=2)
    inputs = npx.one_hot(np.random.randint(0, 28, size=(4, 3)), 28)
    Y1, s1 = d2lsave.deep_rnn(inputs, state, params)
    Y2, s2 = d2lsave.deep_forward('rnn', inputs, state, params)
    assert (Y1 == Y2).all() and all((a == b).all() for a, b in zip(s1, s2))


@pytest.mark.parametrize('cell', ['rnn', 'lstm'])
def test_stacked_scratch_networks_train(toy, cell):
    vocab, loader = toy
    d2lsave.set_seed(0)
    model = d2lsave.scratch_lm(cell, len(vocab), 32, CTX, num_layers=2)
    result = d2lsave.train_ch8(model, loader, vocab, lr=2 if cell == 'rnn'
                               else 8, num_epochs=80, ctx=CTX,
                               plot_every=40, verbose=False)
    assert result['perplexity'] < 1.2
    with pytest.raises(ValueError, match='expected'):
        model(np.zeros((4, 5)), model.begin_state(4, CTX)[:1])


def test_unknown_cells_are_refused():
    with pytest.raises(ValueError, match='cell must be one of'):
        d2lsave.scratch_lm('lsmt', 28, 16, CTX)
    with pytest.raises(ValueError, match='num_layers must be'):
        d2lsave.scratch_lm('rnn', 28, 16, CTX, num_layers=0)
