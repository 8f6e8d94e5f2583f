"""`python -m catalog ...`: the same as the `catalog` command (batch engines call it this way)."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
