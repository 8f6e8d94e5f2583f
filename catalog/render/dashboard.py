"""The reproducibility dashboard: every use case's notebooks with their latest verdict and history."""

from __future__ import annotations

from ..model import Catalog
from ..reproduce.metrics import declared_metrics
from ..results import NEVER_RUN, StatusMap
from ..urls import REPRODUCIBILITY, page_uri
from .document import Document
from .markup import a, attr, plain, table
from .pages import badge
from .verdicts import failure_details, history_svg, metric_rows

History = dict[tuple[str, str], list[dict[str, object]]]


def dashboard_page(catalog: Catalog, statuses: StatusMap, history: History) -> Document:
    uri = REPRODUCIBILITY
    doc = Document("Reproducibility", {"kb_kind": "dashboard"})
    doc.heading(1, "Reproducibility")
    doc.add(
        "<p>Every notebook is executed by CI with nbval. A notebook that needs a GPU is <em>skipped</em> on "
        "machines without one, never counted as passed; a notebook whose code or environment changed since "
        "its last run is <em>stale</em> until it runs again.</p>\n"
    )
    totals: dict[str, int] = {}
    rows = []
    metric_table: list[list[str]] = []
    for usecase in sorted(catalog.usecases.values(), key=lambda r: r.id):
        for nb, raw in zip(usecase.value.notebooks, usecase.data["notebooks"], strict=True):
            key = (usecase.id, nb.path)
            status = statuses.get(key, NEVER_RUN)
            totals[status.facet] = totals.get(status.facet, 0) + 1
            past = history.get(key, [])[-10:]
            trail = "".join(_mark(h) for h in past) or "—"
            rows.append(
                [
                    a(uri, page_uri(usecase), plain(usecase.title)),
                    f"<code>{plain(nb.path)}</code>",
                    plain(nb.gpu),
                    badge(status) + failure_details(status),
                    trail,
                ]
            )
            # metric specs stay the dicts reproduce/metrics.py compares measured values with
            specs = {m["name"]: m for m in declared_metrics(usecase.data, raw)}
            for metric, row in zip(status.metrics, metric_rows(status.metrics), strict=True):
                plot = history_svg(metric["name"], history.get(key, []), specs.get(metric["name"]))
                metric_table.append([a(uri, page_uri(usecase), plain(usecase.title)), *row, plot or "—"])
    doc.add(
        "<p>" + " · ".join(f"<strong>{n}</strong> {plain(v)}" for v, n in sorted(totals.items())) + "</p>\n",
        table(["Use case", "Notebook", "GPU", "Latest verdict", "History (oldest → newest)"], rows),
    )
    if metric_table:
        doc.heading(2, "Metrics")
        doc.add(
            "<p>Declared metrics of each notebook's current content: the expected value and tolerance from its "
            "record, the value measured by the run the verdict comes from, and every stored run (the shaded band "
            "is the accepted range).</p>\n",
            table(["Use case", "Metric", "Expected", "Measured", "Result", "History"], metric_table),
        )
    return doc


def _mark(run: dict[str, object]) -> str:
    """One past run as a small coloured badge; the date and verdict show on hover."""
    verdict = str(run.get("verdict", ""))
    symbol = {"passed": "✓", "failed": "✗", "error": "!", "timeout": "T", "skipped": "–"}.get(verdict, "?")
    return (
        f'<span class="kb-badge kb-{attr(verdict)}" title="{attr(verdict)} '
        f'{attr(str(run.get("started", ""))[:10])}">{symbol}</span>'
    )
