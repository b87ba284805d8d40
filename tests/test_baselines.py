"""Chapter 1's baselines on texts small enough to check by hand."""
import bz2
import math
from types import SimpleNamespace

import pytest
from d2l import mxnet as d2l

import d2lsave


def test_bigram_by_hand():
    # train 'abab': counts ab=2, ba=1; contexts a=2, b=1; V=2, k=1
    # held-out 'ab' after the final 'b': P(a|b) = 2/3, P(b|a) = 3/4
    assert d2lsave.ngram_perplexity('abab', 'ab', 2, 1, 2) == \
        pytest.approx(math.sqrt(2))


def test_unigram_by_hand():
    # train 'aab': P(a) = (2+1)/(3+3), P(b) = 2/6, P(c) = 1/6 with V=3, k=1
    ppl = d2lsave.ngram_perplexity('aab', 'abc', 1, 1, 3)
    assert ppl == pytest.approx((0.5 * (2 / 6) * (1 / 6)) ** (-1 / 3))


def test_trigram_uses_the_end_of_the_training_text_as_context():
    # train 'abcab': trigrams abc, bca, cab; held-out 'c' follows 'ab'
    # P(c | ab) = (1 + k) / (1 + k V) = 1 with k = 0
    assert d2lsave.ngram_perplexity('abcab', 'c', 3, 0, 3) == 1.0


def test_fit_add_k_chooses_on_the_training_text_only():
    train = 'ab' * 50
    # a perfectly regular text: the smallest k predicts its last 10% best
    assert d2lsave.fit_add_k(train, 2, 27) == 0.01


def test_compressed_bits_per_char_counts_only_the_extra_bytes():
    train, heldout = 'the time machine ' * 20, 'the time machine ' * 2
    bits = d2lsave.compressed_bits_per_char(train, heldout, bz2.compress)
    expected = 8 * (len(bz2.compress((train + heldout).encode()))
                    - len(bz2.compress(train.encode()))) / len(heldout)
    assert bits == expected and bits < 8


def test_baselines_table_on_a_toy_split():
    text = 'the time machine ' * 30
    vocab = d2l.Vocab(list(text))
    corpus = [vocab[c] for c in text]
    loader = SimpleNamespace(corpus=corpus[:-34],
                             heldout_iter=SimpleNamespace(corpus=corpus[-34:]))
    result = d2lsave.baselines(loader, vocab, max_n=3)
    assert list(result) == ['uniform', '1-gram', '2-gram', '3-gram', 'gzip',
                            'bz2', 'lzma']
    assert result['uniform'] == len(vocab)
    # the held-out text repeats the training text: more context, better
    assert result['1-gram'] > result['2-gram'] > result['3-gram'] >= 1
    assert result['3-gram'] < 1.5  # 'e ' is followed by 't' or 'm'
