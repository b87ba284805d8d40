"""The build script that turns #@save code into the d2lsave module."""
import json

import pytest

import build_d2lsave


def notebook(*cells):
    """A minimal notebook; str = code cell, ('md', text) = markdown."""
    out = []
    for cell in cells:
        if isinstance(cell, tuple):
            out.append({'cell_type': 'markdown', 'metadata': {},
                        'source': cell[1]})
        else:
            out.append({'cell_type': 'code', 'metadata': {}, 'outputs': [],
                        'execution_count': None, 'source': cell})
    return {'cells': out, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 4}


@pytest.fixture
def book(tmp_path):
    """A two-chapter book whose toc order differs from alphabetical."""
    (tmp_path / '_toc.yml').write_text(
        'format: jb-book\nroot: intro\nchapters:\n'
        '  - file: chapters/zeta\n  - file: chapters/alpha\n')
    (tmp_path / 'chapters').mkdir()

    def write(name, nb):
        (tmp_path / 'chapters' / f'{name}.ipynb').write_text(json.dumps(nb))
    write('zeta', notebook(
        '#@save\nimport math\nSCALE = 2',
        ('md', '## Doubling\nSome prose.'),
        'def double(x):  #@save\n    """Double."""\n    return SCALE * x\n'
        '\ndef helper():\n    return 0\n\nprint(double(3))',
        'def not_saved():\n    return 1'))
    write('alpha', notebook(
        '#@save\nimport math\nimport os',
        '@staticmethod\ndef later():  #@save\n    return math.pi'))
    return tmp_path, write


def test_saves_tagged_code_in_toc_order(book):
    root, _ = book
    text = build_d2lsave.generate(root)
    assert text.startswith('"""') and 'GENERATED' in text[:300]
    assert 'def double(x):' in text and 'def later():' in text
    assert '@staticmethod' in text              # decorators come along
    assert 'SCALE = 2' in text                  # whole cell saved
    assert 'helper' not in text and 'not_saved' not in text
    assert 'print(' not in text                 # demo code stays behind
    # zeta comes first in _toc.yml, so its code comes first
    assert text.index('def double') < text.index('def later')
    # each block says where it comes from, with its section
    assert '# From chapters/zeta.ipynb, "Doubling"\ndef double' in text
    assert text.count('import math') == 1       # repeated import dropped
    assert 'import os' in text
    namespace = {}
    exec(compile(text, 'd2lsave', 'exec'), namespace)
    assert namespace['double'](4) == 8
    assert namespace['__all__'] == ['double', 'later']


def test_check_mode_catches_a_stale_module(book, capsys):
    root, write = book
    assert build_d2lsave.main(['--root', str(root), '--check']) == 1
    assert build_d2lsave.main(['--root', str(root)]) == 0
    assert build_d2lsave.main(['--root', str(root), '--check']) == 0
    write('alpha', notebook('def changed():  #@save\n    return 2'))
    assert build_d2lsave.main(['--root', str(root), '--check']) == 1
    assert 'out of date' in capsys.readouterr().err


def test_parse_error_names_notebook_and_cell(book, capsys):
    root, write = book
    write('alpha', notebook(('md', '# Title'),
                            'def broken(:  #@save\n    pass'))
    assert build_d2lsave.main(['--root', str(root)]) == 2
    err = capsys.readouterr().err
    assert 'chapters/alpha.ipynb, cell 2' in err and 'does not parse' in err
    assert not (root / 'd2lsave' / '__init__.py').exists()


@pytest.mark.parametrize('source, message', [
    ('x = 1  #@save', 'saves nothing'),
    ('def f():\n    return 1  #@save', 'cell 1, line 2'),  # marker misplaced
    ('def double(y):  #@save\n    return y', "'double' again"),
    # an import that would shadow a saved function is caught too
    ('#@save\nfrom os import path as double', "'double' again"),
])
def test_a_bad_save_marker_is_an_error(book, source, message):
    root, write = book
    write('alpha', notebook(source))
    with pytest.raises(build_d2lsave.SaveError, match=message):
        build_d2lsave.generate(root)


def test_the_committed_module_matches_the_notebooks():
    assert build_d2lsave.main(['--check']) == 0
