"""Drop repeated <script> entries from every page.

On this stack the inline scripts of sphinx-thebe (which Jupyter Book 1.x
always loads) and sphinx-togglebutton are registered twice, once with
filename None and once with '', so Sphinx keeps both; browsers then report
"Identifier 'THEBE_JS_URL' has already been declared" on every page.
tests/test_website.py fails on such console errors.
"""


def dedupe(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get('script_files') or []:
        attributes = getattr(script, 'attributes', {})
        key = (
            getattr(script, 'filename', script) or '',
            tuple(sorted((k, str(v)) for k, v in attributes.items())),
        )
        if key not in seen:
            seen.add(key)
            kept.append(script)
    if 'script_files' in context:
        context['script_files'] = kept


def setup(app):
    app.connect('html-page-context', dedupe, priority=900)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
