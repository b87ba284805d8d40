"""The website as a reader sees it, in headless Chromium, with no internet.

Needs the built site (`make book`, which `make test` runs first) and the
Debian packages chromium + chromium-driver (`tools/ensure_browser.sh`).
Screenshots of every chapter go to _build/screenshots/.
"""

import json
import shutil

import pytest
from toc_order import ROOT, toc_entries, toc_files

SITE = ROOT / '_build' / 'html'
SHOTS = ROOT / '_build' / 'screenshots'
CHAPTERS = toc_files()
# every page of the book in reading order ('intro', 'chapters/rnn-scratch')
PAGES = [
    entry.path.relative_to(ROOT).with_suffix('').as_posix()
    for entry in toc_entries()
]

webdriver = pytest.importorskip('selenium.webdriver')
if not (shutil.which('chromium') and shutil.which('chromedriver')):
    pytest.skip(
        'chromium and chromedriver are not installed: run '
        'tools/ensure_browser.sh (Debian, as root)',
        allow_module_level=True,
    )


def stored_outputs(path):
    """Return (number of images, stdout lines, has math) of a notebook."""
    images, lines, math = 0, [], False
    for cell in json.loads(path.read_text())['cells']:
        tags = cell.get('metadata', {}).get('tags', [])
        if 'hide-output' in tags or 'remove-output' in tags:
            continue  # deliberately out of the reader's way
        if cell['cell_type'] == 'markdown':
            math = math or '$' in ''.join(cell['source'])
        for out in cell.get('outputs', []):
            data = out.get('data', {})
            images += any(k.startswith('image/') for k in data)
            if out.get('name') == 'stdout':
                lines += ''.join(out['text']).splitlines()
    return images, lines, math


def wait_for(driver, script, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


@pytest.mark.parametrize(
    'index', range(len(CHAPTERS)), ids=[p.stem for p in CHAPTERS]
)
def test_chapter_page(site, browser, index):
    path = CHAPTERS[index]
    page = path.relative_to(ROOT).with_suffix('.html').as_posix()
    browser.get_log('browser')  # forget earlier pages' messages
    browser.get(f'{site}/{page}')
    wait_for(browser, 'return document.readyState === "complete"')
    num_plots, lines, has_math = stored_outputs(path)
    if has_math:  # formulas typeset by the MathJax copy served with the site
        wait_for(
            browser,
            'return document.querySelectorAll("mjx-container").length > 0',
        )
    text = browser.execute_script('return document.body.innerText')
    assert '$$' not in text and '\\frac' not in text, 'raw TeX on the page'
    # every image loaded, and at least the plots the notebook stores
    images = browser.execute_script(
        'return Array.from(document.images).map('
        'i => [i.src.slice(0, 60), i.complete && i.naturalWidth > 0])'
    )
    broken = [src for src, ok in images if not ok]
    assert not broken, f'images that did not load: {broken}'
    assert len(images) >= num_plots
    # the printed results (perplexity lines, generated text) are shown
    for line in lines:
        if line.startswith(('perplexity', 'time traveller', 'traveller')):
            assert line.strip() in text, f'missing output: {line!r}'
    errors = [e for e in browser.get_log('browser') if e['level'] == 'SEVERE']
    assert not errors, f'console errors: {errors}'
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script(
        'return document.documentElement.scrollHeight'
    )
    browser.set_window_size(1280, min(height, 16000))
    browser.save_screenshot(str(SHOTS / f'{path.stem}.png'))
    browser.set_window_size(1280, 900)
    # navigation: "next" leads to the next page of the book
    position = PAGES.index(path.relative_to(ROOT).with_suffix('').as_posix())
    if position + 1 < len(PAGES):
        browser.find_element('css selector', 'a.right-next').click()
        wait_for(
            browser,
            'return location.pathname.endsWith("%s.html")'
            % PAGES[position + 1],
        )


def test_api_page_lists_every_saved_name(site, browser):
    import d2lsave

    browser.get(f'{site}/api.html')
    documented = browser.execute_script(
        'return Array.from(document.querySelectorAll("dl.py > dt[id]"))'
        '.map(d => d.id)'
    )
    missing = set(f'd2lsave.{n}' for n in d2lsave.__all__) - set(documented)
    assert not missing, f'API page lacks {sorted(missing)}'
    links = browser.execute_script(
        'return Array.from(document.querySelectorAll("a.internal"))'
        '.map(a => a.getAttribute("href"))'
    )
    assert any('chapters/rnn-scratch.html' in (h or '') for h in links)


@pytest.mark.parametrize('width', [390, 900])
def test_chapter_list_opens_on_narrow_screens(site, browser, width):
    """On a phone or a tablet the sidebar is hidden; its toggle must open it
    (with sphinx-book-theme 1.3.0 + pydata-sphinx-theme 0.17.1 it did not)."""
    from selenium.webdriver.common.by import By

    browser.set_window_size(width, 900)
    try:
        browser.get(f'{site}/chapters/rnn-scratch.html')
        wait_for(browser, 'return document.readyState === "complete"')
        visible_links = (
            'return [...document.querySelectorAll('
            '".bd-sidebar-primary a.reference")].filter(a => {'
            'const r = a.getBoundingClientRect(); return r.width'
            ' > 0 && r.left >= 0 && r.right <= innerWidth'
            '}).length'
        )
        assert browser.execute_script(visible_links) == 0, (
            'the chapter list should start hidden at this width'
        )
        toggle = browser.find_element(
            By.CSS_SELECTOR, '.primary-toggle, label.sidebar-toggle'
        )
        toggle.click()
        wait_for(browser, visible_links + ' >= 6', timeout=5)
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / f'chapter-list-{width}px.png'))
    finally:
        browser.set_window_size(1280, 900)


@pytest.mark.parametrize(
    'index', range(len(CHAPTERS)), ids=[p.stem for p in CHAPTERS]
)
def test_printed_outputs_fit_their_boxes(site, browser, index):
    """At desktop width no printed output needs sideways scrolling (long
    generated lines wrap)."""
    page = CHAPTERS[index].relative_to(ROOT).with_suffix('.html').as_posix()
    browser.set_window_size(1366, 900)
    try:
        browser.get(f'{site}/{page}')
        wait_for(browser, 'return document.readyState === "complete"')
        wide = browser.execute_script(
            'return [...document.querySelectorAll("div.cell_output pre")]'
            '.filter(p => p.scrollWidth > p.clientWidth + 1)'
            '.map(p => p.textContent.slice(0, 60))'
        )
        assert not wide, f'{page}: outputs wider than their box: {wide}'
    finally:
        browser.set_window_size(1280, 900)


def test_no_launch_buttons_while_the_repository_is_a_placeholder():
    """A Binder button built from the placeholder repository leads nowhere
    (_ext/placeholder_buttons.py drops it until repository.url is set)."""
    import yaml

    config = yaml.safe_load((ROOT / '_config.yml').read_text())
    if '/example/' not in config['repository']['url']:
        pytest.skip('repository.url is set: the buttons belong there')
    for path in CHAPTERS:
        html = (SITE / path.relative_to(ROOT).with_suffix('.html')).read_text(
            encoding='utf-8'
        )
        assert (
            'mybinder.org' not in html and 'example/rnn-lm-book' not in html
        ), path.name
