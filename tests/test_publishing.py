"""What publishing needs: valid workflows, the repository setting, Binder's
environment files, the lock file and `make lab`."""

import os
import re
import shutil
import stat
import subprocess
import sys

import check_publish
import pytest
import yaml
from toc_order import ROOT

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = pytest.importorskip('tomli')

WORKFLOWS = sorted((ROOT / '.github' / 'workflows').glob('*.yml'))


def test_workflows_pass_actionlint():
    actionlint = shutil.which(
        'actionlint', path=os.path.dirname(sys.executable)
    )
    assert actionlint, 'actionlint is missing: install requirements.txt'
    assert {p.name for p in WORKFLOWS} >= {'ci.yml', 'pages.yml', 'gpu.yml'}
    done = subprocess.run(
        [actionlint, *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_runs_the_readme_test_command_on_python_311():
    ci = yaml.safe_load((ROOT / '.github/workflows/ci.yml').read_text())
    steps = ci['jobs']['test']['steps']
    assert any(
        'make PYTHON=python3.11 test' in s.get('run', '') for s in steps
    )
    setup = next(s for s in steps if 'setup-python' in s.get('uses', ''))
    assert setup['with']['python-version'] == '3.11'
    assert setup['with']['cache'] == 'pip'


def test_gpu_workflow_does_not_regenerate_d2lsave():
    """`make test` compares d2lsave with the notebooks: a step that
    regenerated it first would hide a stale module."""
    gpu = yaml.safe_load((ROOT / '.github/workflows/gpu.yml').read_text())
    runs = [
        step.get('run', '')
        for job in gpu['jobs'].values()
        for step in job['steps']
    ]
    assert any('test' in run for run in runs)
    for run in runs:
        assert 'make d2lsave' not in run
        assert 'build_d2lsave.py' not in run or '--check' in run


def test_publish_check_refuses_the_placeholder(tmp_path):
    config = tmp_path / '_config.yml'
    shipped = yaml.safe_load((ROOT / '_config.yml').read_text())
    assert (check_publish.problem(ROOT / '_config.yml') is None) == (
        shipped['repository']['url'] != check_publish.PLACEHOLDER
    )
    for url, ok in [
        (check_publish.PLACEHOLDER, False),
        ('', False),
        ('https://gitlab.com/a/b', False),
        ('https://github.com/someone/rnn-book', True),
        ('https://github.com/someone/rnn-book.git/', True),
    ]:
        config.write_text(yaml.safe_dump({'repository': {'url': url}}))
        assert (check_publish.problem(config) is None) == ok, url
        assert check_publish.main(['--config', str(config)]) == (
            0 if ok else 1
        )


def pins(path):
    """Return {name: (version, number of hashes)} of a uv-compiled lock."""
    found, name = {}, None
    for line in path.read_text().splitlines():
        match = re.match(r'([A-Za-z0-9_.\-]+)==(\S+) \\$', line)
        if match:
            name = match.group(1).lower().replace('_', '-')
            found[name] = (match.group(2), 0)
        elif line.strip().startswith('--hash=sha256:') and name:
            found[name] = (found[name][0], found[name][1] + 1)
        elif line.strip() and not line.lstrip().startswith('#'):
            raise AssertionError(
                f'{path.name}: not a pinned, hashed line: {line!r}'
            )
    return found


def declared(*extras):
    """Return the names that pyproject.toml asks for, with these extras."""
    project = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']
    wanted = project['dependencies'] + [
        r for e in extras for r in project['optional-dependencies'][e]
    ]
    return {
        re.match(r'[A-Za-z0-9_.\-]+', r).group().lower().replace('_', '-')
        for r in wanted
    }


@pytest.mark.parametrize(
    'lock, extras, mxnet',
    [
        ('requirements.lock', ('cpu', 'notebook', 'docs', 'test'), 'mxnet'),
        (
            'requirements-gpu.lock',
            ('gpu', 'notebook', 'docs', 'test'),
            'mxnet-cu117',
        ),
        ('binder/requirements.txt', ('cpu', 'notebook'), 'mxnet'),
    ],
)
def test_locks_pin_what_pyproject_declares_with_hashes(lock, extras, mxnet):
    """A dependency added to pyproject.toml without `make lock` fails here."""
    found = pins(ROOT / lock)
    assert all(hashes for _, hashes in found.values()), lock
    missing = declared(*extras) - set(found)
    assert not missing, f'{lock} lacks {missing}: run `make lock`'
    assert found[mxnet][0] == '1.9.1'
    other = 'mxnet-cu117' if mxnet == 'mxnet' else 'mxnet'
    assert other not in found, 'one MXNet build per lock'
    numpy = tuple(int(x) for x in found['numpy'][0].split('.')[:2])
    assert numpy < (1, 24), 'MXNet 1.9.1 needs numpy<1.24'


def test_binder_installs_what_a_reader_needs():
    binder = ROOT / 'binder'
    assert (binder / 'runtime.txt').read_text().strip() == 'python-3.11'
    found = pins(binder / 'requirements.txt')
    assert {'jupyterlab', 'myst-nb', 'd2l', 'pyppmd'} <= set(found)
    assert not {'pytest', 'selenium', 'nbval', 'jupyter-book', 'ruff'} & set(
        found
    ), 'Binder does not need the test and build tools'
    post = binder / 'postBuild'
    assert post.stat().st_mode & stat.S_IXUSR
    assert 'pip install --no-deps -e .' in post.read_text()


def test_no_colab_button():
    config = yaml.safe_load((ROOT / '_config.yml').read_text())
    assert 'colab_url' not in config.get('launch_buttons', {})
    assert config['launch_buttons']['binderhub_url']


@pytest.mark.skipif(not shutil.which('make'), reason='needs make')
def test_make_lab_would_start_jupyterlab_with_the_project_kernel():
    done = subprocess.run(
        ['make', '-n', 'lab'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert 'ipykernel install --sys-prefix --name python3' in done.stdout
    assert 'jupyter-lab' in done.stdout
    assert (
        subprocess.run(
            [
                os.path.join(os.path.dirname(sys.executable), 'jupyter-lab'),
                '--version',
            ],
            capture_output=True,
        ).returncode
        == 0
    )


def test_gpu_workflow_waits_for_a_runner():
    """Without a registered GPU runner a push must not queue a job that
    never starts: pushes run it only when the repository says so."""
    gpu = yaml.safe_load((ROOT / '.github/workflows/gpu.yml').read_text())
    job = gpu['jobs']['nbval-gpu']
    assert 'vars.GPU_RUNNER' in job.get('if', '')
    assert "workflow_dispatch" in job['if']
    assert gpu.get('permissions') == {'contents': 'read'}
