"""How a verdict explains itself on the site: the failure report (collapsed), each declared
metric expected vs measured, and a small history plot per metric (inline SVG, no script)."""

from __future__ import annotations

import html
import math
from typing import Any

from ..reproduce.metrics import expectation
from ..results import NotebookStatus
from .markup import attr, plain, table

PLOT_W, PLOT_H, PAD = 160, 36, 3


def failure_details(status: NotebookStatus) -> str:
    """The stored failure report behind a `<details>` (collapsed), or nothing when it passed."""
    if not status.report or status.verdict in ("passed", "skipped", "never-run"):
        return ""
    summary = "Why it " + ("failed" if status.verdict == "failed" else f"stopped ({status.verdict})")
    return (
        f'<details class="kb-failure"><summary>{plain(summary)}</summary>'
        f"<pre><code>{html.escape(status.report)}</code></pre></details>\n"
    )


def order_note(status: NotebookStatus) -> str:
    """Where the verdict's run stood in its use case's declared order, and what ran before it in
    the same working folder; nothing for a use case with one notebook."""
    order = status.order or {}
    if int(order.get("of", 1)) < 2:
        return ""
    text = f"Ran as notebook {order['position']} of {order['of']} of this use case, in one working folder they share"
    before = order.get("before") or []
    if before:
        text += ", after " + ", ".join(f"{b['notebook']} ({b['verdict']})" for b in before)
    if order.get("prerequisite"):
        text += "; run again because a later notebook needed it"
    return f'<p class="kb-order">{plain(text + ".")}</p>\n'


def metric_rows(metrics: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for m in metrics:
        expected = expectation(m) if m.get("declared", True) else "not declared"
        measured = "not reported" if m.get("measured") is None else f"{m['measured']:.6g}"
        verdict = "passed" if m["passed"] else "failed"
        mark = f'<span class="kb-badge kb-{verdict}">{verdict}</span>'
        rows.append([f"<code>{plain(m['name'])}</code>", plain(expected), plain(measured), mark])
    return rows


def metrics_table(status: NotebookStatus) -> str:
    """Expected vs measured for each metric of the run the verdict comes from."""
    if not status.metrics:
        return ""
    return table(["Metric", "Expected", "Measured", "Result"], metric_rows(status.metrics))


def history_points(name: str, runs: list[dict[str, Any]]) -> list[tuple[str, float, bool]]:
    """(start, measured, passed) of every run that measured metric `name`, oldest first."""
    points = []
    for run in runs:
        for m in run.get("metrics", []):
            if m["name"] == name and isinstance(m.get("measured"), (int, float)) and math.isfinite(m["measured"]):
                points.append((str(run["started"]), float(m["measured"]), bool(m["passed"])))
    return points


def history_svg(name: str, runs: list[dict[str, Any]], spec: dict[str, Any] | None = None) -> str:
    """A sparkline of a metric over the stored runs, with the accepted band shaded."""
    points = history_points(name, runs)
    if not points:
        return ""
    values = [v for _, v, _ in points]
    band: tuple[float, float] | None = None
    if spec and "expected" in spec:
        width = max(float(spec.get("abs_tol", 0)), float(spec.get("rel_tol", 0)) * abs(spec["expected"]))
        band = (spec["expected"] - width, spec["expected"] + width)
    elif spec and ("min" in spec or "max" in spec):
        band = (spec.get("min", min(values)), spec.get("max", max(values)))
    low = min(values + ([band[0]] if band else []))
    high = max(values + ([band[1]] if band else []))
    span = (high - low) or abs(high) or 1.0
    low, high = low - span * 0.1, high + span * 0.1

    def y(value: float) -> float:
        return round(PAD + (PLOT_H - 2 * PAD) * (high - value) / (high - low), 1)

    def x(index: int) -> float:
        return round(PAD + (PLOT_W - 2 * PAD) * (index / (len(points) - 1) if len(points) > 1 else 0.5), 1)

    parts = [
        f'<svg class="kb-metric-plot" width="{PLOT_W}" height="{PLOT_H}" viewBox="0 0 {PLOT_W} {PLOT_H}" '
        f'role="img" aria-label="{attr(f"{name}: {len(points)} run(s), latest {values[-1]:.6g}")}">'
    ]
    if band:
        top, height = y(band[1]), round(y(band[0]) - y(band[1]), 1)
        parts.append(f'<rect x="0" y="{top}" width="{PLOT_W}" height="{height}" fill="#2e7d32" fill-opacity="0.15"/>')
    if len(points) > 1:
        line = " ".join(f"{x(i)},{y(v)}" for i, (_, v, _) in enumerate(points))
        parts.append(f'<polyline points="{line}" fill="none" stroke="#555" stroke-width="1"/>')
    for i, (started, value, passed) in enumerate(points):
        colour = "#2e7d32" if passed else "#c62828"
        parts.append(
            f'<circle cx="{x(i)}" cy="{y(value)}" r="2.5" fill="{colour}">'
            f"<title>{html.escape(f'{started[:16]} {value:.6g}')}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
