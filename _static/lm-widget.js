/* Live text generation with the book's character-level language models.
 *
 * Plain JavaScript, no framework, no server. A page asks for a widget with
 *     <div class="lm-widget" data-models="memorizing-rnn"></div>
 * and this script (which Jupyter Book adds to every page; it does nothing
 * where there is no widget) fills it in. The model files, written in Python
 * by export_for_web, live in the site's lm-models/ folder; each is a script
 * that registers its model in window.LM_MODELS. Scripts (unlike fetch) also
 * load from a page opened from disk (file://). Optional: data-seed="1"
 * makes sampling repeatable.
 */
(function () {
  'use strict';
  const thisScript = document.currentScript ||
    document.querySelector('script[src*="lm-widget.js"]');
  const MODELS_URL = new URL('../lm-models/', thisScript.src);  // _static/..
  const MAX_CHARS = 2000;
  // The novel's opening words: a prefix that the memorizing model has read
  // in training, long enough to tell it where in the novel it is. A page
  // can choose another with data-prefix, and a temperature with
  // data-temperature, on the widget's div.
  const DEFAULT_PREFIX =
    'The Time Traveller (for so it will be convenient to speak of him)';
  const registry = () => (window.LM_MODELS = window.LM_MODELS || {});

  // ---------------------------------------------------------------------
  // Reading a model file.
  const loading = {};  // name -> Promise of the ready-to-run network

  function loadModel(name) {
    if (!loading[name]) {
      loading[name] = new Promise((resolve, reject) => {
        if (registry()[name]) return resolve(registry()[name]);  // on page
        const script = document.createElement('script');
        script.src = new URL(name + '.js', MODELS_URL).href;
        script.onload = () => registry()[name] ? resolve(registry()[name])
          : reject(new Error(`${script.src} does not define "${name}"`));
        script.onerror = () => reject(new Error(
          `Could not load the model file ${script.src}.`));
        document.head.appendChild(script);
      }).then(prepare);
      loading[name].catch(() => delete loading[name]);  // may retry later
    }
    return loading[name];
  }

  // base64 text -> Float32Array of `length` numbers (little-endian float32).
  function floats(base64, length, what) {
    const bytes = atob(base64);
    if (bytes.length !== 4 * length) {
      throw new Error(`${what}: expected ${length} numbers`);
    }
    const view = new DataView(new ArrayBuffer(bytes.length));
    for (let i = 0; i < bytes.length; i++) {
      view.setUint8(i, bytes.charCodeAt(i));
    }
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }

  const GATES = {rnn_tanh: 1, rnn_relu: 1, gru: 3, lstm: 4};

  // Decode a registered model once into typed arrays.
  function prepare(model) {
    if (model.format !== 'lm-web/1') {
      throw new Error(`Unknown model format ${model.format}.`);
    }
    const V = model.vocab.length;
    const layers = model.layers.map((layer, l) => {
      const n = layer.num_inputs, h = layer.num_hiddens;
      const g = GATES[layer.cell] * h, what = `layer ${l}`;
      return {cell: layer.cell, h: h,
              W_i2h: floats(layer.W_i2h, g * n, what),
              W_h2h: floats(layer.W_h2h, g * h, what),
              b_i2h: floats(layer.b_i2h, g, what),
              b_h2h: floats(layer.b_h2h, g, what)};
    });
    const h = layers[layers.length - 1].h;
    const index = new Map();  // character -> token index (not <unk>)
    model.vocab.forEach((token, i) => {
      if (token.length === 1) index.set(token, i);
    });
    return {name: model.name, description: model.description,
            vocab: model.vocab, unk: model.unk, index: index, layers: layers,
            W: floats(model.dense.weight, V * h, 'dense'),
            b: floats(model.dense.bias, V, 'dense')};
  }

  // ---------------------------------------------------------------------
  // The network, in plain arithmetic (float64, on float32 weights).
  // Weights are in Gluon's layout: W_i2h is (G*h, inputs), with the G gate
  // blocks stacked by rows, and every layer computes for its input x and
  // its previous state (h, c):
  //   a = W_i2h x + b_i2h,  b = W_h2h h + b_h2h   (one block per gate)
  //   rnn_tanh: h' = tanh(a + b);     rnn_relu: h' = max(0, a + b)
  //   gru  (blocks r, z, n): r = sigmoid(a_r + b_r), z = sigmoid(a_z + b_z),
  //        n = tanh(a_n + r * b_n)    (the reset gate scales W_hn h + b_hn)
  //        h' = (1 - z) * n + z * h
  //   lstm (blocks i, f, g, o): i, f, o = sigmoid(a + b) of their blocks,
  //        g = tanh(a_g + b_g), c' = f * c + i * g, h' = o * tanh(c')
  // The first layer reads a one-hot vector, so W_i2h x is just the column
  // of W_i2h for that token (a row of its transpose). Each layer's h' is
  // the next layer's input; the logits are W_dense h' + b_dense.

  // y = W x + b, for W stored row by row with x.length columns.
  function affine(W, b, x) {
    const cols = x.length, y = new Float64Array(b.length);
    for (let r = 0; r < b.length; r++) {
      let sum = b[r];
      for (let c = 0; c < cols; c++) sum += W[r * cols + c] * x[c];
      y[r] = sum;
    }
    return y;
  }

  // y = W onehot(token) + b: one column of W.
  function affineOneHot(W, b, token, cols) {
    return Float64Array.from(b, (bias, r) => W[r * cols + token] + bias);
  }

  const sigmoid = x => 1 / (1 + Math.exp(-x));

  // One step of one layer: returns the new [h, c] (c is used by LSTMs only).
  function cellStep(cell, a, b, H, C) {
    const h = H.length, Hn = new Float64Array(h), Cn = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      const s = k => a[k * h + j] + b[k * h + j];  // gate block k, unit j
      if (cell === 'rnn_tanh') {
        Hn[j] = Math.tanh(s(0));
      } else if (cell === 'rnn_relu') {
        Hn[j] = Math.max(0, s(0));
      } else if (cell === 'gru') {
        const r = sigmoid(s(0)), z = sigmoid(s(1));
        const n = Math.tanh(a[2 * h + j] + r * b[2 * h + j]);
        Hn[j] = (1 - z) * n + z * H[j];
      } else {  // lstm
        Cn[j] = sigmoid(s(1)) * C[j] + sigmoid(s(0)) * Math.tanh(s(2));
        Hn[j] = sigmoid(s(3)) * Math.tanh(Cn[j]);
      }
    }
    return [Hn, Cn];
  }

  // Feed one token through every layer (updating `state`); return logits.
  function step(net, state, token) {
    let x = null;
    net.layers.forEach((layer, l) => {
      const [H, C] = state[l];
      const a = l === 0
        ? affineOneHot(layer.W_i2h, layer.b_i2h, token, net.vocab.length)
        : affine(layer.W_i2h, layer.b_i2h, x);
      state[l] = cellStep(layer.cell, a, affine(layer.W_h2h, layer.b_h2h, H),
                          H, C);
      x = state[l][0];
    });
    return affine(net.W, net.b, x);
  }

  // The next token: at temperature 0 the most likely one (like predict_ch8),
  // otherwise a sample from softmax(logits / T). Never <unk>.
  function choose(logits, unk, temperature, random) {
    let best = -1;
    logits.forEach((v, i) => {
      if (i !== unk && (best < 0 || v > logits[best])) best = i;
    });
    if (temperature === 0) return best;
    const weights = logits.map((v, i) =>
      i === unk ? 0 : Math.exp((v - logits[best]) / temperature));
    let u = random() * weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return best;  // only reached through rounding
  }

  // Read `prefix` (the warm-up), then predict `numChars` characters.
  function generate(net, prefix, numChars, temperature, random) {
    if (!prefix || unknownChars(net, prefix).length) {
      throw new Error('the prefix must be characters that the model knows');
    }
    const state = net.layers.map(l => [new Float64Array(l.h),
                                       new Float64Array(l.h)]);
    let logits = null, text = prefix;
    for (const ch of prefix) logits = step(net, state, net.index.get(ch));
    for (let k = 0; k < numChars; k++) {
      const token = choose(logits, net.unk, temperature, random);
      text += net.vocab[token];
      if (k + 1 < numChars) logits = step(net, state, token);
    }
    return text;
  }

  // The distinct characters of `prefix` that the model does not know.
  const unknownChars = (net, prefix) =>
    [...new Set(prefix)].filter(ch => !net.index.has(ch));

  // xorshift32: a small seedable random number generator, in [0, 1).
  function seededRandom(seed) {
    let x = (seed >>> 0) || 1;
    return () => {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      return (x >>> 0) / 4294967296;
    };
  }

  // ---------------------------------------------------------------------
  // The widget on the page.
  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.assign(node, attributes || {});
    (children || []).forEach(child => node.append(child));
    return node;
  }

  function setup(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = 'yes';
    const names = (root.dataset.models || '').split(/\s+/).filter(Boolean);
    const select = el('select', {className: 'lm-model'},
      names.map(name => el('option', {value: name, textContent: name})));
    const about = el('p', {className: 'lm-description'});
    const prefix = el('input', {type: 'text', className: 'lm-prefix',
      value: root.dataset.prefix || DEFAULT_PREFIX, spellcheck: false});
    const temperature = el('input', {type: 'range', className:
      'lm-temperature', min: 0, max: 2, step: 0.05,
      value: root.dataset.temperature || 0});
    const shown = el('output');
    const count = el('input', {type: 'number', className: 'lm-count',
                               min: 1, max: MAX_CHARS, value: 100});
    const button = el('button', {type: 'submit', textContent: 'Generate'});
    const message = el('p', {className: 'lm-message', hidden: true});
    message.setAttribute('role', 'alert');
    const read = el('p', {className: 'lm-read', hidden: true});
    const output = el('p', {className: 'lm-output'});
    output.setAttribute('aria-live', 'polite');
    const form = el('form', {}, [
      el('label', {}, ['Model ', select]), about,
      el('label', {className: 'lm-wide'}, ['Prefix ', prefix]),
      el('label', {}, ['Temperature ', temperature, shown]),
      el('label', {}, ['Characters ', count]), button]);
    root.replaceChildren(form, message, read, output);

    const status = value => { root.dataset.status = value; };
    const fail = text => {
      message.textContent = text;
      message.hidden = false;
      status('error');
    };
    const showTemperature = () => {
      shown.textContent = Number(temperature.value) === 0 ? '0 (greedy)'
        : Number(temperature.value).toFixed(2);
    };
    const loadChosen = () => {  // load the chosen model and describe it
      status('loading');
      button.disabled = true;
      return loadModel(select.value).then(net => {
        about.textContent = net.description || '';
        button.disabled = false;
        status('ready');
        return net;
      }, error => { button.disabled = false; fail(error.message); });
    };

    temperature.addEventListener('input', showTemperature);
    select.addEventListener('change', () => {
      message.hidden = true;
      loadChosen();
    });
    form.addEventListener('submit', event => {
      event.preventDefault();
      message.hidden = true;
      read.hidden = true;
      output.replaceChildren();
      loadChosen().then(net => {
        if (!net) return;  // the model did not load: fail() said why
        const typed = prefix.value, n = Number(count.value);
        if (!typed) return fail('Type a prefix first, e.g. "time traveller".');
        const text = clean(net, typed);
        if (!text) {
          return fail('The prefix has no letters: the model reads only ' +
                      `${known(net)}, and the book's cleaning turns every ` +
                      'other character into a space.');
        }
        read.hidden = text === typed;
        read.textContent = `The model reads: "${text}" (lowercase, and ` +
          'every run of other characters as one space, as the book ' +
          'cleans the novel).';
        const unknown = unknownChars(net, text);
        if (unknown.length) {
          return fail(`The prefix has characters that the model does not ` +
            `know: ${unknown.map(ch => JSON.stringify(ch)).join(', ')}. ` +
            `It knows only ${known(net)}: type the prefix in lowercase and ` +
            `replace other characters with spaces.`);
        }
        if (!Number.isInteger(n) || n < 1 || n > MAX_CHARS) {
          return fail(`Characters: choose a whole number from 1 to ` +
                      `${MAX_CHARS}.`);
        }
        const random = root.dataset.seed
          ? seededRandom(Number(root.dataset.seed)) : Math.random;
        const result = generate(net, text, n, Number(temperature.value),
                                random);
        output.replaceChildren(el('strong', {textContent: text}),
                               result.slice(text.length));
        status('done');
      });
    });
    showTemperature();
    if (!names.length) return fail('This widget names no model.');
    loadChosen();
  }

  // The book's cleaning of the novel (chapter 1: lowercase, every run of
  // non-letters one space), applied to a prefix for models that know
  // exactly the lowercase letters and the space; other models read the
  // prefix as typed. Leading spaces go, as the book strips the text.
  function clean(net, text) {
    if (known(net) !== 'lowercase letters (a-z) and spaces') return text;
    return text.toLowerCase().replace(/[^a-z]+/g, ' ').replace(/^ +/, '');
  }

  // How to describe the characters a model knows.
  function known(net) {
    const chars = [...net.index.keys()].sort().join('');
    return chars === ' abcdefghijklmnopqrstuvwxyz'
      ? 'lowercase letters (a-z) and spaces'
      : `these characters: ${JSON.stringify(chars)}`;
  }

  function setupAll() {
    document.querySelectorAll('.lm-widget').forEach(setup);
  }

  window.LMWidget = {setup, loadModel, generate, seededRandom, clean};
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', setupAll);
  } else {
    setupAll();
  }
})();
