"""Chapter 3: RNNModel with Gluon layers, and its equivalence to Chapter 2."""

import mxnet as mx
import pytest
from mxnet import np, npx
from mxnet.gluon import rnn

import d2lsave

npx.set_np()
CTX = mx.cpu()


def random_scratch_model(
    cell='rnn', num_layers=1, vocab_size=28, num_hiddens=16
):
    """A scratch model with large random weights (biases too)."""
    d2lsave.set_seed(0)
    scratch = d2lsave.scratch_lm(
        cell, vocab_size, num_hiddens, CTX, num_layers
    )
    for p in scratch.params:
        p[:] = np.random.normal(scale=0.3, size=p.shape)
    return scratch


def test_the_reference_call_still_works():
    """RNNModel(rnn_layer, vocab_size) as the reference chapters build it:
    hybridized by default, with parameters right after initialize()."""
    model = d2lsave.RNNModel(rnn.RNN(16), 28)
    model.initialize(ctx=CTX)
    assert model._active  # hybridized by default
    assert d2lsave.num_params(model) == (
        28 * 16 + 16 * 16 + 2 * 16 + 16 * 28 + 28
    )
    Y, state = model(np.zeros((2, 3)), model.begin_state(2, CTX))
    assert Y.shape == (6, 28) and isinstance(state, tuple)
    assert not d2lsave.RNNModel(rnn.RNN(16), 28, hybridize=False)._active


@pytest.mark.parametrize('cell', ['rnn', 'gru', 'lstm'])
@pytest.mark.parametrize('num_layers', [1, 2])
def test_gluon_lm_builds_every_cell(toy, cell, num_layers):
    vocab, loader = toy
    model = d2lsave.gluon_lm(cell, len(vocab), 16, CTX, num_layers)
    state = model.begin_state(batch_size=4, ctx=CTX)
    assert isinstance(state, tuple)
    assert len(state) == (2 if cell == 'lstm' else 1)
    assert state[0].shape == (num_layers, 4, 16)
    Y, new_state = model(np.zeros((4, 10)), state)
    assert Y.shape == (40, len(vocab))
    assert [s.shape for s in new_state] == [s.shape for s in state]
    text = d2lsave.predict_ch8('the', 7, model, vocab, CTX)
    assert len(text) == 10 and text.startswith('the')
    result = d2lsave.train_ch8(
        model, loader, vocab, lr=1, num_epochs=2, ctx=CTX, verbose=False
    )
    assert result['perplexity'] < len(vocab)


def test_gluon_lm_refuses_unknown_cells_and_sizes():
    with pytest.raises(ValueError, match="cell must be one of"):
        d2lsave.gluon_lm('transformer', 28, 16, CTX)
    with pytest.raises(ValueError, match='num_layers must be'):
        d2lsave.gluon_lm('rnn', 28, 16, CTX, num_layers=0)


@pytest.mark.parametrize('cell', ['rnn', 'gru', 'lstm'])
@pytest.mark.parametrize('num_layers', [1, 2])
def test_scratch_and_gluon_are_the_same_model(cell, num_layers):
    """Same weights: same outputs, final states and gradients."""
    scratch = random_scratch_model(cell, num_layers)
    model = d2lsave.gluon_lm(cell, 28, 16, CTX, num_layers)
    d2lsave.copy_scratch_to_gluon(scratch.params, model)
    X = np.random.randint(0, 28, size=(3, 7))
    state = [
        np.random.normal(size=(num_layers, 3, 16))
        for _ in model.begin_state(3, CTX)
    ]
    # the scratch state is flat: per layer, its H (and C for the LSTM)
    flat = tuple(s[i] for i in range(num_layers) for s in state)
    with mx.autograd.record():
        Y1, state1 = scratch(X, flat)
        loss1 = (Y1**2).sum() + sum(s.sum() for s in state1)
    loss1.backward()
    with mx.autograd.record():
        Y2, state2 = model(X, tuple(state))
        loss2 = (Y2**2).sum() + sum(s.sum() for s in state2)
    loss2.backward()
    assert Y1.shape == Y2.shape == (21, 28)
    assert np.allclose(Y1, Y2, atol=1e-5)
    assert len(state1) == len(flat)
    for i, s in enumerate(state1):
        layer, kind = divmod(i, len(state))
        assert np.allclose(s, state2[kind][layer], atol=1e-5)
    grads = d2lsave.gluon_to_scratch(model, grads=True)
    if cell == 'rnn':  # the scratch tanh RNN has one bias: Gluon's i2h bias
        grads = [g for i, g in enumerate(grads[:-2]) if i % 4 != 3] + grads[
            -2:
        ]
    assert len(grads) == len(scratch.params)
    for p, g in zip(scratch.params, grads):
        assert p.shape == g.shape
        assert np.allclose(p.grad, g, rtol=1e-4, atol=1e-4)


def compiled_model(vocab_size, num_hiddens):
    model = d2lsave.RNNModelCompiled(vocab_size, num_hiddens)
    model.initialize(mx.init.Normal(0.01), ctx=CTX)
    return model


@pytest.mark.parametrize(
    'build, lr, bound',
    [
        (lambda V: d2lsave.gluon_lm('gru', V, 32, CTX), 2, 1.1),
        (lambda V: compiled_model(V, 32), 1, 1.2),
    ],
    ids=['RNNModel-GRU', 'compiled'],
)
def test_models_learn_a_repetitive_text(toy, build, lr, bound):
    vocab, loader = toy
    d2lsave.set_seed(0)
    model = build(len(vocab))
    result = d2lsave.train_ch8(
        model,
        loader,
        vocab,
        lr=lr,
        num_epochs=60,
        ctx=CTX,
        plot_every=30,
        verbose=False,
    )
    assert result['perplexity'] < bound
    assert (
        d2lsave.predict_ch8('the time', 9, model, vocab, CTX)
        == 'the time machine '
    )


def test_a_wrong_state_is_refused():
    model = d2lsave.gluon_lm('lstm', 28, 16, CTX, num_layers=2)
    X = np.zeros((4, 5))
    with pytest.raises(ValueError, match=r'begin_state\(batch_size=4'):
        model(X, model.begin_state(batch_size=3, ctx=CTX))
    with pytest.raises(ValueError, match='expected'):
        model(X, model.begin_state(batch_size=4, ctx=CTX)[:1])


@pytest.mark.parametrize(
    'build',
    [
        lambda V: d2lsave.RNNModelScratch(V, 24, CTX),
        lambda V: d2lsave.gluon_lm('lstm', V, 24, CTX, num_layers=2),
        lambda V: compiled_model(V, 24),
    ],
    ids=['scratch', 'gluon', 'compiled'],
)
def test_save_and_load_round_trip(toy, tmp_path, build):
    vocab, loader = toy
    d2lsave.set_seed(0)
    model = build(len(vocab))
    d2lsave.train_ch8(
        model, loader, vocab, lr=1, num_epochs=3, ctx=CTX, verbose=False
    )
    d2lsave.save_model(model, vocab, tmp_path)
    fresh = build(len(vocab))
    loaded_vocab = d2lsave.load_model(fresh, tmp_path)
    assert loaded_vocab.idx_to_token == vocab.idx_to_token
    assert loaded_vocab['z'] == loaded_vocab.unk  # unknowns still map
    expected = d2lsave.predict_ch8('the ', 60, model, vocab, CTX)
    assert (
        d2lsave.predict_ch8('the ', 60, fresh, loaded_vocab, CTX) == expected
    )


def test_loading_into_a_different_model_is_refused(toy, tmp_path):
    vocab, _ = toy
    d2lsave.save_model(
        d2lsave.RNNModelScratch(len(vocab), 8, CTX), vocab, tmp_path
    )
    with pytest.raises(ValueError, match='build it the way'):
        d2lsave.load_model(
            d2lsave.RNNModelScratch(len(vocab), 16, CTX), tmp_path
        )
    with pytest.raises(ValueError, match='vocab_size'):
        d2lsave.load_model(
            d2lsave.RNNModelScratch(len(vocab) + 1, 8, CTX), tmp_path
        )
    with pytest.raises(ValueError, match='build it the way'):
        d2lsave.load_model(
            d2lsave.gluon_lm('gru', len(vocab), 8, CTX), tmp_path
        )


def compiled_copy_of(scratch):
    """An RNNModelCompiled holding the scratch model's weights."""
    model = compiled_model(scratch.vocab_size, scratch.num_hiddens)
    for name, value in zip(
        ['W_xh', 'W_hh', 'b_h', 'W_hq', 'b_q'], scratch.params
    ):
        getattr(model, name).set_data(value.copy())
    return model


def test_compiled_model_is_chapter_2s_model():
    """Same weights: same outputs, states and gradients, at any length."""
    scratch = random_scratch_model()
    model = compiled_copy_of(scratch)
    for num_steps in (7, 1, 7, 3):  # new lengths record new graphs
        X = np.random.randint(0, 28, size=(3, num_steps))
        H0 = np.random.normal(size=(3, 16))
        with mx.autograd.record():
            Y1, (H1,) = scratch(X, (H0,))
            l1 = (Y1**2).sum() + H1.sum()
        l1.backward()
        with mx.autograd.record():
            Y2, (H2,) = model(X, (H0,))
            l2 = (Y2**2).sum() + H2.sum()
        l2.backward()
        assert Y2.shape == (3 * num_steps, 28)
        assert np.allclose(Y1, Y2, atol=1e-5)
        assert np.allclose(H1, H2, atol=1e-5)
        for name, p in zip(
            ['W_xh', 'W_hh', 'b_h', 'W_hq', 'b_q'], scratch.params
        ):
            assert np.allclose(
                p.grad, getattr(model, name).grad(), rtol=1e-4, atol=1e-4
            ), (num_steps, name)


def test_compiled_model_checks_its_state():
    model = compiled_model(28, 16)
    with pytest.raises(ValueError, match=r'begin_state\(batch_size=4'):
        model(np.zeros((4, 5)), model.begin_state(batch_size=3, ctx=CTX))


def train_a_layer(cell, hybridize, input_size, bidirectional=False):
    """Three SGD steps of a 2-layer Gluon layer; every number it ends with."""
    d2lsave.set_seed(0)
    layer = getattr(rnn, cell)(
        8, num_layers=2, input_size=input_size, bidirectional=bidirectional
    )
    layer.initialize(mx.init.Xavier(), ctx=CTX)
    if hybridize:
        layer.hybridize(static_alloc=True, static_shape=True)
    trainer = mx.gluon.Trainer(
        layer.collect_params(), 'sgd', {'learning_rate': 0.1}
    )
    X = np.random.normal(size=(7, 4, 5))
    state = layer.begin_state(4, ctx=CTX)
    for _ in range(3):
        with mx.autograd.record():
            Y, _ = layer(X, state)
            loss = (Y**2).mean()
        loss.backward()
        trainer.step(1)
    return [p.data().asnumpy() for p in layer.collect_params().values()] + [
        Y.asnumpy()
    ]


@pytest.mark.parametrize('cell', ['RNN', 'GRU', 'LSTM'])
@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('input_size', [5, 0])  # 0: shapes known late
@pytest.mark.parametrize('bidirectional', [False, True])
def test_joining_rows_changes_no_number(
    monkeypatch, cell, hybridize, input_size, bidirectional
):
    """d2lsave's faster join of a Gluon layer's parameters (support.py)
    gives the same outputs, gradients and updates, bit for bit, as MXNet's
    own; and it is the one that runs once `use_row_join` (which `RNNModel`
    calls) has put it in place."""
    d2lsave.support.use_row_join()
    with d2lsave.support.mxnet_join():
        before = train_a_layer(cell, hybridize, input_size, bidirectional)
    calls = []
    for module in d2lsave.support.JOIN_MODULES:  # MXNet's, watched, inside
        join = module.rnn_param_concat  # d2lsave's
        assert join.original  # wrapped by use_row_join

        def spy(*arrays, _join=join.original, **kwargs):
            calls.append([d2lsave.support._shape(a) for a in arrays])
            return _join(*arrays, **kwargs)

        monkeypatch.setattr(
            module, 'rnn_param_concat', d2lsave.support.join_rows(spy)
        )
    after = train_a_layer(cell, hybridize, input_size, bidirectional)
    assert len(before) == len(after)
    assert all((a == b).all() for a, b in zip(before, after))
    # Joined as rows of 8 (the hidden size) or more wherever the sizes are
    # known; a hybridized layer whose input size is left to the first call
    # builds its one graph before the sizes are known, and keeps MXNet's.
    rows = [c for c in calls if all(s and len(s) == 2 for s in c)]
    assert all(s[1] >= 8 for c in rows for s in c)
    if input_size:
        assert calls and len(rows) == len(calls)
    elif not hybridize:
        assert len(rows) == len(calls) - 1 >= 1


def test_mxnet_join_restores_both_joins():
    d2lsave.support.use_row_join()
    joins = [m.rnn_param_concat for m in d2lsave.support.JOIN_MODULES]
    with d2lsave.support.mxnet_join():
        assert [m.rnn_param_concat for m in d2lsave.support.JOIN_MODULES] == [
            j.original for j in joins
        ]
        d2lsave.support.use_row_join()  # does nothing inside the block
        assert [m.rnn_param_concat for m in d2lsave.support.JOIN_MODULES] == [
            j.original for j in joins
        ]
    assert [m.rnn_param_concat for m in d2lsave.support.JOIN_MODULES] == joins


def test_importing_d2lsave_leaves_mxnet_alone():
    """`import d2lsave` does not replace MXNet's join; building an
    `RNNModel` does, visibly, in its `__init__`."""
    import subprocess
    import sys

    code = (
        'import d2lsave, mxnet as mx; '
        'f = lambda: hasattr(mx.ndarray.numpy._internal.rnn_param_concat,'
        ' "original"); a = f(); '
        'd2lsave.gluon_lm("rnn", 28, 8, mx.cpu()); print(a, f())'
    )
    out = subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ['False', 'True']


def test_join_rows_makes_rows_when_it_can():
    joined = []
    join = d2lsave.support.join_rows(
        lambda *arrays, dim: (
            joined.append([a.shape for a in arrays])
            or np.concatenate(arrays, axis=dim)
        )
    )
    parts = [np.arange(12.0), np.arange(8.0), np.arange(20.0)]
    assert (join(*parts, dim=0) == np.concatenate(parts)).all()
    assert joined[-1] == [(3, 4), (2, 4), (5, 4)]  # rows of gcd(12, 8, 20)
    join(np.arange(7.0), np.arange(3.0), dim=0)  # gcd 1: as they are
    assert joined[-1] == [(7,), (3,)]
