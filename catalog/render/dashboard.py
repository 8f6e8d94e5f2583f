"""The reproducibility dashboard: every use case's notebooks with their latest verdict and history."""

from __future__ import annotations

from ..model import Catalog
from ..results import NEVER_RUN, StatusMap
from .markup import attr, front_matter, plain, table
from .pages import badge, page_uri

History = dict[tuple[str, str], list[dict[str, object]]]


def dashboard_page(catalog: Catalog, statuses: StatusMap, history: History) -> str:
    out = [front_matter("Reproducibility", kb_kind="dashboard"), "# Reproducibility\n\n",
           "Every notebook is executed by CI with nbval. A notebook that needs a GPU is *skipped* on machines "
           "without one, never counted as passed; a notebook whose code or environment changed since its last "
           "run is *stale* until it runs again.\n\n"]
    totals: dict[str, int] = {}
    rows = []
    for usecase in sorted(catalog.usecases.values(), key=lambda r: r.id):
        for nb in usecase.data["notebooks"]:
            key = (usecase.id, nb["path"])
            status = statuses.get(key, NEVER_RUN)
            totals[status.facet] = totals.get(status.facet, 0) + 1
            past = history.get(key, [])[-10:]
            trail = "".join(_mark(h) for h in past) or "—"
            rows.append([f"[{plain(usecase.title)}]({page_uri(usecase)})", f"`{nb['path']}`",
                         plain(nb.get("gpu", "none")), badge(status), trail])
    out.append(" · ".join(f"**{n}** {plain(v)}" for v, n in sorted(totals.items())) + "\n\n")
    out.append(table(["Use case", "Notebook", "GPU", "Latest verdict", "History (oldest → newest)"], rows))
    return "".join(out)


def _mark(run: dict[str, object]) -> str:
    """One past run as a small coloured badge; the date and verdict show on hover."""
    verdict = str(run.get("verdict", ""))
    symbol = {"passed": "✓", "failed": "✗", "error": "!", "timeout": "T", "skipped": "–"}.get(verdict, "?")
    return (f'<span class="kb-badge kb-{attr(verdict)}" title="{attr(verdict)} '
            f'{attr(str(run.get("started", ""))[:10])}">{symbol}</span>')
