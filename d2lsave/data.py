"""Getting the corpus safely: the data cache, checksums and downloads.

Written by hand (not saved from a chapter). Chapter 1 calls
`download_time_machine()` in one line; the appendix "Under the hood"
explains what it guards against.
"""

import hashlib
import os
import shutil
import urllib.request
from pathlib import Path

from d2l import mxnet as d2l

__all__ = [
    'TIME_MACHINE_FILE',
    'TIME_MACHINE_SHA1',
    'TIME_MACHINE_BYTES',
    'DataError',
    'data_dir',
    'sha1sum',
    'download_time_machine',
]

#: The corpus's file name, in the data cache and on d2l's data server.
TIME_MACHINE_FILE = 'timemachine.txt'
#: SHA-1 digest of the one file the book accepts as The Time Machine.
TIME_MACHINE_SHA1 = '090b5e7e70c295757f55df93cb0a180b9691891a'
#: Size of that file in bytes (quoted in error messages).
TIME_MACHINE_BYTES = 178979


class DataError(RuntimeError):
    """The corpus is missing, unreachable, or not the file it should be."""


def data_dir():
    """Return the data cache folder: `$D2LSAVE_DATA`, else the book's `data/`.

    The book's root is the first folder above this module that holds
    `_toc.yml`; without one (d2lsave installed elsewhere), `data/` in the
    current folder.
    """
    if os.environ.get('D2LSAVE_DATA'):
        return Path(os.environ['D2LSAVE_DATA'])
    start = Path(__file__).resolve().parent
    for folder in (start, *start.parents):
        if (folder / '_toc.yml').exists():
            return folder / 'data'
    return Path.cwd() / 'data'


def sha1sum(path):
    """Return the SHA-1 hex digest of a file."""
    digest = hashlib.sha1()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def download_time_machine(folder=None, url=None, timeout=30):
    """Return the path of a verified copy of The Time Machine.

    Looks in `folder` (default: `data_dir()`), downloads from `url`
    (default: `$D2LSAVE_DATA_URL`, else d2l's data server) only when the file
    is missing or fails its SHA-1 check, and verifies the download too.
    Raises `DataError`, naming the expected file and how to provide it, when
    no verified copy can be had. A cached file that fails the check is left
    in place (nothing is deleted); it is replaced only by a verified
    download, which goes to a temporary name first.
    """
    folder = Path(folder) if folder else data_dir()
    path = folder / TIME_MACHINE_FILE
    if url is None:
        base = os.environ.get('D2LSAVE_DATA_URL', d2l.DATA_URL)
        url = base.rstrip('/') + '/' + TIME_MACHINE_FILE
    problems = []
    if path.exists():
        found = sha1sum(path)
        if found == TIME_MACHINE_SHA1:
            return path
        problems.append(
            f'the cached file {path} has SHA-1 {found} (it is '
            f'corrupt or a different file; it was left as is)'
        )
    partial = path.with_name(path.name + '.part')
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(url, timeout=timeout) as response, open(
            partial, 'wb'
        ) as f:
            shutil.copyfileobj(response, f)
        found = sha1sum(partial)
        if found == TIME_MACHINE_SHA1:
            os.replace(partial, path)
            return path
        problems.append(
            f'{url} sent {partial.stat().st_size} bytes with '
            f'SHA-1 {found}, not the expected file'
        )
    except OSError as e:  # no network, refused, HTTP error, time-out
        problems.append(f'downloading {url} failed: {e}')
    if partial.exists():
        partial.unlink()
    raise DataError(
        'Could not get a verified copy of The Time Machine: '
        + '; '.join(problems)
        + '.\n'
        f'Expected: {TIME_MACHINE_FILE}, {TIME_MACHINE_BYTES} bytes, '
        f'SHA-1 {TIME_MACHINE_SHA1}.\n'
        f'Fix: put that file at {path.resolve()} (e.g. copy it from a '
        f'machine that can reach {url}), or set D2LSAVE_DATA to a folder '
        f'that holds it.'
    )
