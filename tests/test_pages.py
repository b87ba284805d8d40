"""The built pages as a reader gets them, read from their HTML (no browser):
every image has a description, every chapter has numbered figures and cites
its sources, no table shows NaN, and dropdowns hold the worked solutions."""

import html.parser
import re

import pytest
from toc_order import ROOT

SITE = ROOT / '_build' / 'html'
# the six chapters of the book, which #23 asks to have figures and citations
CHAPTERS = [
    'text-sequence',
    'rnn-scratch',
    'rnn-concise',
    'gated-rnn',
    'deep-rnn',
    'generalize',
]
IMAGE_FILE = re.compile(r'.*\.(png|svg|jpe?g|gif)$', re.I)


class Page(html.parser.HTMLParser):
    """Collects images' alt texts, table cells, figure captions, links."""

    def __init__(self):
        super().__init__()
        self.alts, self.cells, self.captions, self.hrefs = [], [], [], []
        self.in_cell = self.in_caption = 0
        self.dropdowns = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'img':
            self.alts.append((attrs.get('src', ''), attrs.get('alt')))
        elif tag in ('td', 'th'):
            self.in_cell += 1
            self.cells.append('')
        elif tag == 'figcaption':
            self.in_caption += 1
            self.captions.append('')
        elif tag == 'a':
            self.hrefs.append(attrs.get('href') or '')
        elif tag == 'details' and 'dropdown' in (attrs.get('class') or ''):
            self.dropdowns += 1

    def handle_endtag(self, tag):
        if tag in ('td', 'th'):
            self.in_cell -= 1
        elif tag == 'figcaption':
            self.in_caption -= 1

    def handle_data(self, data):
        if self.in_cell:
            self.cells[-1] += data
        if self.in_caption:
            self.captions[-1] += data


def parse(page):
    path = SITE / f'{page}.html'
    if not path.exists():
        pytest.fail(f'{path} is missing: build the book first (make book)')
    parser = Page()
    parser.feed(path.read_text(encoding='utf-8'))
    return parser


def chapter_pages():
    return [f'chapters/{name}' for name in CHAPTERS]


@pytest.mark.parametrize(
    'page', chapter_pages() + ['intro', 'chapters/d2l-bridge']
)
def test_every_image_is_described(page):
    """Alt text for a reader who cannot see the picture: present, and not
    the image's file name (myst-nb's default)."""
    bad = [
        src
        for src, alt in parse(page).alts
        if not alt
        or IMAGE_FILE.match(alt.strip())
        or alt.strip() == src.rsplit('/', 1)[-1]
    ]
    assert not bad, f'{page}: images without a description: {bad}'


@pytest.mark.parametrize('page', chapter_pages())
def test_chapters_number_their_figures_and_cite(page):
    found = parse(page)
    numbered = [c for c in found.captions if re.match(r'\s*Fig\. \d', c)]
    assert numbered, f'{page}: no numbered, captioned figure'
    cites = [h for h in found.hrefs if 'references.html#' in h]
    assert cites, f'{page}: cites nothing (no link to the references page)'


@pytest.mark.parametrize(
    'page', chapter_pages() + ['chapters/d2l-bridge', 'chapters/benchmark']
)
def test_tables_show_no_missing_values(page):
    bad = [
        c
        for c in parse(page).cells
        if c.strip() in ('NaN', '<NA>', 'nan', 'None')
    ]
    assert not bad, f'{page}: table cells {bad}'


@pytest.mark.parametrize('page', chapter_pages())
def test_worked_solutions_are_collapsed(page):
    """#23: worked solutions for at least half of each chapter's exercises,
    in collapsed blocks."""
    assert parse(page).dropdowns >= 2, f'{page}: fewer than two solutions'
