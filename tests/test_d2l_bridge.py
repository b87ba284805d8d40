"""The bridge to d2l 1.0 (chapters/d2l-bridge.ipynb): `RNN`/`RNNLM` on
d2l's classes compute what the book's `RNNModel` computes, and the data
module reads the verified copy of the novel, never the network."""

import pytest
from d2l import mxnet as d2l
from mxnet import np, npx

import d2lsave

npx.set_np()


@pytest.mark.parametrize('activation', ['relu', 'tanh'])
def test_rnnlm_equals_rnn_model(activation):
    vocab = d2l.Vocab(list('the time machine by h g wells'))
    d2lsave.set_seed(3)
    lm = d2lsave.RNNLM(
        d2lsave.RNN(num_hiddens=8, activation=activation),
        vocab_size=len(vocab),
        lr=1,
    )
    X = np.array([[vocab[c] for c in text] for text in ('the tim', 'machine')])
    logits_lm = lm(X)  # creates the parameters
    assert logits_lm.shape == (2, 7, len(vocab))
    for param in lm.collect_params().values():  # not the initial zeros
        param.set_data(np.random.normal(0, 0.5, param.shape))
    model = d2lsave.copy_to_rnn_model(lm)
    logits, (H,) = model(X, model.begin_state(2, d2l.cpu()))
    ours = np.swapaxes(logits.reshape(7, 2, -1), 0, 1)
    _, H_lm = lm.rnn(lm.one_hot(X))
    assert float(np.abs(ours - lm(X)).max()) < 1e-5
    assert float(np.abs(H - H_lm).max()) < 1e-5
    # a wrong copy would be caught: perturb one weight of the copy
    model.dense.bias.set_data(model.dense.bias.data() + 0.1)
    ours = model(X, model.begin_state(2, d2l.cpu()))[0]
    ours = ours.reshape(7, 2, -1).swapaxes(0, 1)
    assert float(np.abs(ours - lm(X)).max()) > 0.05


def test_predict_equals_predict_ch8():
    vocab = d2l.Vocab(list('the time machine by h g wells'))
    d2lsave.set_seed(4)
    lm = d2lsave.RNNLM(
        d2lsave.RNN(num_hiddens=16), vocab_size=len(vocab), lr=1
    )
    lm(np.zeros((1, 1)))
    for param in lm.collect_params().values():
        param.set_data(np.random.normal(0, 1, param.shape))
    model = d2lsave.copy_to_rnn_model(lm)
    text = lm.predict('the ', 30, vocab, d2l.cpu())
    if '<unk>' not in text:  # predict_ch8 never writes <unk>; 1.0's can
        assert text == d2lsave.predict_ch8('the ', 30, model, vocab, d2l.cpu())


def test_time_machine_reads_the_verified_copy(monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError('d2l 1.0 tried to download the novel')

    monkeypatch.setattr(d2l, 'download', no_download)
    data = d2lsave.TimeMachine(batch_size=8, num_steps=5)
    _, vocab = d2lsave.load_corpus_time_machine()
    assert data.vocab.idx_to_token == vocab.idx_to_token
    assert data.X.shape[1] == 5
