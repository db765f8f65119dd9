"""Keyset paging of the transcript, requests and notifications (design note 24): pages neither
overlap nor skip while entries are appended between them, a cursor of another list or a
made-up one is refused with 400 ``invalid-cursor``, and the API gives ``next`` links."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from openline.api.client import ApiError, OfficerClient
from openline.core.paging import encode_cursor
from openline.node import reads
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.hotline import NewMessage, send_messages
from openline.node.request_commands import NewRequest, Official, Slot
from openline.server.app import create_app
from pair import FakeClock, make_pair, pump


def api(node: Node) -> OfficerClient:
    token = node.home.load_token()
    return OfficerClient("http://local", token, app=create_app(node, token))


def walk(node: Node, peer: str, limit: int) -> list[str]:
    """Every entry id of the link, newest page first, following ``before`` cursors."""
    seen: list[str] = []
    page = reads.log_page(node, peer, limit)
    while True:
        seen = [row["id"] for row in page.items] + seen
        if page.before is None:
            return seen
        page = reads.log_page(node, peer, limit, before=page.before)


def test_transcript_pages_cover_both_logs_once_in_time_order(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    for n in range(7):
        send_messages(us, ["prc-mnd"], [NewMessage(f"us {n}")])
        clock.advance(seconds=1)
        send_messages(prc, ["us-dod"], [NewMessage(f"prc {n}"), NewMessage(f"prc {n}b")])
        clock.advance(seconds=1)
    pump(us, prc)
    pump(prc, us)
    everything = list(reads.log_page(us, "prc-mnd", 1000).items)
    assert len(everything) == 21
    times = [(row["time"], row["direction"], row["seq"]) for row in everything]
    assert times == sorted(times)
    for limit in (1, 2, 5, 20, 21, 50):
        assert walk(us, "prc-mnd", limit) == [row["id"] for row in everything]


def test_transcript_cursors_hold_while_entries_are_appended(tmp_path: Path) -> None:
    us, _prc, clock = make_pair(tmp_path)
    send_messages(us, ["prc-mnd"], [NewMessage(f"old {n}") for n in range(10)])
    newest = reads.log_page(us, "prc-mnd", 4)
    older = newest.before
    assert older is not None
    clock.advance(seconds=5)
    send_messages(us, ["prc-mnd"], [NewMessage(f"new {n}") for n in range(5)])
    # The place "before the page read first" still means what it meant.
    page = reads.log_page(us, "prc-mnd", 4, before=older)
    assert [row["body"]["text"] for row in page.items] == [f"old {n}" for n in range(2, 6)]
    # And what came since is exactly what lies after the first page's high end.
    assert newest.after is not None
    since = reads.log_page(us, "prc-mnd", 100, after=newest.after)
    assert [row["body"]["text"] for row in since.items] == [f"new {n}" for n in range(5)]
    assert reads.log_page(us, "prc-mnd", 100, after=since.after).items == []


def test_a_clock_that_steps_back_does_not_make_a_page_skip(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    send_messages(us, ["prc-mnd"], [NewMessage("a")])
    clock.advance(seconds=-60)  # seq 1 is signed earlier than seq 0
    send_messages(us, ["prc-mnd"], [NewMessage("b")])
    send_messages(prc, ["us-dod"], [NewMessage("c")])
    clock.advance(seconds=-60)
    send_messages(prc, ["us-dod"], [NewMessage("d")])
    pump(us, prc)
    pump(prc, us)
    ids = [row["id"] for row in reads.log_page(us, "prc-mnd", 100).items]
    assert len(ids) == 4
    assert walk(us, "prc-mnd", 1) == ids


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "x" * 600,
        encode_cursor("log:ru-mod", (1, 1)),  # another link's
        encode_cursor("desk-checks", ("2026-01-01T00:00:00.000Z", "ab")),  # another list
        encode_cursor("log:prc-mnd", (1,)),  # wrong shape
        encode_cursor("log:prc-mnd", (-1, 0)),  # no such place
        encode_cursor("log:prc-mnd", ("1", 0)),
    ],
)
def test_a_bad_cursor_is_refused_with_invalid_cursor(tmp_path: Path, cursor: str) -> None:
    us, _prc, _clock = make_pair(tmp_path)
    send_messages(us, ["prc-mnd"], [NewMessage("one")])
    client = api(us)
    for path in ("/api/v1/peers/prc-mnd/log", "/api/v1/requests", "/api/v1/notifications"):
        for name in ("cursor", "after"):
            if not cursor:
                continue  # an empty parameter is no cursor at all
            with pytest.raises(ApiError) as refused:
                client.request("GET", path, params={name: cursor})
            assert (refused.value.status, refused.value.code) == (400, "invalid-cursor")
    with pytest.raises(CommandError) as direct:
        reads.log_page(us, "prc-mnd", before=cursor or "-")
    assert direct.value.code == "invalid-cursor"


@pytest.mark.parametrize("limit", ["0", "1001", "-5"])
def test_a_limit_out_of_range_is_refused(tmp_path: Path, limit: str) -> None:
    us, _prc, _clock = make_pair(tmp_path)
    with pytest.raises(ApiError) as refused:
        api(us).request("GET", "/api/v1/requests", params={"limit": limit})
    assert (refused.value.status, refused.value.code) == (422, "invalid-limit")


def ask(node: Node, clock: FakeClock, subject: str) -> str:
    now = clock()
    request = NewRequest(
        to="prc-mnd",
        format="phone-call",
        level="working",
        subject=subject,
        from_official=Official(name="A", title="Officer"),
        to_official=Official(name="B", title="Officer"),
        slots=[Slot(start=now + timedelta(days=1), end=now + timedelta(days=1, hours=1))],
        respond_by=now + timedelta(hours=1),
    )
    return node.contacts.request(request).id


def follow(client: OfficerClient, path: str, key: str) -> list[dict[str, Any]]:
    """Every item of a list route, following its ``next`` links."""
    items: list[dict[str, Any]] = []
    answer = client.request("GET", path)
    while True:
        items.extend(answer[key])
        if answer["next"] is None:
            return items
        answer = client.request("GET", answer["next"])


def test_requests_page_newest_first_with_next_links_under_appends(tmp_path: Path) -> None:
    us, _prc, clock = make_pair(tmp_path)
    made = []
    for n in range(9):
        made.append(ask(us, clock, f"r{n}"))
        clock.advance(seconds=1)
    client = api(us)
    first = client.request("GET", "/api/v1/requests", params={"limit": "4"})
    assert [r["id"] for r in first["requests"]] == made[::-1][:4]
    late = ask(us, clock, "late")  # appended between two pages
    rest = follow(client, first["next"], "requests")
    assert [r["id"] for r in first["requests"] + rest] == made[::-1]
    newer = client.request("GET", first["newer"])
    assert [r["id"] for r in newer["requests"]] == [late]
    filtered = client.request(
        "GET", "/api/v1/requests", params={"state": "proposed", "direction": "out", "limit": "2"}
    )
    assert len(filtered["requests"]) == 2
    assert filtered["next"] is not None


def test_notifications_page_by_broadcast(tmp_path: Path) -> None:
    from openline.node.notices import NewActivity

    us, _prc, clock = make_pair(tmp_path)
    sent = []
    for n in range(5):
        sent.append(
            us.notices.send(
                ["prc-mnd"],
                NewActivity(
                    activity="patrol",
                    title=f"patrol {n}",
                    participants=["us-dod"],
                    area={"type": "Point", "coordinates": [120.0, 20.0], "radius_nm": 5},
                    start=clock() + timedelta(days=2),
                    end=clock() + timedelta(days=3),
                    contact_channel="VHF 16",
                ),
            )["notice"]
        )
        clock.advance(seconds=1)
    shown = follow(api(us), "/api/v1/notifications?limit=2", "notifications")
    assert [group["notice"] for group in shown] == sent[::-1]


def test_desk_check_pages_merge_both_directions_newest_first(tmp_path: Path) -> None:
    """A link's page reads each direction's index range and merges them: following the
    cursors gives every check of both sides once, newest first, while checks are added."""
    us, prc, clock = make_pair(tmp_path)
    for _n in range(5):
        us.notices.desk_check(["prc-mnd"])
        clock.advance(seconds=1)
        prc.notices.desk_check(["us-dod"])
        prc.notices.desk_check(["us-dod"])
        clock.advance(seconds=1)
    pump(prc, us)
    everything = list(us.notices.desk_checks_page("prc-mnd", limit=100).items)
    assert len(everything) == 15
    order = [(row["time"], row["id"]) for row in everything]
    assert order == sorted(order, reverse=True)
    assert {row["direction"] for row in everything} == {"in", "out"}
    every_link = list(us.notices.desk_checks_page(None, limit=100).items)
    assert [row["id"] for row in every_link] == [row["id"] for row in everything]
    for limit in (1, 2, 4, 15):
        expected = [row["id"] for row in us.notices.desk_checks_page("prc-mnd", limit=100).items]
        page = us.notices.desk_checks_page("prc-mnd", limit=limit)
        walked = list(page.items)
        clock.advance(seconds=1)
        us.notices.desk_check(["prc-mnd"])  # a newer check does not shift the older pages
        while page.before is not None:
            page = us.notices.desk_checks_page("prc-mnd", limit=limit, before=page.before)
            walked.extend(page.items)
        assert [row["id"] for row in walked] == expected
