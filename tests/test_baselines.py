"""Chapter 1's baselines on texts small enough to check by hand."""

import bz2
import math
from types import SimpleNamespace

import pyppmd
import pytest
from d2l import mxnet as d2l

import d2lsave


def test_bigram_by_hand():
    # train 'abab': counts ab=2, ba=1; contexts a=2, b=1; V=2, k=1
    # 'ab' after the final 'b': P(a|b) = 2/3, P(b|a) = 3/4
    assert d2lsave.ngram_perplexity('abab', 'ab', 2, 1, 2) == pytest.approx(
        math.sqrt(2)
    )


def test_unigram_by_hand():
    # train 'aab': P(a) = (2+1)/(3+3), P(b) = 2/6, P(c) = 1/6 with V=3, k=1
    ppl = d2lsave.ngram_perplexity('aab', 'abc', 1, 1, 3)
    assert ppl == pytest.approx((0.5 * (2 / 6) * (1 / 6)) ** (-1 / 3))


def test_trigram_uses_the_end_of_the_training_text_as_context():
    # train 'abcab': trigrams abc, bca, cab; 'c' follows 'ab'
    # P(c | ab) = (1 + k) / (1 + k V) = 1 with k = 0
    assert d2lsave.ngram_perplexity('abcab', 'c', 3, 0, 3) == 1.0


def test_ngram_context_is_the_text_before_the_passage():
    # after 'ba' (never seen): P(c | ba) = (0 + 1) / (0 + 3) with k = 1
    assert d2lsave.ngram_perplexity(
        'abcab', 'c', 3, 1, 3, context='xxba'
    ) == pytest.approx(3)
    assert d2lsave.ngram_perplexity(
        'abcab', 'c', 3, 1, 3, context='ab'
    ) == pytest.approx((1 + 3) / (1 + 1))


def test_kneser_ney_by_hand():
    # the worked example of Chapter 1: P(a|b) = 5/6, P(b|a) = 11/12
    kn = d2lsave.KneserNey('abab', 'ab', max_order=2)
    assert kn.probs('b', 2) == pytest.approx([5 / 6, 1 / 6])
    assert kn.probs('a', 2) == pytest.approx([1 / 12, 11 / 12])
    assert kn.probs('', 1) == pytest.approx([0.5, 0.5])
    assert kn.perplexity('ab', 'abab', 2) == pytest.approx(math.sqrt(72 / 55))


def test_kneser_ney_discounts_follow_chen_and_goodman():
    counts = [1] * 40 + [2] * 20 + [3] * 10 + [4] * 5 + [9] * 3
    y = 40 / (40 + 2 * 20)
    expected = [1 - 2 * y * 20 / 40, 2 - 3 * y * 10 / 20, 3 - 4 * y * 5 / 10]
    assert d2lsave.KneserNey.discounts(counts) == pytest.approx(expected)
    assert d2lsave.KneserNey.discounts([1, 1, 2]) == pytest.approx([0.5] * 3)
    assert d2lsave.KneserNey.discounts([1, 3]) == [0.5] * 3  # no n_2


def test_kneser_ney_distributions_sum_to_one_and_use_continuations():
    text = 'the time machine by h g wells the time traveller ' * 3
    alphabet = sorted(set(text)) + ['q']
    kn = d2lsave.KneserNey(text, alphabet, max_order=4)
    for history in ['', 'th', 'e ti', 'zzz', 'qqq']:
        for order in range(1, 5):
            p = kn.probs(history, order)
            assert p.sum() == pytest.approx(1) and (p > 0).all()
    # an unseen context passes everything down to the lower orders (which
    # count continuations whatever the model's order)
    assert kn.probs('zz', 3) == pytest.approx(kn.probs('z', 2))
    # below the top order, characters rank by how many different characters
    # precede them, not by how often they occur: 'a' is frequent but follows
    # only 'a' and ' '; ' ' is rarer but follows four letters
    kn = d2lsave.KneserNey('aaaaaaaa b c d ' * 3, 'abcd q', max_order=2)
    p = dict(zip('abcd q', kn.probs('q', 2)))  # 'q': an unseen context
    assert p[' '] > p['a'] > p['b']
    top = dict(zip('abcd q', kn.probs('', 1)))  # order 1 alone: counts
    assert top['a'] > top[' ']
    assert p['q'] == min(p.values())  # never seen: the uniform share


def test_kneser_ney_rejects_bad_input():
    with pytest.raises(ValueError, match='outside the alphabet'):
        d2lsave.KneserNey('abc', 'ab')
    kn = d2lsave.KneserNey('abab', 'ab', max_order=2)
    with pytest.raises(ValueError, match='order must be in 1..2'):
        kn.probs('a', 3)


def test_ppm_compress_is_ppmd_and_round_trips():
    data = b'the time machine ' * 50
    packed = d2lsave.ppm_compress(data, order=6)
    decoder = pyppmd.Ppmd8Decoder(6, 16 << 20)
    assert decoder.decode(packed, len(data)) == data
    assert len(packed) < len(data) / 10


def test_compressed_bits_per_char_counts_only_the_extra_bytes():
    train, text = 'the time machine ' * 20, 'the time machine ' * 2
    bits = d2lsave.compressed_bits_per_char(train, text, bz2.compress)
    expected = (
        8
        * (
            len(bz2.compress((train + text).encode()))
            - len(bz2.compress(train.encode()))
        )
        / len(text)
    )
    assert bits == expected and bits < 8


def toy_loader(text, vocab, num_valid, num_test):
    corpus = [vocab[c] for c in text]
    t = len(corpus) - num_test
    v = t - num_valid
    return SimpleNamespace(
        corpus=corpus[:v],
        valid_iter=SimpleNamespace(corpus=corpus[v:t], context=corpus[:v]),
        test_iter=SimpleNamespace(corpus=corpus[t:], context=corpus[:t]),
    )


def test_baselines_table_on_a_toy_split():
    text = 'the time machine ' * 30
    vocab = d2l.Vocab(list(text))
    loader = toy_loader(text, vocab, 34, 34)
    table = d2lsave.baselines(loader, vocab, max_n=3, max_order=4)
    assert list(table.index) == [
        'uniform',
        '1-gram',
        '2-gram',
        '3-gram',
        'Kneser-Ney',
        'gzip',
        'bz2',
        'lzma',
        'PPM',
    ]
    assert list(table.columns) == ['kind', 'setting', 'valid', 'test']
    assert (table['kind'] == 'adaptive').sum() == 4
    assert table.loc['uniform', 'valid'] == len(vocab)
    # the passages repeat the training text: more context, better
    valid = table['valid']
    assert valid['1-gram'] > valid['2-gram'] > valid['3-gram'] >= 1
    assert valid['Kneser-Ney'] < valid['3-gram']
    assert table.loc['Kneser-Ney', 'setting'].startswith('order ')
    assert table.loc['2-gram', 'setting'].startswith('add-k, k = ')


def test_baselines_choose_on_validation_not_test():
    """A regular training text, a validation passage that repeats it and a
    test passage that does not: the settings follow validation."""
    vocab = d2l.Vocab(list('abcd'))
    train = 'abcd' * 60
    loader = toy_loader(train + 'abcd' * 10 + 'dcba' * 10, vocab, 40, 40)
    table = d2lsave.baselines(loader, vocab, max_n=2, max_order=3)
    # on validation the smallest k predicts best; on test a large k would
    assert table.loc['2-gram', 'setting'] == 'add-k, k = 0.01'
    assert (
        d2lsave.ngram_perplexity(train, 'dcba' * 10, 2, 1, len(vocab))
        < table.loc['2-gram', 'test']
    )
