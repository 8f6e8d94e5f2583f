"""ML_INFN knowledge base: load → validate → render / reproduce a catalog of YAML records."""

from __future__ import annotations

from .model import Catalog, Record
from .problems import Problem, Severity
from .validate import check, load_catalog

__all__ = ["Catalog", "Problem", "Record", "Severity", "check", "load_catalog"]
