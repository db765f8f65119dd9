from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import NodeFactory, NodeProcess, pin_all


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[NodeFactory]:
    """Make pinned nodes: ``nodes("us-dod", "prc-mnd", heartbeat_seconds=1.0)``.
    Every process is stopped at the end of the test, whatever happened."""
    made: list[NodeProcess] = []

    def make(*parties: str, start: bool = True, **config: Any) -> list[NodeProcess]:
        group = [NodeProcess(tmp_path, party, **config) for party in parties]
        made.extend(group)
        pin_all(group)
        if start:
            for node in group:
                node.start()
        return group

    yield make
    for node in made:
        node.stop()
