"""The build script that turns #@save code into the d2lsave module."""

import importlib.util
import json
import sys

import build_d2lsave
import pytest
import toc_order


def notebook(*cells):
    """A minimal notebook; str = code cell, ('md', text) = markdown."""
    out = []
    for cell in cells:
        if isinstance(cell, tuple):
            out.append(
                {'cell_type': 'markdown', 'metadata': {}, 'source': cell[1]}
            )
        else:
            out.append(
                {
                    'cell_type': 'code',
                    'metadata': {},
                    'outputs': [],
                    'execution_count': None,
                    'source': cell,
                }
            )
    return {'cells': out, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 4}


@pytest.fixture
def book(tmp_path):
    """A two-chapter book whose toc order differs from alphabetical."""
    (tmp_path / '_toc.yml').write_text(
        'format: jb-book\nroot: intro\nchapters:\n'
        '  - file: chapters/zeta\n  - file: chapters/alpha\n'
    )
    (tmp_path / 'chapters').mkdir()

    def write(name, nb):
        (tmp_path / 'chapters' / f'{name}.ipynb').write_text(json.dumps(nb))

    write(
        'zeta',
        notebook(
            '#@save\nimport math\nSCALE = 2',
            ('md', '## Doubling\nSome prose.'),
            'def double(x):  #@save\n    """Double."""\n    return SCALE * x\n'
            '\ndef helper():\n    return 0\n\nprint(double(3))',
            'def not_saved():\n    return 1',
        ),
    )
    write(
        'alpha',
        notebook(
            '#@save\nimport math\nimport os\nlower = 1',
            "@staticmethod\ndef later():  #@save\n    'Later.'\n"
            "    return math.pi",
        ),
    )
    return tmp_path, write


def load(root, monkeypatch):
    """Import the module generated for a toy book, as a package."""
    package = root / 'd2lsave'
    (package / '_env.py').write_text('')
    spec = importlib.util.spec_from_file_location(
        'toy_d2lsave',
        package / '__init__.py',
        submodule_search_locations=[str(package)],
    )
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_saves_tagged_code_in_toc_order(book, monkeypatch):
    root, _ = book
    assert build_d2lsave.main(['--root', str(root)]) == 0
    text = (root / 'd2lsave' / '__init__.py').read_text()
    assert text.startswith('"""') and 'GENERATED' in text[:400]
    assert 'so import it before mxnet.' in text
    assert '"""\nfrom . import _env  # noqa: F401\n' in text
    assert 'def double(x):' in text and 'def later():' in text
    assert '@staticmethod' in text  # decorators come along
    assert 'SCALE = 2' in text  # whole cell saved
    assert 'helper' not in text and 'not_saved' not in text
    assert 'print(' not in text  # demo code stays behind
    # zeta comes first in _toc.yml, so its code comes first
    assert text.index('def double') < text.index('def later')
    # imports gathered on top, once; an import the saved code does not use
    # (os: the notebook's own) is left out
    top, _, body = text.partition('\n# From ')
    assert text.count('import math') == 1 and 'import math\n' in top
    assert 'import os' not in text
    assert 'import' not in body.replace('import it before', '')
    assert '@save' not in body  # the marks are dropped
    module = load(root, monkeypatch)
    assert module.double(4) == 8
    # public defs, classes and UPPER_CASE constants; no imports
    assert module.__all__ == ['SCALE', 'double', 'later']
    assert module.later.__doc__ == (
        'Later.\n\n    Defined in chapters/alpha.ipynb.\n    '
    )
    api = (root / 'api.md').read_text()
    assert '.. autodata:: d2lsave.SCALE\n\n' in api  # 2 is shown
    assert '.. autofunction:: d2lsave.double\n' in api


def test_api_hides_values_that_are_not_literals(book):
    """A dict of functions would show memory addresses on the API page."""
    root, write = book
    write('zeta', notebook('#@save\nSCALE = 2\nSTEPS = {"double": abs}'))
    assert build_d2lsave.main(['--root', str(root)]) == 0
    api = (root / 'api.md').read_text()
    assert '.. autodata:: d2lsave.SCALE\n\n' in api
    assert '.. autodata:: d2lsave.STEPS\n   :no-value:\n' in api


def test_check_mode_catches_a_stale_module(book, capsys):
    root, write = book
    assert build_d2lsave.main(['--root', str(root), '--check']) == 1
    assert build_d2lsave.main(['--root', str(root)]) == 0
    assert build_d2lsave.main(['--root', str(root), '--check']) == 0
    write('alpha', notebook('def changed():  #@save\n    """C."""'))
    assert build_d2lsave.main(['--root', str(root), '--check']) == 1
    assert 'out of date' in capsys.readouterr().err


@pytest.mark.parametrize(
    'source, expected',
    [
        # a string holding the mark is no mark
        (
            'def f():  #@save\n    """Doc."""\n    return "#@save"\n\n'
            'print("#@save")',
            'def f():\n    """Doc.',
        ),
        ('def g():  # @save\n    """Doc."""', 'def g():\n'),
        # a mark on the decorator saves the decorated def
        (
            'import functools\n\n@functools.lru_cache()  #@save\ndef h():\n'
            '    """Doc."""',
            '\n@functools.lru_cache()\ndef h():\n',
        ),
    ],
)
def test_what_a_mark_saves(book, source, expected):
    root, write = book
    write('alpha', notebook(source))
    text = build_d2lsave.generate(root)
    assert expected in text
    assert 'print(' not in text and 'import functools' not in text


@pytest.mark.parametrize(
    'first, second, top',
    [
        # a parenthesised import, repeated: once
        (
            'from os.path import (\n    join,\n    basename,\n)\n'
            'X = join, basename',
            'from os.path import (\n    join,\n    basename,\n)\nY = join',
            'import sys\nfrom os.path import basename, join',
        ),
        # the same bindings through other statements: once
        (
            'from os import getcwd, path, sep\nX = getcwd, path, sep',
            'from os import sep, path\nimport os.path as path\nY = path, sep',
            'import sys\nfrom os import getcwd, path, sep',
        ),
        # two cells' names from one module: one statement, sorted by type
        (
            'from os.path import join\nX = join',
            'from os.path import SEP, Path, basename  # more\n'
            'Y = SEP, Path, basename',
            'import sys\nfrom os.path import SEP, Path, basename, join',
        ),
        # `import os` binds os, but `import os.path` also loads os.path;
        # hand-written names the saved code does not use are re-exported
        (
            'import os\nX = os',
            'import os.path\nfrom d2lsave.data import DataError',
            'import os\nimport os.path\nimport sys\n\n'
            'from d2lsave.data import DataError as DataError',
        ),
    ],
)
def test_imports_are_gathered_on_top(book, first, second, top):
    root, write = book
    write('zeta', notebook('#@save\n' + first))
    write('alpha', notebook('#@save\n' + second))
    text = build_d2lsave.generate(root)
    block = text.partition('# isort: split\n')[2].partition('\n\nd2lsave = ')[
        0
    ]
    assert block == top
    assert 'import' not in text.partition('\n# From ')[2]


ZETA_DOUBLE = 'chapters/zeta.ipynb, cell 3, line 1'
ZETA_SCALE = 'chapters/zeta.ipynb, cell 1, line 3'


@pytest.mark.parametrize(
    'source, expected',
    [
        ('x = 1  #@save', ['cell 1, line 1', 'saves nothing']),
        (
            'def f():\n    """D."""\n    return 1  #@save',
            ['cell 1, line 3', 'end of a top-level def/class line'],
        ),
        ('def f():  #@save it\n    """D."""', ['line 1', 'must end the line']),
        ('#@save\nx = 1  #@save', ['cell 1, line 2', 'whole cell already']),
        # one name from two places; the message names both
        (
            'def double(y):  #@save\n    """D."""',
            ['alpha.ipynb, cell 1, line 1', "'double'", ZETA_DOUBLE],
        ),
        (
            '#@save\nfrom os import path as double',
            ['cell 1, line 2', ZETA_DOUBLE],
        ),
        (
            '#@save\nimport cmath as math',
            [
                "'math'",
                'cell 1, line 2',
                'chapters/zeta.ipynb, cell 1, line 2',
            ],
        ),
        ('#@save\ndef double(x):\n    """D."""', ['line 2', ZETA_DOUBLE]),
        (
            '#@save\ntry:\n    import json\nexcept ImportError:\n'
            '    json = None\n    SCALE = 3',
            ["'SCALE'", 'cell 1, line 6', ZETA_SCALE],
        ),
        (
            '#@save\nif True:\n    for double in range(2):\n        pass',
            ['line 3', ZETA_DOUBLE],
        ),
        ('#@save\nSCALE += 1', ['line 2', ZETA_SCALE]),
        (
            '#@save\n%matplotlib inline\nx = 1',
            ['cell 1, line 2', 'Move the magic to an unsaved cell'],
        ),
        (
            '!pip install foo\ndef f():  #@save\n    """D."""',
            ['cell 1, line 1', 'Move the magic to an unsaved cell'],
        ),
        ('def f():  #@save\n    return 1', ['line 1', "'f' has no docstring"]),
        (
            '#@save\nclass Thing:\n    pass',
            ['line 2', "'Thing' has no docstring"],
        ),
    ],
)
def test_a_bad_save_is_an_error_that_says_where(book, source, expected):
    root, write = book
    write('alpha', notebook(source))
    with pytest.raises(build_d2lsave.SaveError) as info:
        build_d2lsave.generate(root)
    message = str(info.value)
    assert message.startswith('chapters/alpha.ipynb, cell 1')
    for part in expected:
        assert part in message


@pytest.mark.parametrize(
    'source, expected',
    [
        (
            'def broken(:  #@save\n    pass',
            ', line 1: the #@save code does not parse',
        ),
        (
            '#@save\nreturn 1',
            ", line 2: the saved code does not compile: 'return'",
        ),
        # fine alone, but not after zeta's code
        (
            '#@save\nfrom __future__ import annotations',
            ', line 2: a __future__ import cannot be saved',
        ),
    ],
)
def test_code_that_does_not_compile_writes_nothing(
    book, capsys, source, expected
):
    root, write = book
    write('alpha', notebook(('md', '# Title'), source))
    assert build_d2lsave.main(['--root', str(root)]) == 2
    err = capsys.readouterr().err
    assert f'chapters/alpha.ipynb, cell 2{expected}' in err
    assert not (root / 'd2lsave').exists()
    assert not (root / 'api.md').exists()


def test_origin_and_docstring_lead_back_to_the_prose(book):
    root, write = book
    (root / '_toc.yml').write_text(
        'format: jb-book\nroot: intro\nparts:\n'
        '  - caption: Main\n    numbered: true\n    chapters:\n'
        '      - file: chapters/alpha\n'
        '  - caption: More\n    chapters:\n      - file: chapters/zeta\n'
    )
    write(
        'alpha',
        notebook(
            (
                'md',
                '# Alpha\n## First\n```\n# a comment, not a heading\n```\n'
                '## Second `x`',
            ),
            ('md', 'Prose without a heading.'),
            'def f():  #@save\n    """Do f.\n\n    More.\n    """\n'
            '    class Inner:\n        """Methods are left alone."""',
        ),
    )
    text = build_d2lsave.generate(root)
    assert (
        '# From chapters/alpha.ipynb, section "Second x"\n'
        'def f():\n    """Do f.\n\n    More.\n\n'
        '    Defined in Chapter 1 (Alpha), section "Second x".\n    """\n'
        '    class Inner:\n        """Methods are left alone."""\n'
    ) in text
    assert (
        '# From chapters/zeta.ipynb, section "Doubling"\n'
        'def double(x):\n    """Double.\n\n'
        '    Defined in chapters/zeta.ipynb, section "Doubling".\n'
        '    """\n    return SCALE * x\n'
    ) in text


@pytest.mark.parametrize(
    'toc, expected',
    [
        # numbered parts count on across an unnumbered part; sections get
        # their chapter's number
        (
            'parts:\n'
            '  - numbered: true\n    chapters:\n      - file: a\n'
            '      - file: b\n        sections:\n          - file: b1\n'
            '  - chapters:\n      - file: c\n'
            '  - numbered: true\n    chapters:\n      - file: d\n',
            [
                ('intro', None),
                ('a', 1),
                ('b', 2),
                ('b1', 2),
                ('c', None),
                ('d', 3),
            ],
        ),
        (
            'chapters:\n  - file: a\n  - file: b\n',
            [('intro', None), ('a', None), ('b', None)],
        ),
        (
            'numbered: true\nchapters:\n  - file: a\n  - url: https://x.org\n'
            '  - file: b\n',
            [('intro', None), ('a', 1), ('b', 2)],
        ),
    ],
)
def test_toc_entries_number_the_chapters(tmp_path, toc, expected):
    (tmp_path / '_toc.yml').write_text(f'format: jb-book\nroot: intro\n{toc}')
    (tmp_path / 'intro.md').write_text('# Intro')
    (tmp_path / 'a.ipynb').write_text('{}')
    entries = toc_order.toc_entries(tmp_path)
    assert [(e.path.stem, e.number) for e in entries] == expected
    assert [e.path.name for e in entries if e.exists] == [
        'intro.md',
        'a.ipynb',
    ]
    assert toc_order.toc_files(tmp_path) == [tmp_path / 'a.ipynb']


def test_the_committed_module_matches_the_notebooks():
    assert build_d2lsave.main(['--check']) == 0
