"""The benchmark command: a short smoke run, checking structure, not speed."""

import json
import re
from pathlib import Path

import pytest

from d2lsave import bench


def test_bench_prints_a_table_and_json_lines(tmp_path, capsys):
    out_file = tmp_path / 'results.jsonl'
    assert (
        bench.main(
            [
                '--epochs',
                '3',
                '--models',
                'gluon-rnn-256',
                'scratch-rnn-256-compiled',
                '--json',
                str(out_file),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ['model', 'tokens/sec']
    records = [json.loads(line) for line in out_file.read_text().splitlines()]
    machine, *models = records
    assert machine['kind'] == 'machine'
    assert {
        'device',
        'cpu',
        'cores',
        'mxnet',
        'numpy',
        'threads',
        'commit',
    } <= set(machine)
    if (Path(bench.__file__).parents[1] / '.git').exists():  # a checkout
        assert re.fullmatch(r'[0-9a-f]{7,}(-dirty)?', machine['commit'])
    assert [r['model'] for r in models] == [
        'gluon-rnn-256',
        'scratch-rnn-256-compiled',
    ]
    for r in models:
        assert r['tokens_per_sec'] > 0 and r['perplexity'] > 1
        assert len(r['spread']) == 2 and min(r['spread']) > 0
        assert r['wall_tokens_per_sec'] > 0
        assert f'{r["model"]:<26}{r["tokens_per_sec"]:>11}' in out
        assert json.dumps(r) in out


def test_bench_reports_the_books_training_run():
    """The record is the result of the book's own train_ch8 on the book's
    data: the same perplexity as training the same model directly."""
    import d2lsave
    from d2lsave import d2l

    record = bench.run('gluon-rnn-256', 3)
    build, lr = bench.MODELS['gluon-rnn-256']
    d2lsave.set_seed(0)
    train_iter, vocab = d2lsave.load_data_time_machine(32, 35)
    ctx = d2l.try_gpu()
    result = d2lsave.train_ch8(
        build(len(vocab), ctx),
        train_iter,
        vocab,
        lr,
        3,
        ctx,
        plot_every=3,
        verbose=False,
    )
    assert record['perplexity'] == round(result['perplexity'], 3)
    assert record['epochs'] == 3 and record['lr'] == lr


def test_bench_refuses_impossible_settings():
    with pytest.raises(SystemExit):
        bench.main(['--epochs', '0'])
    with pytest.raises(SystemExit):
        bench.main(['--models', 'no-such-model'])


def test_bench_profile_lists_the_operators(capsys):
    assert (
        bench.main(['--epochs', '2', '--profile', '--models', 'gluon-rnn-256'])
        == 0
    )
    out = capsys.readouterr().out
    record = json.loads(out.splitlines()[-1])
    assert record['model'] == 'gluon-rnn-256'
    ms = record['ms_per_minibatch']
    assert {'RNN', '_backward_RNN'} <= set(ms)  # the fused operator
    assert list(ms.values()) == sorted(ms.values(), reverse=True)
    assert 'operators, ms per minibatch' in out
    assert re.search(r'^  _backward_RNN +[0-9.]+ +[0-9.]+%$', out, re.M)
