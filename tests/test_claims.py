"""The chapters' claim checks (issue: claims that re-check themselves).

Every training run's result must be asserted by a `check_claim`, every
paragraph that quotes glued numbers must follow a claim check, and the
checks must be able to fail.
"""

import json
import re

import pandas as pd
import pytest
from toc_order import ROOT, toc_files

import d2lsave

CHAPTERS = [
    p
    for p in toc_files()
    if p.parent.name == 'chapters'
    and p.stem not in ('benchmark', 'build-info')
]
# `name = train_ch8(`, `name[key] = d2lsave.train_ch8(` or
# `name[key] = (model, train_ch8(`: name holds the result
TRAINING = re.compile(
    r'^\s*(\w+)(?:\[[^\]]*\])?\s*=\s*(?:\(\w+,\s*)?'
    r'(?:d2lsave\.)?train_ch8\(',
    re.MULTILINE,
)


def cells(path):
    return [
        (c['cell_type'], ''.join(c['source']), c['metadata'].get('tags', []))
        for c in json.loads(path.read_text(encoding='utf-8'))['cells']
    ]


@pytest.mark.parametrize('path', CHAPTERS, ids=lambda p: p.stem)
def test_every_training_run_is_checked(path):
    code = [source for kind, source, _ in cells(path) if kind == 'code']
    checks = '\n'.join(s for s in code if 'check_claim(' in s)
    runs = {m.group(1) for s in code for m in TRAINING.finditer(s)}
    unchecked = sorted(r for r in runs if not re.search(rf'\b{r}\b', checks))
    assert not unchecked, (
        f'{path.name}: no check_claim reads the results of {unchecked}'
    )


@pytest.mark.parametrize('path', CHAPTERS, ids=lambda p: p.stem)
def test_every_glued_paragraph_follows_a_claim_check(path):
    checked, missing = False, []
    for kind, source, _ in cells(path):
        if kind == 'code' and 'check_claim(' in source:
            checked = True
        elif kind == 'markdown' and '{glue:' in source:
            if not checked:
                missing.append(source[:70])
            checked = False  # the next glued paragraph needs its own check
    assert not missing, f'{path.name}: glued numbers unchecked in {missing}'


def test_claim_checks_are_hidden_from_the_website():
    for path in CHAPTERS:
        for kind, source, tags in cells(path):
            if (
                kind == 'code'
                and 'check_claim(' in source
                and 'def check_claim' not in source
            ):
                assert 'remove-cell' in tags, (path.name, source[:60])


def run_check_cell(chapter, marker, namespace):
    """Execute the claim-check cell of `chapter` that contains `marker`."""
    source = next(
        s
        for kind, s, _ in cells(ROOT / 'chapters' / chapter)
        if kind == 'code' and marker in s
    )
    exec(
        source, {'d2lsave': d2lsave, 'glue': lambda *a, **k: None, **namespace}
    )


def test_a_claim_check_fails_on_an_undertrained_run():
    """Chapter 2's checks, fed the numbers of a run that did not memorize
    its training text, stop with the text's own wording."""
    run = {
        'perplexity': 3.5,
        'valid_perplexity': 12.0,
        'best_valid': 11.0,
        'best_epoch': 500,
    }
    base = pd.DataFrame(
        {
            'valid': {
                'uniform': 28.0,
                '1-gram': 16.6,
                '2-gram': 10.1,
                '3-gram': 7.9,
                'Kneser-Ney': 5.7,
            }
        }
    )
    namespace = {
        'seq_result': run,
        'random_result': run,
        'num_epochs': 500,
        'vocab': list(range(28)),
        'base': base,
    }
    with pytest.raises(
        AssertionError,
        match='The text says: "both runs drive '
        'the training perplexity far below the baselines"',
    ):
        run_check_cell(
            'rnn-scratch.ipynb', "seq_result['perplexity'] < 1.2", namespace
        )
    memorized = dict(
        run,
        perplexity=1.05,
        valid_perplexity=105.0,
        best_valid=9.0,
        best_epoch=70,
    )
    namespace.update(
        seq_result=memorized,
        random_result=dict(memorized, perplexity=1.5, valid_perplexity=29.0),
    )
    run_check_cell(
        'rnn-scratch.ipynb', "seq_result['perplexity'] < 1.2", namespace
    )  # the pattern of the stored run passes


def test_check_claim_is_silent_when_the_claim_holds(capsys):
    assert d2lsave.check_claim(True, 'anything') is None
    assert capsys.readouterr().out == ''
    with pytest.raises(AssertionError, match='The text says: "x > 1"'):
        d2lsave.check_claim(False, 'x > 1')
