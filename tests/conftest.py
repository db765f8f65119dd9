from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# Let tests import their helpers (tests/e2e/harness.py) by plain module name.
sys.path.insert(0, str(Path(__file__).parent / "e2e"))
sys.path.insert(0, str(Path(__file__).parent / "node"))
sys.path.insert(0, str(Path(__file__).parent / "console"))


# Wall-clock limits are not assertions we make (tests never assert times): on a loaded
# two-core CI machine running the suite on both cores, Hypothesis's per-example deadline
# and its "generation is slow" check fail tests that are correct.
settings.register_profile("openline", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("openline")
