"""Print the notebooks listed in _toc.yml, in book order (one path a line)."""
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def toc_files(root=ROOT):
    """Return the paths of the notebooks in _toc.yml, in reading order."""
    toc = yaml.safe_load((root / '_toc.yml').read_text())
    found = []

    def walk(entry):
        if isinstance(entry, dict):
            if 'file' in entry:
                found.append(entry['file'])
            for key in ('parts', 'chapters', 'sections'):
                for child in entry.get(key, []):
                    walk(child)

    walk(toc)
    return [root / (f + '.ipynb') for f in found
            if (root / (f + '.ipynb')).exists()]


if __name__ == '__main__':
    for path in toc_files():
        print(path.relative_to(ROOT))
    sys.exit(0)
