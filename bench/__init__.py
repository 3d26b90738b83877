"""cadre-lsp benchmarks: `python -m bench [--quick | --full] [--only ...]` (see bench/README.md).

Every figure is a ratio or a percentile measured side by side in the same run, repeated, median taken:
the machines this runs on are small and shared, so absolute seconds mean little, ratios a lot.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / "server"

try:
    import cadre_lsp  # noqa: F401
except ImportError:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(SERVER))
