"""The duty officers' web console, page by page, on two in-process nodes.

Each node's real FastAPI app is driven through Starlette's TestClient without its lifespan:
no sender loop runs, and entries travel between the nodes only when a test calls ``pump``.
The clock is the pair's FakeClock, which the console's sessions and login throttle read
too. Everything a test expects is read back from the node (its store, its folds, its
cards), never written down from what the code happens to compute.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from console_pages import (
    EVIL,
    NEW_PASSWORD,
    PASSWORD,
    PRC,
    RU,
    SQUARE,
    US,
    Console,
    entries,
    error_code,
    exchange,
    find,
    login_target,
    minute,
    notification_form,
    officer,
    one,
    request_form,
    session_cookie,
    stored,
)
from openline.core.proofs import check_proof
from openline.core.timefmt import parse_time
from openline.node import reads
from openline.node.app import Node
from openline.node.hotline import NewMessage, send_messages
from pair import FakeClock, make_node, make_pair, pump

with warnings.catch_warnings():
    # Starlette would rather have the httpx2 fork; the httpx it falls back on works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node, FakeClock]]:
    us, prc, clock = make_pair(tmp_path)
    yield us, prc, clock
    us.close()
    prc.close()


@pytest.fixture
def ru(tmp_path: Path, pair: tuple[Node, Node, FakeClock]) -> Iterator[Node]:
    """A third party, pinned by us-dod (and pinning it), for sending to several at once."""
    us, _, clock = pair
    third = make_node(tmp_path, RU, clock)
    us.peers.add(third.peers.card().to_bytes())
    third.peers.add(us.peers.card().to_bytes())
    yield third
    third.close()


# --- 1. signing in -------------------------------------------------------------------------


def test_the_right_password_opens_a_strict_http_only_session(pair: tuple[Node, Node, Any]) -> None:
    us, _, _ = pair
    us.officers.add("miller", "duty-officer", PASSWORD)
    desk = Console(us)
    assert desk.get("/console/").status_code == 303  # not signed in yet

    signed = desk.login("miller")

    assert signed.status_code == 303
    assert signed.headers["location"] == "/console/"
    cookie = session_cookie(signed)
    assert cookie is not None
    assert cookie["value"]
    assert "httponly" in cookie
    assert cookie["samesite"] == "strict"
    assert cookie["path"] == "/console"
    floor = desk.get("/console/")
    assert floor.status_code == 200
    assert "miller" in one(floor.text, "div", **{"class": "who"}).text


def test_a_wrong_password_is_refused_with_401_and_no_session(
    pair: tuple[Node, Node, Any],
) -> None:
    us, _, _ = pair
    us.officers.add("miller", "duty-officer", PASSWORD)
    desk = Console(us)

    refused = desk.login("miller", PASSWORD + "!")

    assert refused.status_code == 401
    assert error_code(refused) == "wrong-password"
    assert session_cookie(refused) is None
    assert desk.get("/console/").status_code == 303
    assert desk.login("nobody").status_code == 401  # an unknown name alike


def test_the_sixth_attempt_after_five_failures_is_throttled_even_with_the_right_password(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _, clock = pair
    us.officers.add("miller", "duty-officer", PASSWORD)
    desk = Console(us)
    for _ in range(5):
        assert desk.login("miller", "not the password at all").status_code == 401

    throttled = desk.login("miller", PASSWORD)

    assert throttled.status_code == 429
    assert error_code(throttled) == "login-throttled"
    wait = int(throttled.headers["retry-after"])
    assert wait > 0
    assert session_cookie(throttled) is None
    assert desk.get("/console/").status_code == 303
    # Throttled, not locked out: once the wait is over the right password works.
    clock.advance(seconds=wait)
    assert desk.login("miller", PASSWORD).status_code == 303
    assert desk.get("/console/").status_code == 200


def test_a_disabled_officer_cannot_sign_in_and_their_open_session_ends(
    pair: tuple[Node, Node, Any],
) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")
    assert desk.get("/console/requests").status_code == 200

    us.officers.set_disabled("miller", True)

    assert login_target(desk.get("/console/")) == "/console/"
    refused = Console(us).login("miller")
    assert refused.status_code == 401
    assert session_cookie(refused) is None
    us.officers.set_disabled("miller", False)  # re-enabling does not revive the session
    assert desk.get("/console/").status_code == 303


def test_a_changed_password_ends_open_sessions(pair: tuple[Node, Node, Any]) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")
    other = officer(us, "chen")
    assert desk.get("/console/").status_code == 200

    us.officers.set_password("miller", NEW_PASSWORD)

    assert login_target(desk.get("/console/")) == "/console/"
    assert other.get("/console/").status_code == 200  # only miller's sessions end
    assert desk.login("miller", PASSWORD).status_code == 401
    assert desk.login("miller", NEW_PASSWORD).status_code == 303
    assert desk.get("/console/").status_code == 200


def test_a_login_post_without_the_login_cookie_and_token_is_refused(
    pair: tuple[Node, Node, Any],
) -> None:
    us, _, _ = pair
    us.officers.add("miller", "duty-officer", PASSWORD)
    credentials = {"username": "miller", "password": PASSWORD, "next": "/console/"}

    # No login form was ever loaded: no cookie, and a token made up.
    stranger = Console(us)
    forged = stranger.post("/console/login", data=credentials | {"login_token": "made-up"})
    assert forged.status_code == 403
    assert session_cookie(forged) is None

    # The form was loaded (the cookie is set) but the token is left out, or is another one.
    desk = Console(us)
    token = one(desk.get("/console/login").text, "input", name="login_token").attrs["value"]
    for presented in ({}, {"login_token": token[::-1]}):
        refused = desk.post("/console/login", data=credentials | presented)
        assert refused.status_code == 403
        assert session_cookie(refused) is None
    assert desk.get("/console/").status_code == 303


@pytest.mark.parametrize(
    ("asked", "landing"),
    [
        (f"{EVIL}/", "/console/"),
        ("//evil.example/console/", "/console/"),
        ("/console/requests?counterpart=prc-mnd", "/console/requests?counterpart=prc-mnd"),
    ],
)
def test_after_login_only_a_console_path_is_followed(
    pair: tuple[Node, Node, Any], asked: str, landing: str
) -> None:
    us, _, _ = pair
    us.officers.add("miller", "duty-officer", PASSWORD)

    signed = Console(us).login("miller", next=asked)

    assert signed.status_code == 303
    assert signed.headers["location"] == landing


# --- 2. pages need a session -------------------------------------------------------------


PAGES = [
    "/console/",
    "/console/requests",
    "/console/map",
    "/console/transcript",
    f"/console/peers/{PRC}",
    f"/console/transcript?peer={PRC}",
    "/console/compose/message",
]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_a_session_redirects_to_the_login_form_and_back(
    pair: tuple[Node, Node, Any], path: str
) -> None:
    us, _, _ = pair
    us.officers.add("miller", "duty-officer", PASSWORD)
    desk = Console(us)

    target = login_target(desk.get(path))

    assert target == path
    form = desk.get("/console/login", params={"next": target})
    assert one(form.text, "input", name="next").attrs["value"] == path
    signed = desk.login("miller", next=target)
    assert signed.headers["location"] == path
    assert desk.get(path).status_code == 200


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/console/map.json", "application/geo+json, application/json"),  # as map.js asks
        ("/console/events", "text/event-stream"),  # as the browser's EventSource asks
    ],
)
def test_data_without_a_session_is_401_json(
    pair: tuple[Node, Node, Any], path: str, accept: str
) -> None:
    us, _, _ = pair

    refused = Console(us).get(path, headers={"Accept": accept})

    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not-signed-in"


# --- 3. CSRF -------------------------------------------------------------------------------


@pytest.mark.parametrize("page_script", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("how", "code"),
    [("missing", "csrf-missing"), ("wrong", "csrf-invalid"), ("cross-site", "cross-site")],
)
def test_a_post_without_the_sessions_csrf_token_stores_nothing(
    pair: tuple[Node, Node, Any], how: str, code: str, page_script: bool
) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")
    token = desk.csrf()
    message = {"to": PRC, "text": "Test", "precedence": "routine", "lang": "en"}
    form = {
        "missing": message,
        "wrong": message | {"csrf": "x" * len(token)},
        "cross-site": message | {"csrf": token},
    }[how]
    headers = {"Origin": EVIL} if how == "cross-site" else {}
    if page_script:
        headers["HX-Request"] = "true"
    before = stored(us)

    refused = desk.post("/console/compose/message", data=form, headers=headers)

    assert refused.status_code == 403, refused.text
    assert error_code(refused) == code
    assert stored(us) == before
    # The same form with the token, from the console's own origin, is sent.
    sent = desk.post(
        "/console/compose/message",
        data=message | {"csrf": token},
        headers={"Origin": "http://testserver"},
    )
    assert sent.status_code == 201, sent.text
    assert stored(us) == before + 1


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/console/verify", {}),
        ("/console/language", {"lang": "zh"}),
        ("/console/logout", {}),
    ],
)
def test_other_posts_need_the_csrf_token_too(
    pair: tuple[Node, Node, Any], path: str, form: dict[str, str]
) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")

    refused = desk.post(path, data=form)

    assert refused.status_code == 403, refused.text
    assert error_code(refused) == "csrf-missing"
    assert us.officers.show("miller")["lang"] != "zh"
    assert desk.get("/console/").status_code == 200  # still signed in


# --- 4. roles ------------------------------------------------------------------------------


def test_an_auditor_reads_and_exports_but_cannot_send(pair: tuple[Node, Node, Any]) -> None:
    us, prc, _ = pair
    (delivered,) = send_messages(us, [PRC], [NewMessage("Delivered earlier", "routine")])
    pump(us, prc)
    desk = officer(us, "audit", "auditor")

    compose = desk.get("/console/compose/message")
    submit = one(compose.text, "button", type="submit", **{"class": "primary"})
    assert "disabled" in submit.attrs
    before = stored(us)
    refused = desk.post(
        "/console/compose/message",
        data={"csrf": desk.csrf(), "to": PRC, "text": "Not mine to send", "lang": "en"},
    )
    assert refused.status_code == 403, refused.text
    assert error_code(refused) == "forbidden"
    assert stored(us) == before

    exported = desk.get(f"/console/proofs/delivery/{delivered.id}")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-disposition"].startswith("attachment")
    verdict = check_proof(exported.content, list(us.peers.all_cards().values()))
    assert (verdict.claim, verdict.entry_id) == ("delivery", delivered.id)


def test_a_minister_level_request_needs_an_approver(pair: tuple[Node, Node, FakeClock]) -> None:
    us, _, clock = pair
    duty = officer(us, "miller")
    before = stored(us)

    refused = duty.post(
        "/console/compose/request", data=request_form(duty.csrf(), clock(), level="minister")
    )

    assert refused.status_code == 403, refused.text
    assert error_code(refused) == "forbidden"
    assert stored(us) == before
    approver = officer(us, "chief", "approver")
    sent = approver.post(
        "/console/compose/request", data=request_form(approver.csrf(), clock(), level="minister")
    )
    assert sent.status_code == 201, sent.text
    (request,) = entries(us, US, PRC)
    assert (request.kind, request.body["level"]) == ("contact.request", "minister")
    assert request.body["officer"] == "chief"


def test_only_an_approver_is_told_they_may_answer_at_minister_level(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    asking = officer(us, "chief", "approver")
    sent = asking.post(
        "/console/compose/request", data=request_form(asking.csrf(), clock(), level="minister")
    )
    assert sent.status_code == 201, sent.text
    (request,) = entries(us, US, PRC)
    pump(us, prc)
    warning = "Only an approver may answer a minister-level request."

    duty = officer(prc, "zhang", "duty-officer").get(f"/console/requests/{request.id}")
    approver = officer(prc, "liu", "approver").get(f"/console/requests/{request.id}")

    assert duty.status_code == approver.status_code == 200
    assert warning in duty.text
    assert warning not in approver.text


# --- 5. sending records the officer; FLASH and its acknowledgement -----------------------


def test_a_message_sent_at_the_console_names_its_officer_and_is_acknowledged_there(
    pair: tuple[Node, Node, FakeClock], ru: Node
) -> None:
    us, prc, _ = pair
    miller = officer(us, "miller")
    text = "Unplanned launch detected near the border; please confirm"

    sent = miller.post(
        "/console/compose/message",
        data={
            "csrf": miller.csrf(),
            "to": [PRC, RU],
            "text": text,
            "precedence": "flash",
            "lang": "en",
        },
    )

    assert sent.status_code == 201, sent.text
    copies = {party: entries(us, US, party) for party in (PRC, RU)}
    assert [len(copies[PRC]), len(copies[RU])] == [1, 1]
    for (entry,) in copies.values():
        assert entry.kind == "hotline.message"
        assert dict(entry.body) == {
            "text": text,
            "precedence": "flash",
            "lang": "en",
            "officer": "miller",
        }
        assert entry.id[:12] in one(sent.text, id="sent").text
    (message,) = copies[PRC]

    pump(us, prc)
    zhang = officer(prc, "zhang.wei")
    floor = zhang.get("/console/")
    flash = one(floor.text, "section", id="flash")
    assert message.id in flash.attrs["data-flash-ids"].split()
    assert one(floor.text, "article", id=f"flash-{message.id}").within(flash)
    assert text in flash.text

    acked = zhang.post(
        f"/console/ack/{message.id}", data={"csrf": zhang.csrf(), "next": "/console/"}
    )

    assert acked.status_code == 303, acked.text
    assert acked.headers["location"] == "/console/"
    (ack,) = entries(prc, PRC, US)
    assert (ack.kind, ack.refs) == ("hotline.ack", (message.id,))
    assert ack.body["officer"] == "zhang.wei"
    after = zhang.get("/console/")
    assert one(after.text, "section", id="flash").attrs["data-flash-ids"] == ""
    assert find(after.text, id=f"flash-{message.id}") == []


def test_an_acknowledgement_from_the_page_script_returns_the_new_floor(
    pair: tuple[Node, Node, Any],
) -> None:
    us, prc, _ = pair
    (message,) = send_messages(us, [PRC], [NewMessage("Flash from the CLI", "flash")])
    pump(us, prc)
    zhang = officer(prc, "zhang.wei")

    fragment = zhang.post(
        f"/console/ack/{message.id}",
        data={"csrf": zhang.csrf()},
        headers={"HX-Request": "true"},
    )

    assert fragment.status_code == 200, fragment.text
    assert one(fragment.text, "section", id="flash").attrs["data-flash-ids"] == ""
    (ack,) = entries(prc, PRC, US)
    assert ack.body["officer"] == "zhang.wei"


# --- 6. form errors beside their fields ----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"subject": ""}, "err-subject"),
        ({"respond_by": "2026-13-45T99:99"}, "err-respond_by"),
    ],
)
def test_a_bad_contact_request_is_shown_again_with_the_error_beside_its_field(
    pair: tuple[Node, Node, FakeClock], changes: dict[str, str], where: str
) -> None:
    us, _, clock = pair
    desk = officer(us, "miller")
    before = stored(us)

    refused = desk.post(
        "/console/compose/request", data=request_form(desk.csrf(), clock(), **changes)
    )

    assert refused.status_code == 422, refused.text
    error = one(refused.text, id=where)
    assert error.attrs["class"] == "field-error"
    assert error.text
    assert stored(us) == before
    # What the officer typed is kept for them to correct.
    kept = one(refused.text, "input", name="from_official.name")
    assert kept.attrs["value"] == "Gen. Dan Caine"


def test_an_area_that_is_not_json_is_an_error_on_the_area_field(
    pair: tuple[Node, Node, Any],
) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")
    before = stored(us)

    refused = desk.post(
        "/console/compose/notification",
        data=notification_form(desk.csrf(), [PRC], area="not json"),
    )

    assert refused.status_code == 422, refused.text
    assert one(refused.text, id="err-area").attrs["class"] == "field-error"
    assert one(refused.text, "textarea", name="area").text == "not json"
    assert stored(us) == before


def test_a_polygon_that_is_not_closed_is_refused_as_invalid_geojson(
    pair: tuple[Node, Node, Any],
) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")
    open_ring = [[*SQUARE[0][:-1], [125.5, 30.5]]]
    before = stored(us)

    refused = desk.post(
        "/console/compose/notification",
        data=notification_form(
            desk.csrf(),
            [PRC],
            area=json.dumps({"type": "Polygon", "coordinates": open_ring}),
        ),
    )

    assert refused.status_code == 422, refused.text
    on_the_field = find(refused.text, id="err-area")
    assert on_the_field or error_code(refused) == "invalid-geojson"
    told = on_the_field[0] if on_the_field else one(refused.text, id="form-error")
    assert "not closed" in told.text
    assert stored(us) == before


def test_a_valid_notification_is_one_entry_per_recipient(
    pair: tuple[Node, Node, FakeClock], ru: Node
) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")
    before = stored(us)

    sent = desk.post(
        "/console/compose/notification", data=notification_form(desk.csrf(), [PRC, RU])
    )

    assert sent.status_code == 201, sent.text
    assert stored(us) == before + 2
    notices = [entry for party in (PRC, RU) for entry in entries(us, US, party)]
    assert [entry.recipient for entry in notices] == [PRC, RU]
    assert len({entry.body["notice"] for entry in notices}) == 1  # one notification
    for entry in notices:
        assert entry.kind == "notify.activity"
        assert entry.body["title"] == "Live-fire exercise"
        assert parse_time(entry.body["start"]) == datetime(2026, 12, 20, 8, 0, tzinfo=UTC)
        assert entry.body["officer"] == "miller"
        assert entry.id[:12] in one(sent.text, id="sent").text


# --- 7. language ---------------------------------------------------------------------------


def test_the_chosen_language_is_kept_for_the_officer(pair: tuple[Node, Node, Any]) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")
    assert one(desk.get("/console/").text, "html").attrs["lang"] == "en"

    chosen = desk.post(
        "/console/language",
        data={"csrf": desk.csrf(), "lang": "zh", "next": "/console/requests"},
    )

    assert chosen.status_code == 303, chosen.text
    assert chosen.headers["location"] == "/console/requests"
    row = us.store.officer("miller")
    assert row is not None
    assert row.lang == "zh"
    assert one(desk.get("/console/requests").text, "html").attrs["lang"] == "zh"
    again = Console(us)
    assert again.login("miller").status_code == 303
    assert one(again.get("/console/").text, "html").attrs["lang"] == "zh"

    refused = desk.post("/console/language", data={"csrf": desk.csrf(), "lang": "fr"})
    assert refused.status_code == 422, refused.text
    assert error_code(refused) == "unsupported-language"
    row = us.store.officer("miller")
    assert row is not None
    assert row.lang == "zh"


# --- 8. the requests board and proofs ----------------------------------------------------


def column_of(page: str, request_id: str) -> str:
    card = one(page, "article", id=f"request-{request_id}")
    (column,) = [parent for parent in card.parents if "data-column" in parent.attrs]
    return column.attrs["data-column"]


def test_an_unanswered_request_is_on_the_board_with_a_proof_that_checks(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    exchange(us, prc)  # timed checkpoints of both logs from before the request
    clock.advance(seconds=5)
    desk = officer(us, "miller")
    respond_by = clock() + timedelta(minutes=10)
    sent = desk.post(
        "/console/compose/request",
        data=request_form(desk.csrf(), clock(), respond_by=minute(respond_by)),
    )
    assert sent.status_code == 201, sent.text
    (request,) = entries(us, US, PRC)
    exchange(us, prc)
    board = desk.get("/console/requests")
    assert column_of(board.text, request.id) == "awaiting"
    assert find(board.text, "a", data_proof="unanswered") == []

    clock.advance(minutes=11)  # the deadline passes unanswered
    exchange(us, prc)  # prc-mnd's checkpoint is now timed after the deadline

    board = desk.get("/console/requests")
    assert board.status_code == 200
    assert column_of(board.text, request.id) == "unanswered"
    card = one(board.text, "article", id=f"request-{request.id}")
    link = one(board.text, "a", data_proof="unanswered")
    assert link.within(card)
    assert link.attrs["href"] == f"/console/proofs/unanswered/{request.id}"
    assert link.text.startswith("Export proof:")
    proof = desk.get(link.attrs["href"])
    assert proof.status_code == 200, proof.text
    assert proof.headers["content-disposition"].startswith("attachment")
    verdict = check_proof(proof.content, list(us.peers.all_cards().values()))
    assert (verdict.claim, verdict.entry_id) == ("unanswered", request.id)

    kept = desk.get("/console/requests", params={"counterpart": PRC, "format": "phone-call"})
    assert column_of(kept.text, request.id) == "unanswered"
    for hiding in ({"format": "meeting"}, {"direction": "in"}, {"level": "minister"}):
        hidden = desk.get("/console/requests", params=hiding)
        assert hidden.status_code == 200
        assert find(hidden.text, id=f"request-{request.id}") == []


# --- 9. the map ----------------------------------------------------------------------------


def test_the_map_data_is_the_notified_area_in_degrees(pair: tuple[Node, Node, Any]) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")
    sent = desk.post("/console/compose/notification", data=notification_form(desk.csrf(), [PRC]))
    assert sent.status_code == 201, sent.text
    (notice,) = entries(us, US, PRC)

    shown = desk.get("/console/map.json")

    assert shown.status_code == 200
    assert shown.headers["content-type"].startswith("application/geo+json")
    data = shown.json()
    assert data["type"] == "FeatureCollection"
    (feature,) = data["features"]
    assert feature["properties"]["kind"] == "activity"
    assert feature["properties"]["title"] == notice.body["title"]
    assert feature["properties"]["id"] == notice.id
    assert feature["properties"]["recipients"] == [PRC]
    assert feature["geometry"] == {"type": "Polygon", "coordinates": SQUARE}
    listed = desk.get("/console/map")
    assert one(listed.text, "tr", id=f"feature-{notice.id}")


# --- 10. transcript and verify -------------------------------------------------------------


def test_the_transcript_lists_every_entry_and_verify_streams_its_progress(
    pair: tuple[Node, Node, Any],
) -> None:
    us, prc, _ = pair
    send_messages(us, [PRC], [NewMessage("One", "routine"), NewMessage("Two", "priority")])
    send_messages(prc, [US], [NewMessage("Three", "routine")])
    exchange(us, prc)
    desk = officer(us, "miller")

    page = desk.get("/console/transcript", params={"peer": PRC})

    assert page.status_code == 200
    ids = {row["id"] for row in reads.log_page(us, PRC).items}
    assert len(ids) == 3
    shown = {e.attrs["id"].removeprefix("entry-") for e in find(page.text, "li")}
    assert ids <= shown

    verified = desk.post("/console/verify", headers={"X-CSRF-Token": desk.csrf()})

    assert verified.status_code == 200, verified.text
    assert verified.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in verified.text.splitlines()]
    first, *logs, last = lines
    assert set(first) == {"total"}
    assert logs
    assert all(set(line) == {"log"} for line in logs)
    assert first["total"] == len(logs)
    assert set(last) == {"done"}
    assert last["done"]["ok"] is True
    assert last["done"]["logs"] == len(logs)
    assert last["done"]["entries"] == stored(us)


def test_verify_counts_a_log_that_has_only_checkpoints(pair: tuple[Node, Node, Any]) -> None:
    """A link where only one side has written: the other side's log is empty but
    checkpointed (heartbeats), and verify checks it; the total announced first must count
    it, or the progress bar runs past its end."""
    us, prc, _ = pair
    send_messages(us, [PRC], [NewMessage("One", "routine")])
    exchange(us, prc)
    desk = officer(us, "miller")

    verified = desk.post("/console/verify", headers={"X-CSRF-Token": desk.csrf()})

    first, *logs, last = [json.loads(line) for line in verified.text.splitlines()]
    assert last["done"]["ok"] is True
    assert first["total"] == len(logs) == last["done"]["logs"]


# --- 11. headers, and no CDN-loading docs ------------------------------------------------


@pytest.mark.parametrize("path", ["/console/login", "/console/", "/console/map.json"])
def test_console_responses_carry_the_security_headers(
    pair: tuple[Node, Node, Any], path: str
) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")

    response = desk.get(path)

    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in [part.strip() for part in policy.split(";")]
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_cdn_loading_docs_are_off_and_the_schema_is_served(
    pair: tuple[Node, Node, Any],
) -> None:
    us, _, _ = pair
    desk = Console(us)

    assert desk.get("/docs").status_code == 404
    assert desk.get("/redoc").status_code == 404
    schema = desk.get("/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == f"openline node {us.party}"
    assert not any(path.startswith("/console") for path in schema.json()["paths"])


# --- errors on console pages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/console/compose/telegram", 404, "unknown-form"),
        ("/console/transcript?peer=nobody", 404, "unknown-peer"),
        ("/console/peers/nobody", 404, "unknown-peer"),
    ],
)
def test_a_refused_page_is_an_error_page_naming_the_code(
    pair: tuple[Node, Node, Any], path: str, status: int, code: str
) -> None:
    us, _, _ = pair
    desk = officer(us, "miller")

    refused = desk.get(path)

    assert refused.status_code == status, refused.text
    assert error_code(refused) == code
    assert one(refused.text, "body").attrs["data-csrf"]  # still the officer's frame


def test_an_item_page_shows_the_whole_text_and_an_unknown_one_is_404(
    pair: tuple[Node, Node, Any],
) -> None:
    us, prc, _ = pair
    text = "A long line. " * 20
    (sent,) = send_messages(us, [PRC], [NewMessage(text, "routine")])
    exchange(us, prc)
    desk = officer(us, "miller")

    page = desk.get(f"/console/items/{sent.id}")

    assert page.status_code == 200
    assert one(page.text, "dd", **{"class": "free"}).text.strip() == text.strip()
    assert one(page.text, "a", data_proof="delivery").attrs["href"].endswith(sent.id)
    missing = desk.get(f"/console/items/{'0' * 64}")
    assert missing.status_code == 404
    assert "unknown-entry" in missing.text or "no entry" in missing.text


def test_a_peers_reordering_and_control_characters_are_shown_not_obeyed(
    pair: tuple[Node, Node, Any],
) -> None:
    us, prc, _ = pair
    # Control characters never get this far (the core refuses them in every text field);
    # the bidirectional ones are valid text, and must not reorder what an officer reads.
    hostile = "test\u202eevil\u2066 end"
    (sent,) = send_messages(us, [PRC], [NewMessage(hostile, "flash")])
    exchange(us, prc)
    desk = officer(prc, "zhang")

    for path in ("/console/", f"/console/items/{sent.id}", f"/console/transcript?peer={US}"):
        page = desk.get(path)
        assert page.status_code == 200, path
        assert "\u202e" not in page.text, path
        assert "\u2066" not in page.text, path
        assert "test[U+202E]evil[U+2066] end" in page.text, path
    floor = desk.get("/console/")
    isolated = [
        element
        for element in find(floor.text, "bdi", dir="auto")
        if "test[U+202E]evil" in element.text
    ]
    assert isolated  # in an element of its own direction, not the page's
