"""mlinfn-data: verified dataset files for ML_INFN catalog notebooks, wherever they run.

    from mlinfn_data import fetch
    path = fetch("uci-optical-recognition-handwritten-digits", "optdigits.tra")
    report_metric("accuracy", 0.93)  # compared by `catalog reproduce` with the record's tolerance

Names are loaded on first use, so that `mlinfn_data.public_host` stays free of HTTP libraries.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["FetchError", "FileSpec", "fetch", "file_spec", "report_metric", "verify"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(".download", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
