"""Shared test settings and fixtures."""

import functools
import http.server
import json
import os
import shutil
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

os.environ.setdefault('MPLBACKEND', 'Agg')  # tests draw no windows
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))  # the build script's module
SITE = ROOT / '_build' / 'html'  # the website that `make book` builds


def stored_run_seconds(path):
    """Seconds that a notebook's cells took when it was last executed
    (Jupyter's timings stored in the notebook); 0 for anything else."""
    if path.suffix != '.ipynb':
        return 0.0
    seconds = 0.0
    for cell in json.loads(path.read_text(encoding='utf-8'))['cells']:
        timing = cell.get('metadata', {}).get('execution', {})
        if 'iopub.execute_input' in timing and 'shell.execute_reply' in timing:
            start, end = (
                datetime.fromisoformat(timing[key].replace('Z', '+00:00'))
                for key in ('iopub.execute_input', 'shell.execute_reply')
            )
            seconds += (end - start).total_seconds()
    return seconds


def pytest_collection_modifyitems(config, items):
    """Longest notebooks first (by their stored run times), then the rest in
    their usual order: with `pytest -n 2 --dist loadfile` (make test) the
    workers then finish at about the same time. Each file's items keep
    their order, which nbval needs."""
    cost = {
        path: stored_run_seconds(path)
        for path in {item.path for item in items}
    }
    items.sort(key=lambda item: -cost[item.path])  # stable


@pytest.fixture(scope='session')
def toy():
    """A tiny, perfectly repetitive text: its vocabulary and a sequential
    loader (batch 4, 10 steps) over it."""
    from d2l import mxnet as d2l

    import d2lsave

    text = 'the time machine ' * 60
    vocab = d2l.Vocab(list(text))
    return vocab, d2lsave.SeqDataLoader([vocab[c] for c in text], 4, 10)


@pytest.fixture(scope='session')
def site():
    """The built website, served on a free local port."""
    assert (SITE / 'index.html').exists(), 'build the book first: make book'
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(SITE)
    )
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown()


@pytest.fixture(scope='session')
def browser(tmp_path_factory):
    """Headless Chromium with no internet (every host but 127.0.0.1 fails),
    keeping the console log."""
    webdriver = pytest.importorskip('selenium.webdriver')
    if not (shutil.which('chromium') and shutil.which('chromedriver')):
        pytest.skip(
            'chromium and chromedriver are not installed: run '
            'tools/ensure_browser.sh (Debian, as root)'
        )
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which('chromium')
    for flag in [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-sync',
        '--disable-background-networking',
        '--disable-component-update',
        '--window-size=1280,900',
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
        f'--user-data-dir={tmp_path_factory.mktemp("chrome")}',
    ]:
        options.add_argument(flag)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    service = webdriver.ChromeService(
        executable_path=shutil.which('chromedriver')
    )
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    # The theme scrolls smoothly (CSS scroll-behavior), so an element that
    # WebDriver scrolls to is still moving when it clicks, and the click
    # lands elsewhere. A reader's click is unaffected; the tests jump.
    driver.execute_cdp_cmd(
        'Page.addScriptToEvaluateOnNewDocument',
        {
            'source': "document.addEventListener('DOMContentLoaded', () => "
            "{ document.documentElement.style.scrollBehavior = "
            "'auto'; });"
        },
    )
    yield driver
    driver.quit()
