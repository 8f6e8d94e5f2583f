"""This site's own MkDocs hooks: the place for small, site-specific adjustments.

All catalog logic — records, tags and notebooks as pages, search entries, safety checks — lives in
the `kb` plugin (`catalog/site_plugin.py`, listed under `plugins:` in mkdocs.yml). A hook defined
here runs after the plugins, for example:

    def on_page_context(context, page, config, nav):
        context["announcement"] = "..."
        return context

There are none today. Keep logic out of this file: a hook cannot be tested without MkDocs, and
`mkdocs serve` does not reload it.
"""
