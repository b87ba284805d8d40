"""Refuse to publish the book while `repository.url` is not a real repository.

The launch buttons (Binder) and the links to the source are made from
`repository.url` in _config.yml. The repository ships a placeholder there;
this check fails, naming the setting, until it is set. The Pages workflow and
`make publish-check` run it before building; `make book` does not.

    python tools/check_publish.py [--config _config.yml]
"""

import argparse
import re
import sys
from pathlib import Path

import yaml

PLACEHOLDER = 'https://github.com/example/rnn-lm-book'
# Binder builds GitHub repositories: https://github.com/OWNER/REPO
GITHUB_URL = re.compile(r'https://github\.com/[\w.-]+/[\w.-]+')


def problem(config_path):
    """Return what is wrong with repository.url in the config, or None."""
    config = yaml.safe_load(Path(config_path).read_text()) or {}
    url = str((config.get('repository') or {}).get('url') or '').strip()
    url = url.rstrip('/')
    if url.endswith('.git'):
        url = url[: -len('.git')]
    if not url:
        return 'it is not set'
    if url == PLACEHOLDER or '/example/' in url:
        return f'it is still the placeholder {url}'
    if not GITHUB_URL.fullmatch(url):
        return (
            f'{url} is not a GitHub repository URL of the form '
            'https://github.com/OWNER/REPO (Binder needs one)'
        )
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config',
        help='the Jupyter Book config',
        default=Path(__file__).resolve().parent.parent / '_config.yml',
    )
    args = parser.parse_args(argv)
    why = problem(args.config)
    if why:
        print(
            f'check_publish: refusing to publish: repository.url in '
            f'{args.config}: {why}.\nSet repository.url (and '
            'repository.branch) in _config.yml to the GitHub repository '
            'that holds this book, e.g. https://github.com/OWNER/REPO, '
            'and commit it.',
            file=sys.stderr,
        )
        return 1
    print('check_publish: repository.url is set; ready to publish')
    return 0


if __name__ == '__main__':
    sys.exit(main())
