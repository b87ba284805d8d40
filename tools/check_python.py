"""Refuse a Python that MXNet 1.9.1 cannot run on (before the venv exists)."""

import sys

if not (3, 8) <= sys.version_info[:2] <= (3, 11):
    sys.exit(
        f'Python {sys.version.split()[0]} cannot run this book: MXNet 1.9.1 '
        'needs numpy<1.24 (it uses np.bool) and distutils (removed in Python '
        '3.12), so it runs on Python 3.8-3.11 only.\n'
        'Fix: install Python 3.11 and run, e.g., '
        '`make PYTHON=python3.11 test`.'
    )
