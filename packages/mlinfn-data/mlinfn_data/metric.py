"""The output type of a reported metric, in a module of its own: `catalog`'s site build reads it
(verdict fingerprints) without importing the HTTP stack that `download` needs."""

from __future__ import annotations

METRIC_MIME = "application/vnd.mlinfn.metric+json"
