"""What the site needs to know about a notebook's last run (the store itself is in reproduce/)."""

from __future__ import annotations

from dataclasses import dataclass


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

    @property
    def label(self) -> str:
        if self.verdict == "never-run":
            return "not run yet"
        return f"{self.verdict} (stale)" if self.stale else self.verdict

    @property
    def facet(self) -> str:
        """The value of the reproducibility facet."""
        return "stale" if self.stale else self.verdict


NEVER_RUN = NotebookStatus("never-run")
StatusMap = dict[tuple[str, str], NotebookStatus]
