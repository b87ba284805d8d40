"""Read the book's table of contents (_toc.yml): the one reader of it.

    python tools/toc_order.py   # print the notebooks in reading order

`toc_entries()` lists every file of the book in reading order with its
chapter number; `toc_files()` lists the notebooks among them.

Chapter numbers are the ones Jupyter Book shows with `numbered: true`:
- With `parts:`, the chapters of each part that says `numbered: true` are
  numbered 1, 2, 3, ... in reading order, counting on from one numbered part
  to the next (Jupyter Book numbers across parts by default); the chapters of
  the other parts have no number.
- With a flat `chapters:` list (no parts), the top level acts as the one
  part: its chapters are numbered only if the top level says
  `numbered: true`.
- `defaults: {numbered: true}` at the top level numbers every part that does
  not say otherwise.
- The root page has no number. A file listed in a chapter's `sections:` gets
  the number of its chapter. `url:` and `glob:` entries are skipped.
"""

import pathlib
import sys
from typing import NamedTuple, Optional

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


class TocEntry(NamedTuple):
    """One file of the book, as _toc.yml lists it."""

    path: pathlib.Path  # the .ipynb or .md file
    number: Optional[int]  # its chapter number, None if unnumbered
    exists: bool  # whether the file is there


def resolve(root, file):
    """Return the path of a toc `file:` (written with or without suffix).

    Without a suffix, the .ipynb if it exists, else the .md if it exists,
    else the (missing) .ipynb.
    """
    path = root / file
    if path.suffix in ('.ipynb', '.md'):
        return path
    candidates = [root / (file + suffix) for suffix in ('.ipynb', '.md')]
    return next((p for p in candidates if p.exists()), candidates[0])


def toc_entries(root=ROOT):
    """Return a TocEntry for every file in root/_toc.yml, in reading order."""
    toc = yaml.safe_load((root / '_toc.yml').read_text(encoding='utf-8'))
    default = (toc.get('defaults') or {}).get('numbered', False)
    entries, count = [], 0

    def add(file, number):
        path = resolve(root, file)
        entries.append(TocEntry(path, number, path.exists()))

    def add_sections(entry, number):
        for section in entry.get('sections', []):
            if 'file' in section:
                add(section['file'], number)
            add_sections(section, number)

    if 'root' in toc:
        add(toc['root'], None)
    for part in toc.get('parts') or [toc]:
        numbered = part.get('numbered', default)
        for chapter in part.get('chapters', []):
            number = None
            if 'file' in chapter:
                if numbered:
                    count += 1
                    number = count
                add(chapter['file'], number)
            add_sections(chapter, number)
    return entries


def toc_files(root=ROOT):
    """Return the paths of the notebooks in _toc.yml that exist, in order."""
    return [
        entry.path
        for entry in toc_entries(root)
        if entry.exists and entry.path.suffix == '.ipynb'
    ]


if __name__ == '__main__':
    for path in toc_files():
        print(path.relative_to(ROOT))
    sys.exit(0)
