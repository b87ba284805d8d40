"""No launch (Binder) buttons while `repository.url` is the placeholder.

_config.yml ships the placeholder https://github.com/example/rnn-lm-book
until the book is published from a real repository (tools/check_publish.py
refuses to publish before that). A Binder button built from the placeholder
leads nowhere, so this extension drops the launch buttons from the theme's
options while the URL is the placeholder; with a real URL they appear.
"""

PLACEHOLDER_PART = '/example/'


def drop_placeholder_buttons(app, config):
    options = dict(config.html_theme_options or {})
    if PLACEHOLDER_PART in str(options.get('repository_url', '')):
        options.pop('launch_buttons', None)
        for key in (
            'use_repository_button',
            'use_issues_button',
            'use_edit_page_button',
            'use_source_button',
        ):
            options[key] = False
        config.html_theme_options = options


def setup(app):
    app.connect('config-inited', drop_placeholder_buttons, priority=900)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
