"""Shared test settings and fixtures."""
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault('MPLBACKEND', 'Agg')  # tests draw no windows
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))  # the build script's module


@pytest.fixture(scope='session')
def toy():
    """A tiny, perfectly repetitive text: its vocabulary and a sequential
    loader (batch 4, 10 steps) over it."""
    import d2lsave
    from d2l import mxnet as d2l
    text = 'the time machine ' * 60
    vocab = d2l.Vocab(list(text))
    return vocab, d2lsave.SeqDataLoader([vocab[c] for c in text], 4, 10)
