"""Re-export: the one implementation is `mlinfn_data.download` (packages/mlinfn-data), the data
helper that notebooks install on their own. This name is that very module (patching it patches
the helper)."""

from __future__ import annotations

import importlib
import sys

from mlinfn_data.download import *  # noqa: F403  (for type checkers and readers)

sys.modules[__name__] = importlib.import_module("mlinfn_data.download")
