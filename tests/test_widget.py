"""The text-generation widget (_static/lm-widget.js) in headless Chromium.

Needs the built site (`make book`) and chromium + chromedriver
(`tools/ensure_browser.sh`). Proves that the widget's JavaScript computes
what MXNet computes: at temperature 0 the page's text equals
`d2lsave.predict_ch8`, character for character, for the model files the
site uses and for small random models of every cell type (tanh and ReLU
RNN, GRU, LSTM, two layers; the scratch RNN). Also checks sampling, the
message for unknown characters, pages opened from disk (file://), with no
internet, and without console errors. Screenshots go to _build/screenshots/.
"""

import base64
import json
import re
import string

import numpy as onp
import pytest
from d2l import mxnet as d2l
from mxnet import init, np
from mxnet.gluon import rnn
from toc_order import ROOT

import d2lsave  # before mxnet: thread settings

SITE = ROOT / '_build' / 'html'
SHOTS = ROOT / '_build' / 'screenshots'
SOURCES = ROOT / '_extra' / 'lm-models'
PREFIXES = [
    'time traveller',
    'the quick brown fox jumps over the lazy dog',
    'x',
]
CTX = d2l.try_gpu()


# ---------------------------------------------------------------------------
# Reading an exported file back into MXNet.
def read_export(path):
    """Return the dict that an exported .js file registers."""
    text = path.read_text(encoding='utf-8')
    match = re.search(r'\)\[("[^"]+")\] = (\{.*\});\s*$', text, re.S)
    assert match, f'{path} is not a model file written by export_for_web'
    data = json.loads(match.group(2))
    assert json.loads(match.group(1)) == data['name'] == path.stem
    return data


def floats(text, shape):
    array = onp.frombuffer(base64.b64decode(text), dtype='<f4')
    return array.reshape(shape)


def vocab_of(tokens):
    vocab = d2l.Vocab()
    vocab.idx_to_token = list(tokens)
    vocab.token_to_idx = {token: i for i, token in enumerate(tokens)}
    return vocab


def gluon_layer(cell, num_hiddens, num_layers):
    if cell in ('rnn_tanh', 'rnn_relu'):
        return rnn.RNN(num_hiddens, activation=cell[4:], num_layers=num_layers)
    return {'gru': rnn.GRU, 'lstm': rnn.LSTM}[cell](
        num_hiddens, num_layers=num_layers
    )


def init_model(model):
    """Initialize a Gluon model and finish its deferred initialization."""
    model.initialize(init.Normal(0.01), ctx=CTX)
    model(np.zeros((1, 1), ctx=CTX), model.begin_state(batch_size=1, ctx=CTX))
    return model


def load_export(path):
    """Build an `RNNModel` with the weights of an exported file; return it
    with the file's vocabulary."""
    data = read_export(path)
    layers = data['layers']
    assert len({layer['cell'] for layer in layers}) == 1
    V = len(data['vocab'])
    model = init_model(
        d2lsave.RNNModel(
            gluon_layer(
                layers[0]['cell'], layers[0]['num_hiddens'], len(layers)
            ),
            V,
        )
    )
    for i, layer in enumerate(layers):
        rows = (
            layer['num_hiddens']
            * {'rnn_tanh': 1, 'rnn_relu': 1, 'gru': 3, 'lstm': 4}[
                layer['cell']
            ]
        )
        for key, gluon_name, shape in [
            ('W_i2h', 'i2h_weight', (rows, layer['num_inputs'])),
            ('W_h2h', 'h2h_weight', (rows, layer['num_hiddens'])),
            ('b_i2h', 'i2h_bias', (rows,)),
            ('b_h2h', 'h2h_bias', (rows,)),
        ]:
            getattr(model.rnn, f'l{i}_{gluon_name}').set_data(
                np.array(floats(layer[key], shape), ctx=CTX)
            )
    h = layers[-1]['num_hiddens']
    model.dense.weight.set_data(
        np.array(floats(data['dense']['weight'], (V, h)), ctx=CTX)
    )
    model.dense.bias.set_data(
        np.array(floats(data['dense']['bias'], (V,)), ctx=CTX)
    )
    return model, vocab_of(data['vocab'])


# ---------------------------------------------------------------------------
# Models for the tests.
TEST_VOCAB = vocab_of(
    d2l.Vocab(list(string.ascii_lowercase + ' ')).idx_to_token
)


def random_model(kind, seed=1):
    """A small model with random weights and non-zero biases. The recurrent
    weights are small (a contracting recurrence), the others large (outputs
    that depend on the input)."""
    d2lsave.set_seed(seed)
    V = len(TEST_VOCAB)
    if kind == 'scratch':
        model = d2lsave.RNNModelScratch(
            V, 16, CTX, d2lsave.get_params, d2lsave.init_rnn_state, d2lsave.rnn
        )
        for param, scale in zip(model.params, [1, 0.15, 0.5, 1, 0.5]):
            param[:] = np.random.normal(scale=scale, size=param.shape, ctx=CTX)
        return model
    model = init_model(d2lsave.RNNModel(gluon_layer(kind, 16, 2), V))
    for name, param in model.collect_params().items():
        scale = (
            0.15
            if name.endswith('h2h_weight')
            else 0.5
            if name.endswith('bias')
            else 1
        )
        param.set_data(
            np.random.normal(scale=scale, size=param.shape, ctx=CTX)
        )
    return model


# ---------------------------------------------------------------------------
# Export (no browser).
def test_export_is_exact_and_small(tmp_path):
    model = init_model(
        d2lsave.RNNModel(rnn.RNN(256, activation='tanh'), len(TEST_VOCAB))
    )
    path = d2lsave.export_for_web(
        model, TEST_VOCAB, tmp_path, 'rnn256', 'a test'
    )
    assert path == tmp_path / 'rnn256.js'
    print(f'rnn.RNN(256) export: {path.stat().st_size:,} bytes')
    assert path.stat().st_size < 500_000
    data = read_export(path)
    assert data['vocab'] == TEST_VOCAB.idx_to_token
    assert data['vocab'][data['unk']] == '<unk>'
    (layer,) = data['layers']
    assert (layer['cell'], layer['num_inputs'], layer['num_hiddens']) == (
        'rnn_tanh',
        len(TEST_VOCAB),
        256,
    )
    expected = {
        'W_i2h': model.rnn.l0_i2h_weight,
        'W_h2h': model.rnn.l0_h2h_weight,
        'b_i2h': model.rnn.l0_i2h_bias,
        'b_h2h': model.rnn.l0_h2h_bias,
    }
    for key, param in expected.items():  # bit for bit
        value = param.data().asnumpy()
        assert floats(layer[key], value.shape).tobytes() == value.tobytes()
    weight = model.dense.weight.data().asnumpy()
    assert (
        floats(data['dense']['weight'], weight.shape).tobytes()
        == weight.tobytes()
    )


def test_export_scratch_layout(tmp_path):
    model = random_model('scratch')
    data = read_export(
        d2lsave.export_for_web(model, TEST_VOCAB, tmp_path, 's')
    )
    W_xh, W_hh, b_h, W_hq, b_q = [p.asnumpy() for p in model.params]
    (layer,) = data['layers']
    V, h = W_xh.shape
    onp.testing.assert_array_equal(floats(layer['W_i2h'], (h, V)), W_xh.T)
    onp.testing.assert_array_equal(floats(layer['W_h2h'], (h, h)), W_hh.T)
    onp.testing.assert_array_equal(floats(layer['b_i2h'], (h,)), b_h)
    onp.testing.assert_array_equal(floats(layer['b_h2h'], (h,)), 0)
    onp.testing.assert_array_equal(
        floats(data['dense']['weight'], (V, h)), W_hq.T
    )
    onp.testing.assert_array_equal(floats(data['dense']['bias'], (V,)), b_q)


def test_export_refuses_what_it_cannot_represent(tmp_path):
    V = len(TEST_VOCAB)
    with pytest.raises(ValueError, match='name must be'):
        d2lsave.export_for_web(
            random_model('gru'), TEST_VOCAB, tmp_path, 'A b'
        )
    with pytest.raises(ValueError, match='vocabulary has 3'):
        d2lsave.export_for_web(
            random_model('gru'),
            vocab_of(['<unk>', 'a', 'b']),
            tmp_path,
            'small',
        )
    with pytest.raises(ValueError, match='reads the future'):
        d2lsave.RNNModel(rnn.GRU(4, bidirectional=True), V)
    other = d2lsave.RNNModelScratch(
        V,
        4,
        CTX,
        d2lsave.get_params,
        d2lsave.init_rnn_state,
        lambda inputs, state, params: None,
    )
    with pytest.raises(TypeError, match='dict of layers'):
        d2lsave.export_for_web(other, TEST_VOCAB, tmp_path, 'other')
    assert not list(tmp_path.iterdir())  # nothing written


def test_committed_models_are_small():
    files = sorted(SOURCES.glob('*.js'))
    assert files, f'no model file in {SOURCES}'
    for path in files:
        assert path.stat().st_size < 1_000_000, path
        read_export(path)  # well-formed


# ---------------------------------------------------------------------------
# The browser.
def wait_for(driver, script, *args, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script(script, *args)
    )


def open_page(browser, url):
    browser.get_log('browser')  # forget earlier pages' messages
    browser.get(url)
    wait_for(browser, 'return document.readyState === "complete"')


def assert_no_console_errors(browser):
    errors = [e for e in browser.get_log('browser') if e['level'] == 'SEVERE']
    assert not errors, f'console errors: {errors}'


def screenshot(browser, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.execute_script('window.scrollTo(0, 0)')
    height = browser.execute_script(
        'return document.documentElement.scrollHeight'
    )
    browser.set_window_size(1280, min(height, 16000))
    browser.save_screenshot(str(SHOTS / f'{name}.png'))
    browser.set_window_size(1280, 900)


def widget_pages():
    """{page path: [model names]} for every built page with a widget."""
    pages = {}
    for page in sorted(SITE.rglob('*.html')):
        names = re.findall(
            r'class="lm-widget" data-models="([^"]*)"',
            page.read_text(encoding='utf-8'),
        )
        if names:
            pages[page.relative_to(SITE).as_posix()] = ' '.join(names).split()
    return pages


def add_widget(browser, name, model_js=None):
    """Register a model on the current page (the text of an exported file)
    and add a widget for it; return the widget's CSS selector."""
    if model_js is not None:
        browser.execute_script(model_js)
    browser.execute_script(
        'const div = document.createElement("div");'
        'div.className = "lm-widget"; div.id = "widget-" + arguments[0];'
        'div.dataset.models = arguments[0];'
        'document.querySelector("article, main, body").append(div);'
        'LMWidget.setup(div);',
        name,
    )
    return f'#widget-{name}'


def run_widget(
    browser, widget, prefix, num_chars, temperature=0, model=None, seed=None
):
    """Fill in the widget as a reader would, press Generate and return
    (output text, message or None)."""
    root = browser.find_element('css selector', widget)
    browser.execute_script(
        'const [root, model, temperature, seed] = arguments;'
        'if (model !== null) {'
        '  const select = root.querySelector("select");'
        '  select.value = model;'
        '  select.dispatchEvent(new Event("change"));}'
        'const slider = root.querySelector(".lm-temperature");'
        'slider.value = temperature;'
        'slider.dispatchEvent(new Event("input"));'
        'if (seed === null) delete root.dataset.seed;'
        'else root.dataset.seed = seed;'
        'root.dataset.status = "";',
        root,
        model,
        temperature,
        seed,
    )
    for css, value in [('.lm-prefix', prefix), ('.lm-count', num_chars)]:
        field = root.find_element('css selector', css)
        field.clear()
        field.send_keys(str(value))
    root.find_element('css selector', 'button').click()
    wait_for(
        browser,
        'return ["done", "error"].includes(arguments[0].dataset.status)',
        root,
    )
    message = root.find_element('css selector', '.lm-message')
    output = root.find_element('css selector', '.lm-output').text
    return output, (message.text if message.is_displayed() else None)


# ---------------------------------------------------------------------------
# Exactness: the page computes what MXNet computes.
def test_site_models_match_predict_ch8(site, browser):
    pages = widget_pages()
    assert 'intro.html' in pages, 'the intro page has no widget'
    for page, names in pages.items():
        open_page(browser, f'{site}/{page}')
        for name in names:
            path = SITE / 'lm-models' / f'{name}.js'
            assert path.exists(), f'{page} names a missing model {name}'
            model, vocab = load_export(path)
            for prefix in PREFIXES:
                expected = d2lsave.predict_ch8(prefix, 100, model, vocab, CTX)
                text, message = run_widget(
                    browser, '.lm-widget', prefix, 100, model=name
                )
                assert message is None
                assert text == expected, (page, name, prefix)
        assert_no_console_errors(browser)
        screenshot(browser, 'widget-' + page.replace('/', '-')[:-5])


@pytest.mark.parametrize(
    'kind', ['scratch', 'rnn_tanh', 'rnn_relu', 'gru', 'lstm']
)
def test_every_cell_type_matches_predict_ch8(site, browser, tmp_path, kind):
    model = random_model(kind)
    name = f'test-{kind.replace("_", "-")}'
    path = d2lsave.export_for_web(
        model, TEST_VOCAB, tmp_path, name, f'random {kind}'
    )
    open_page(browser, f'{site}/intro.html')
    widget = add_widget(browser, name, path.read_text())
    for prefix in PREFIXES:
        expected = d2lsave.predict_ch8(prefix, 100, model, TEST_VOCAB, CTX)
        text, message = run_widget(browser, widget, prefix, 100)
        assert message is None
        assert text == expected, prefix
    assert_no_console_errors(browser)


# ---------------------------------------------------------------------------
# Sampling, unknown characters, no model files elsewhere, file://.
def test_sampling_emits_only_characters(site, browser):
    open_page(browser, f'{site}/intro.html')
    name = widget_pages()['intro.html'][0]
    known = set(read_export(SITE / 'lm-models' / f'{name}.js')['vocab'])
    known.discard('<unk>')
    texts = []
    for temperature, seed in [(1.0, 1), (2.0, 2), (2.0, 3), (2.0, 3)]:
        text, message = run_widget(
            browser,
            '.lm-widget',
            'time traveller',
            150,
            temperature=temperature,
            seed=seed,
        )
        assert message is None
        assert len(text) == len('time traveller') + 150
        assert text.startswith('time traveller')
        assert set(text) <= known, set(text) - known
        texts.append(text)
    assert texts[2] == texts[3]  # the same seed gives the same text
    assert len(set(texts[:3])) == 3  # other seeds do not
    assert_no_console_errors(browser)


def test_sampling_follows_softmax(site, browser):
    """The first sampled character's frequencies in the page match
    softmax(logits / T) computed by MXNet (without <unk>)."""
    open_page(browser, f'{site}/intro.html')
    name = widget_pages()['intro.html'][0]
    model, vocab = load_export(SITE / 'lm-models' / f'{name}.js')
    prefix, temperature, draws = 'th', 2.0, 4000
    state = model.begin_state(batch_size=1, ctx=CTX)
    logits, _ = model(np.array([vocab[list(prefix)]], ctx=CTX), state)
    logits = logits[-1].asnumpy().astype(float) / temperature
    logits[vocab.unk] = -onp.inf
    expected = onp.exp(logits - logits.max())
    expected /= expected.sum()
    counts = browser.execute_async_script(
        'const [name, prefix, T, draws, done] = arguments;'
        'LMWidget.loadModel(name).then(net => {'
        '  const random = LMWidget.seededRandom(7), counts = {};'
        '  for (let i = 0; i < draws; i++) {'
        '    const c = LMWidget.generate(net, prefix, 1, T, random).slice(-1);'
        '    counts[c] = (counts[c] || 0) + 1; }'
        '  done(counts); });',
        name,
        prefix,
        temperature,
        draws,
    )
    observed = (
        onp.array([counts.get(token, 0) for token in vocab.idx_to_token])
        / draws
    )
    assert counts.get('<unk>', 0) == 0
    # standard error of a frequency <= 0.008 at 4000 draws: allow 4 of them
    assert onp.abs(observed - expected).max() < 0.03, (observed, expected)


def test_prefixes_are_cleaned_like_the_novel(site, browser):
    """Uppercase letters, digits and punctuation are mapped as chapter 1
    cleans the novel; the reader sees what the model read. Only a prefix
    with no letters at all is refused."""
    open_page(browser, f'{site}/intro.html')
    text, message = run_widget(
        browser, '.lm-widget', 'The Time Machine, 1895', 20
    )
    assert message is None
    assert text.startswith('the time machine ') and len(text) == 17 + 20
    read = browser.find_element('css selector', '.lm-widget .lm-read')
    assert read.is_displayed() and '"the time machine "' in read.text
    screenshot(browser, 'widget-cleaned-prefix')
    text, message = run_widget(browser, '.lm-widget', '1895, ?!', 20)
    assert text == '' and message is not None and 'no letters' in message
    text, message = run_widget(browser, '.lm-widget', 'the time machine', 20)
    assert message is None and len(text) == len('the time machine') + 20
    assert not browser.find_element(
        'css selector', '.lm-widget .lm-read'
    ).is_displayed()
    assert_no_console_errors(browser)


def test_first_click_reads_like_the_novel(site, browser):
    """Pressing Generate with the widget's defaults gives text whose words
    are mostly words of the novel (on every page with a widget)."""
    novel = set(d2lsave.read_time_machine().split())
    for page in widget_pages():
        open_page(browser, f'{site}/{page}')
        root = browser.find_element('css selector', '.lm-widget')
        wait_for(
            browser, 'return arguments[0].dataset.status === "ready"', root
        )
        typed = root.find_element('css selector', '.lm-prefix').get_attribute(
            'value'
        )
        root.find_element('css selector', 'button').click()
        wait_for(
            browser,
            'return ["done", "error"].includes(arguments[0].dataset.status)',
            root,
        )
        text = root.find_element('css selector', '.lm-output').text
        words = text.split()[len(typed.split()) : -1]  # the continuation
        share = sum(w in novel for w in words) / len(words)
        assert share >= 0.7, (page, share, text)
        if page == 'intro.html':  # "continues with a memorized passage"
            train_iter, vocab = d2lsave.load_data_time_machine(32, 35)
            training = ''.join(vocab.to_tokens(list(train_iter.corpus)))
            assert d2lsave.longest_copied(' '.join(words), training) >= 40
    assert_no_console_errors(browser)


def test_model_files_load_only_on_widget_pages(site, browser):
    for path in (SITE / '_static').rglob('*.js'):  # added to every page
        assert '"format": "lm-web/1"' not in path.read_text(
            encoding='utf-8', errors='replace'
        ), f'model file {path}'
    for page in SITE.rglob('*.html'):
        assert 'lm-models/' not in page.read_text(encoding='utf-8'), page
    widget_in_chapter(browser, f'{site}/chapters/text-sequence.html')


def widget_in_chapter(browser, url):
    """A chapter page without a widget loads no model; a widget added to it
    finds the model file by name (lm-models/ relative to the widget's
    script)."""
    assert not any(url.endswith(page) for page in widget_pages())
    name = widget_pages()['intro.html'][0]
    model, vocab = load_export(SITE / 'lm-models' / f'{name}.js')
    open_page(browser, url)
    loaded = browser.execute_script(
        'return [window.LM_MODELS === undefined, performance'
        '.getEntriesByType("resource").map(e => e.name)'
        '.filter(n => n.includes("lm-models")).length]'
    )
    assert loaded == [True, 0]
    text, message = run_widget(browser, add_widget(browser, name), 'time', 50)
    assert message is None
    assert text == d2lsave.predict_ch8('time', 50, model, vocab, CTX)
    assert_no_console_errors(browser)


def test_page_from_disk(browser):
    """file:// (no server, no fetch of local files): the widget loads its
    model with a script tag and gives the same text as over HTTP."""
    name = widget_pages()['intro.html'][0]
    model, vocab = load_export(SITE / 'lm-models' / f'{name}.js')
    open_page(browser, (SITE / 'index.html').as_uri())
    wait_for(browser, 'return location.pathname.endsWith("intro.html")')
    wait_for(browser, 'return document.readyState === "complete"')
    assert browser.current_url.startswith('file://')
    text, message = run_widget(browser, '.lm-widget', 'time traveller', 100)
    assert message is None
    assert text == d2lsave.predict_ch8(
        'time traveller', 100, model, vocab, CTX
    )
    assert_no_console_errors(browser)
    screenshot(browser, 'widget-file-url')
    widget_in_chapter(
        browser, (SITE / 'chapters' / 'text-sequence.html').as_uri()
    )
