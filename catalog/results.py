"""What the site needs to know about a notebook's last run (the store itself is in reproduce/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NotebookStatus:
    """Latest verdict of one notebook, and whether its content changed since (stale)."""

    verdict: str  # passed | failed | error | timeout | skipped | never-run
    stale: bool = False
    started: str = ""
    duration_s: float | None = None
    hardware: str = ""
    reason: str = ""
    failing_cell: int | None = None
    report: str = ""  # the failure report: cell, exception or diff, metrics
    metrics: tuple[dict[str, Any], ...] = ()  # declared metrics: expected vs measured in that run
    unproven: bool = False  # passed, but compared nothing (no checked output, no metric)
    order: dict[str, Any] | None = None  # the run's place in its use case's order (results schema: order)

    @property
    def label(self) -> str:
        if self.verdict == "never-run":
            return "not run yet"
        verdict = "ran, nothing checked" if self.unproven and self.verdict == "passed" else self.verdict
        return f"{verdict} (stale)" if self.stale else verdict

    @property
    def facet(self) -> str:
        """The value of the reproducibility facet."""
        if self.stale:
            return "stale"
        return "unchecked" if self.unproven and self.verdict == "passed" else self.verdict


NEVER_RUN = NotebookStatus("never-run")
StatusMap = dict[tuple[str, str], NotebookStatus]
