"""Notebook hygiene: the book shows stored outputs, so they must be there."""

import json

import pytest
from toc_order import ROOT, toc_files

NOTEBOOKS = toc_files()


def test_every_chapter_is_in_the_toc():
    on_disk = sorted(p.name for p in (ROOT / 'chapters').glob('*.ipynb'))
    assert on_disk == sorted(p.name for p in NOTEBOOKS)


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_executed(path):
    nb = json.loads(path.read_text(encoding='utf-8'))
    assert nb['metadata']['kernelspec']['name'] == 'python3'
    code = [
        c
        for c in nb['cells']
        if c['cell_type'] == 'code' and ''.join(c['source']).strip()
    ]
    assert code, 'a chapter without code'
    counts = [c['execution_count'] for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f'{path.name}: run it top to bottom (make execute); counts {counts}'
    )
    for c in code:
        for out in c['outputs']:
            assert out['output_type'] != 'error', (
                f'{path.name} stores an error output'
            )
            text = json.dumps(out)
            assert '/work/' not in text and '/home/' not in text, (
                f'{path.name} stores a path of a developer machine'
            )
