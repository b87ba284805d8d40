"""Saving, loading and exporting trained models, written by hand.

Chapter 3 saves its trained model and exports it for the in-browser widget
(`_static/lm-widget.js`) with one call each; the appendix "Under the hood"
explains the formats.
"""

import base64
import json
import re
from pathlib import Path

from d2l import mxnet as d2l
from mxnet import gluon, np, npx

import d2lsave  # the chapters' helpers, looked up when called

__all__ = [
    'save_model',
    'load_model',
    'export_for_web',
    'web_layers',
    'float32_base64',
]


def save_model(model, vocab, folder):
    """Save `model`'s trained arrays and `vocab` into `folder` (created if
    missing); `load_model(model, folder)` reads them back.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = d2lsave.model_params(model)
    npx.save(
        str(folder / 'model.params'),
        {f'param{i}': array for i, array in enumerate(arrays)},
    )
    (folder / 'vocab.json').write_text(json.dumps(vocab.idx_to_token))


def load_model(model, folder):
    """Load what `save_model` wrote into `model`, which must be built the
    same way (same class and sizes); return the saved vocabulary.
    """
    folder = Path(folder)
    tokens = json.loads((folder / 'vocab.json').read_text())
    saved = npx.load(str(folder / 'model.params'))
    saved = [saved[f'param{i}'] for i in range(len(saved))]
    arrays = d2lsave.model_params(model)
    wanted = [array.shape for array in arrays]
    if len(tokens) != model.vocab_size or [s.shape for s in saved] != wanted:
        raise ValueError(
            f'{folder} holds a model for {len(tokens)} tokens with arrays of '
            f'shapes {[s.shape for s in saved]}, but this model has '
            f'vocab_size={model.vocab_size} and shapes {wanted}: build it '
            f'the way the saved one was built.'
        )
    for array, value in zip(arrays, saved):
        array[:] = value.as_in_ctx(array.ctx)
    vocab = d2l.Vocab()
    vocab.idx_to_token = tokens
    vocab.token_to_idx = {token: i for i, token in enumerate(tokens)}
    return vocab


def export_for_web(model, vocab, path, name, description=''):
    """Write `model` and `vocab` into `path/name.js`, for the web widget.

    The file is a small script that registers the model in the page:
    `(window.LM_MODELS = window.LM_MODELS || {})[name] = {...}`, so that it
    also works in pages opened from disk (file:// URLs, where a page may not
    `fetch` local files). Every weight is stored exactly, as little-endian
    float32 bytes encoded in base64, in Gluon's layout:

    - `vocab`: the tokens by index; `unk`: the index of `<unk>`;
    - `layers`: one entry per recurrent layer, bottom first, with `cell`
      ('rnn_tanh', 'rnn_relu', 'gru' or 'lstm'), `num_inputs`,
      `num_hiddens` and `W_i2h` (G*h, num_inputs), `W_h2h` (G*h, h),
      `b_i2h`, `b_h2h` (G*h,), where G = 1, 3 (r, z, n) or 4 (i, f, g, o)
      is the number of gate blocks stacked by rows;
    - `dense`: `weight` (vocab_size, h) and `bias` (vocab_size,).

    `model` is a `RNNModel` around `rnn.RNN` (tanh or relu),
    `rnn.GRU` or `rnn.LSTM` (any number of layers, one direction), a
    `RNNModelCompiled`, or a `RNNModelScratch` whose
    forward function is `rnn` or `deep_rnn` (tanh layers, parameters
    [W_xh, W_hh, b_h] per layer, then [W_hq, b_q]; the exported b_h2h is 0).
    Any other model can be exported by converting it first into a dict
    {'layers': [{'cell':, 'W_i2h':, 'W_h2h':, 'b_i2h':, 'b_h2h':}, ...],
    'dense_weight':, 'dense_bias':} of arrays in the layout above.

    Returns the path of the file written.
    """
    if not re.fullmatch(r'[a-z0-9][a-z0-9_-]*', name):
        raise ValueError(
            f'name must be lowercase letters, digits, - and _ '
            f'(it names the file and the model), got {name!r}'
        )
    net = model if isinstance(model, dict) else web_layers(model)
    vocab_size = net['dense_weight'].shape[0]
    if vocab_size != len(vocab):
        raise ValueError(
            f'the model predicts {vocab_size} tokens but the '
            f'vocabulary has {len(vocab)}'
        )
    gates = {'rnn_tanh': 1, 'rnn_relu': 1, 'gru': 3, 'lstm': 4}
    layers, num_inputs = [], vocab_size  # the first layer reads one-hots
    for layer in net['layers']:
        if layer['cell'] not in gates:
            raise ValueError(
                f"unknown cell {layer['cell']!r}: use one of {sorted(gates)}"
            )
        h = layer['W_h2h'].shape[1]
        shapes = {
            'W_i2h': (gates[layer['cell']] * h, num_inputs),
            'W_h2h': (gates[layer['cell']] * h, h),
            'b_i2h': (gates[layer['cell']] * h,),
            'b_h2h': (gates[layer['cell']] * h,),
        }
        entry = {
            'cell': layer['cell'],
            'num_inputs': num_inputs,
            'num_hiddens': h,
        }
        for key, shape in shapes.items():
            entry[key] = float32_base64(layer[key], shape, key)
        layers.append(entry)
        num_inputs = h
    data = {
        'format': 'lm-web/1',
        'name': name,
        'description': description,
        'vocab': list(vocab.idx_to_token),
        'unk': vocab.token_to_idx['<unk>'],
        'layers': layers,
        'dense': {
            'weight': float32_base64(
                net['dense_weight'], (vocab_size, num_inputs), 'dense'
            ),
            'bias': float32_base64(
                net['dense_bias'], (vocab_size,), 'dense bias'
            ),
        },
    }
    body = ',\n'.join(
        f'{json.dumps(key)}: {json.dumps(value)}'
        for key, value in data.items()
    )  # a line per key
    file = Path(path) / f'{name}.js'
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(
        f'// Language model "{name}" for the text-generation widget '
        f'(_static/lm-widget.js),\n// written by export_for_web.\n'
        f'(window.LM_MODELS = window.LM_MODELS || {{}})[{json.dumps(name)}] '
        f'= {{\n{body}\n}};\n',
        encoding='utf-8',
    )
    return file


def web_layers(model):
    """Return a model's weights as export_for_web's dict of layers."""
    if isinstance(model, gluon.Block) and hasattr(model, 'rnn'):
        layer = model.rnn  # rnn.RNN, rnn.GRU or rnn.LSTM: Gluon's layout
        if getattr(layer, '_projection_size', None):
            raise ValueError('layers with a projection cannot be exported')
        layers = []
        for i in range(layer._num_layers):

            def param(kind, i=i):
                return getattr(layer, f'l{i}_{kind}').data()

            layers.append(
                {
                    'cell': layer._mode,  # 'rnn_tanh', 'gru', ...
                    'W_i2h': param('i2h_weight'),
                    'W_h2h': param('h2h_weight'),
                    'b_i2h': param('i2h_bias'),
                    'b_h2h': param('h2h_bias'),
                }
            )
        return {
            'layers': layers,
            'dense_weight': model.dense.weight.data(),
            'dense_bias': model.dense.bias.data(),
        }
    if isinstance(model, gluon.Block) and hasattr(model, 'W_xh'):
        params = [
            getattr(model, key).data()  # RNNModelCompiled
            for key in ('W_xh', 'W_hh', 'b_h', 'W_hq', 'b_q')
        ]
    elif (
        getattr(getattr(model, 'forward_fn', None), '__name__', '')
        in ('rnn', 'deep_rnn')
        and len(model.params) % 3 == 2
    ):
        params = model.params  # scratch tanh RNN, one or more layers
    else:
        raise TypeError(
            f'cannot read the layers of a {type(model).__name__}: convert '
            f'it into a dict of layers (see export_for_web)'
        )
    *stack, W_hq, b_q = params  # [W_xh, W_hh, b_h] per layer: X W + b
    layers = [
        {
            'cell': 'rnn_tanh',
            'W_i2h': W_xh.T,
            'W_h2h': W_hh.T,
            'b_i2h': b_h,
            'b_h2h': np.zeros_like(b_h),
        }
        for W_xh, W_hh, b_h in zip(stack[0::3], stack[1::3], stack[2::3])
    ]
    return {'layers': layers, 'dense_weight': W_hq.T, 'dense_bias': b_q}


def float32_base64(array, shape, what):
    """Check an array's shape; return its float32 bytes in base64."""
    if tuple(array.shape) != shape:
        raise ValueError(
            f'{what} has shape {tuple(array.shape)}, expected {shape}'
        )
    data = array.asnumpy() if hasattr(array, 'asnumpy') else array
    return base64.b64encode(data.astype('<f4').tobytes()).decode('ascii')
