"""The live floor costs one reading per change, however many tabs show it (design note 24)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console_pages import PASSWORD, Console, exchange
from openline.node.app import Node
from openline.node.hotline import NewMessage, send_messages
from openline.store import projection
from pair import FakeClock, make_pair


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node, FakeClock]]:
    us, prc, clock = make_pair(tmp_path)
    yield us, prc, clock
    us.close()
    prc.close()


def tab(node: Node, username: str, app: Any = None) -> Console:
    console = Console(node, app)
    assert console.login(username).status_code == 303
    return console


def test_twenty_tabs_read_the_floor_once_per_change(
    pair: tuple[Node, Node, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    us, prc, _ = pair
    send_messages(prc, ["us-dod"], [NewMessage(f"m{n}", "flash") for n in range(3)])
    exchange(prc, us)
    for name in ("watch1", "watch2"):
        us.officers.add(name, "duty-officer", PASSWORD)
    first = tab(us, "watch1")
    tabs = [first] + [tab(us, "watch2", first.app) for _ in range(19)]
    readings = []
    original = projection.most_urgent

    def counted(*args: Any, **kwargs: Any) -> Any:
        readings.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(projection, "most_urgent", counted)
    pages = [console.get("/console/fragments/floor") for console in tabs]
    assert all(page.status_code == 200 for page in pages)
    assert len(readings) == 1
    # Each tab still shows the three FLASH messages.
    for page in pages:
        assert all(f"m{n}" in page.text for n in range(3))
    # A change is read once more, and every tab sees it.
    send_messages(prc, ["us-dod"], [NewMessage("after the change", "routine")])
    exchange(prc, us)
    pages = [console.get("/console/fragments/floor") for console in tabs]
    assert len(readings) == 2
    assert all("after the change" in page.text for page in pages)
