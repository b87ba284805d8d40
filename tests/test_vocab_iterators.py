"""The text pipeline of chapter 1 (text-sequence): the cleaned text, the
vocabulary and corpus, the two minibatch iterators and the loader. (Its last
test checks the MXNet thread and BLAS defaults set by importing d2lsave.)
"""

import os
import subprocess
import sys

import numpy as onp
import pytest

import d2lsave


@pytest.fixture(scope='module')
def corpus_vocab():
    return d2lsave.load_corpus_time_machine()


def test_text_is_clean_lowercase_letters(corpus_vocab):
    text = d2lsave.read_time_machine()
    assert set(text) == set('abcdefghijklmnopqrstuvwxyz ')
    assert '  ' not in text and text == text.strip()
    assert text.startswith('the time machine by h g wells i the time')


def test_vocab_round_trip_and_unknown(corpus_vocab):
    corpus, vocab = corpus_vocab
    assert len(vocab) == 28
    word = list('time traveller')
    assert vocab.to_tokens(vocab[word]) == word
    assert vocab['é'] == vocab.unk == vocab['<unk>']
    assert vocab.to_tokens(vocab.unk) == '<unk>'
    assert vocab.unk not in corpus  # the novel has no unknowns


def test_load_data_keeps_the_reference_call(corpus_vocab):
    train_iter, vocab = d2lsave.load_data_time_machine(32, 35)
    assert len(vocab) == 28
    assert len(train_iter.corpus) == 10000
    corpus, _ = corpus_vocab
    # the same two passages at the end of the novel, whatever max_tokens
    assert train_iter.valid_iter.corpus == corpus[-10000:-5000]
    assert train_iter.test_iter.corpus == corpus[-5000:]
    assert train_iter.valid_iter.context == corpus[:-10000]
    for X, Y in train_iter:
        assert X.shape == Y.shape == (32, 35)
    whole, _ = d2lsave.load_data_time_machine(32, 35, max_tokens=None)
    assert whole.corpus == corpus[:-10000]
    assert whole.test_iter.corpus == train_iter.test_iter.corpus
    with pytest.raises(ValueError, match='validation passage'):
        d2lsave.load_data_time_machine(32, 35, max_tokens=len(corpus) - 9999)


def test_text_split_rows_are_warmed_on_the_text_before_them():
    corpus, context = list(range(100, 112)), list(range(0, 100))
    split = d2lsave.TextSplit(corpus, context, num_rows=3, num_warmup=5)
    ((X, Y),) = split
    assert Y.asnumpy().tolist() == [
        [100, 101, 102, 103],
        [104, 105, 106, 107],
        [108, 109, 110, 111],
    ]
    assert (X.asnumpy() == Y.asnumpy() - 1).all()  # shifted by one token
    assert split.warmup.asnumpy().tolist() == [
        [94, 95, 96, 97, 98],
        [98, 99, 100, 101, 102],
        [102, 103, 104, 105, 106],
    ]  # just before each row
    assert split.batch_size == 3


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(num_rows=5), 'does not divide'),
        (
            dict(num_rows=3, num_warmup=50),
            'more than that many tokens of context',
        ),
        (dict(num_rows=0), 'num_rows must be a positive integer'),
    ],
)
def test_text_split_rejects_what_cannot_work(kwargs, message):
    with pytest.raises(ValueError, match=message):
        d2lsave.TextSplit(list(range(12)), list(range(50)), **kwargs)


@pytest.mark.parametrize(
    'make', [d2lsave.seq_data_iter_random, d2lsave.seq_data_iter_sequential]
)
@pytest.mark.parametrize('batch_size, num_steps', [(2, 5), (3, 7), (4, 1)])
def test_shapes_and_shift(make, batch_size, num_steps):
    corpus = list(range(100))  # values are positions
    batches = list(make(corpus, batch_size, num_steps))
    assert batches
    for X, Y in batches:
        assert X.shape == Y.shape == (batch_size, num_steps)
        assert (Y.asnumpy() == X.asnumpy() + 1).all()


def test_sequential_rows_continue_across_minibatches():
    for seed in range(5):
        d2lsave.set_seed(seed)
        batches = [
            X.asnumpy()
            for X, _ in d2lsave.seq_data_iter_sequential(
                list(range(1000)), 4, 6
            )
        ]
        assert len(batches) > 2
        for prev, nxt in zip(batches, batches[1:]):
            assert (nxt[:, 0] == prev[:, -1] + 1).all()
        for X in batches:  # and every row is a contiguous window
            assert (onp.diff(X, axis=1) == 1).all()


def test_random_sampling_covers_without_overlap():
    T, b, n = 1000, 4, 7
    for seed in range(5):
        d2lsave.set_seed(seed)
        starts = [
            int(row[0])
            for X, _ in d2lsave.seq_data_iter_random(list(range(T)), b, n)
            for row in X.asnumpy()
        ]
        offset = min(starts) % n
        windows = (T - offset - 1) // n
        assert len(starts) == windows // b * b  # all full minibatches
        assert len(set(starts)) == len(starts)  # no window twice
        assert all((s - offset) % n == 0 for s in starts)  # no overlap
        assert starts != sorted(starts)  # really shuffled


def test_random_sampling_draws_a_new_offset_each_epoch():
    loader = d2lsave.SeqDataLoader(list(range(500)), 2, 10, True)
    offsets = {
        int(next(iter(loader))[0].asnumpy().min()) % 10 for _ in range(30)
    }
    assert len(offsets) > 1


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(batch_size=0, num_steps=35), 'batch_size must be a positive'),
        (dict(batch_size=32, num_steps=2.5), 'num_steps must be a positive'),
        (dict(batch_size=400, num_steps=35), 'need at least'),
        (
            dict(batch_size=32, num_steps=35, max_tokens=0),
            'max_tokens must be',
        ),
        (
            dict(batch_size=32, num_steps=35, max_tokens=10**7),
            'would reach into the validation passage',
        ),
    ],
)
def test_bad_loader_arguments_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        d2lsave.load_data_time_machine(**kwargs)


def run_python(code, **env):
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ('OPENBLAS_CORETYPE', 'OMP_NUM_THREADS')
    }
    return subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        env={**environ, **env},
        check=True,
    )


def test_import_picks_openblas_kernels_that_this_cpu_runs():
    """MXNet's OpenBLAS gets the Haswell kernels on AVX2 CPUs, nothing
    otherwise, and a setting made by the user wins."""
    with open('/proc/cpuinfo') as f:
        flags = next(line for line in f if line.startswith('flags')).split()
    code = (
        'import os, d2lsave; from mxnet import np; '
        'np.dot(np.ones((2, 2)), np.ones((2, 2))).wait_to_read(); '
        'print(os.environ.get("OPENBLAS_CORETYPE"), '
        'os.environ["OMP_NUM_THREADS"])'
    )
    out = run_python(code, OPENBLAS_VERBOSE='2')
    if 'avx2' in flags and 'fma' in flags:
        assert out.stdout.split()[-2:] == ['Haswell', str(os.cpu_count())]
        assert 'Core: Haswell' in out.stdout + out.stderr  # OpenBLAS obeys
    else:
        assert out.stdout.split()[-2] == 'None'
    out = run_python(code, OPENBLAS_CORETYPE='Prescott', OMP_NUM_THREADS='1')
    assert out.stdout.split()[-2:] == ['Prescott', '1']
