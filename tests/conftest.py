from __future__ import annotations

import sys
from pathlib import Path

# Let tests import their helpers (tests/e2e/harness.py) by plain module name.
sys.path.insert(0, str(Path(__file__).parent / "e2e"))
sys.path.insert(0, str(Path(__file__).parent / "node"))
sys.path.insert(0, str(Path(__file__).parent / "console"))
