"""The top of a notebook's page: where it belongs, how to run it, whether it reproduces.

A breadcrumb back to its use case (and the use-case listing), the notebook's reproducibility
badge and its launch and download buttons, the same as on the use case's page. Kept apart from
the notebook rendering (render/notebooks.py): the converted notebook is cached, the header is not,
since verdicts and launch settings change without the notebook changing.
"""

from __future__ import annotations

from ..model import Catalog, Record
from ..records import NotebookEntry, UseCase
from ..results import NEVER_RUN, StatusMap
from ..urls import listing_uri, notebook_uri, page_uri
from .document import Document
from .launch import SiteSettings
from .markup import a, plain
from .pages import badge, launch_buttons
from .verdicts import order_note


def notebook_header(
    usecase: Record[UseCase], notebook: NotebookEntry, settings: SiteSettings, statuses: StatusMap
) -> str:
    """HTML for the top of the page of `notebook` (an entry of the use case's `notebooks`)."""
    path = notebook.path
    uri = notebook_uri(usecase.id, path)
    status = statuses.get((usecase.id, path), NEVER_RUN)
    crumbs = (
        f"<li>{a(uri, listing_uri('usecase'), 'Use cases')}</li>"
        f"<li>{a(uri, page_uri(usecase), plain(usecase.title))}</li>"
        f'<li aria-current="page">{plain(notebook.title)}</li>'
    )
    return (
        '<div class="kb-notebook-header" data-search-exclude>\n'
        f'<nav class="kb-breadcrumb" aria-label="Breadcrumb"><ol>{crumbs}</ol></nav>\n'
        f"<p>Reproducibility: {badge(status)}</p>\n"
        f"{order_note(status)}"
        f"{launch_buttons(uri, usecase, notebook, settings)}"
        "</div>\n"
    )


def add_notebook_headers(
    documents: dict[str, Document], catalog: Catalog, settings: SiteSettings, statuses: StatusMap
) -> None:
    """Put the header at the top of every notebook page in `documents` (by source URI); it is not
    searchable: the use case's own page holds the same words. A page without sections hides the
    empty table-of-contents column, so the code has the page's width."""
    for usecase in catalog.usecases.values():
        for notebook in usecase.value.notebooks:
            doc = documents.get(notebook_uri(usecase.id, notebook.path))
            if doc is not None:
                doc.parts.insert(0, notebook_header(usecase, notebook, settings, statuses))
                if not any(h.children for h in doc.headings):  # nothing for a table of contents:
                    doc.meta.setdefault("hide", ["toc"])  # the code gets the sidebar's width too
