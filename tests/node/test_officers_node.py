"""Officer accounts and the roles' gates on the officers' API (design note 22).

In process: a real store, argon2id hashes, the real FastAPI app through httpx's ASGI
transport (no lifespan, so no sender runs), and a pair of nodes from ``pair``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from openline.api.client import ApiError, OfficerClient
from openline.core.timefmt import format_time
from openline.node import reads
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.server.app import create_app
from openline.store import schema
from pair import make_pair

PASSWORD = "correct horse battery staple"


@pytest.fixture
def node(tmp_path: Path) -> Node:
    us, _, _ = make_pair(tmp_path)
    return us


def client(node: Node, token: str) -> OfficerClient:
    admin = node.home.load_token()
    return OfficerClient("http://local", token, app=create_app(node, admin))


def officer_token(node: Node, username: str, role: str) -> str:
    node.officers.add(username, role, PASSWORD)
    return node.officers.issue_token(username)


def test_an_officer_is_added_with_a_hashed_password_and_listed(node: Node) -> None:
    added = node.officers.add("zhang.wei", "duty-officer", PASSWORD)
    assert added | {"created_at": "", "changed_at": ""} == {
        "username": "zhang.wei",
        "role": "duty-officer",
        "disabled": False,
        "has_token": False,
        "created_at": "",
        "changed_at": "",
        "lang": None,  # the console language, until the officer chooses one
    }
    with node.store.read() as connection:
        (stored,) = connection.execute(schema.officers.select()).all()
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert [row["username"] for row in node.officers.list()] == ["zhang.wei"]


@pytest.mark.parametrize(
    ("username", "role", "password", "code"),
    [
        ("Zhang Wei", "duty-officer", PASSWORD, "invalid-username"),
        ("zhang", "root", PASSWORD, "invalid-role"),
        ("zhang", "auditor", "short", "weak-password"),
    ],
)
def test_bad_accounts_are_refused_and_store_nothing(
    node: Node, username: str, role: str, password: str, code: str
) -> None:
    with pytest.raises(CommandError) as refused:
        node.officers.add(username, role, password)
    assert refused.value.code == code
    assert node.officers.list() == []


def test_a_user_name_is_taken_once(node: Node) -> None:
    node.officers.add("miller", "approver", PASSWORD)
    with pytest.raises(CommandError) as again:
        node.officers.add("miller", "auditor", PASSWORD + "!")
    assert again.value.code == "officer-exists"
    assert node.officers.show("miller")["role"] == "approver"


def test_logging_in_needs_the_right_password_and_an_enabled_account(node: Node) -> None:
    node.officers.add("miller", "approver", PASSWORD)
    officer = node.officers.authenticate("miller", PASSWORD)
    assert officer is not None
    assert officer.to_json() == {"username": "miller", "role": "approver"}
    assert node.officers.authenticate("miller", PASSWORD + "x") is None
    assert node.officers.authenticate("nobody", PASSWORD) is None
    node.officers.set_disabled("miller", True)
    assert node.officers.authenticate("miller", PASSWORD) is None
    node.officers.set_disabled("miller", False)
    node.officers.set_password("miller", "a new and longer passphrase")
    assert node.officers.authenticate("miller", PASSWORD) is None
    assert node.officers.authenticate("miller", "a new and longer passphrase") is not None


def test_an_api_token_is_kept_as_a_digest_and_dies_with_the_account(node: Node) -> None:
    token = officer_token(node, "miller", "duty-officer")
    with node.store.read() as connection:
        (stored,) = connection.execute(schema.officers.select()).all()
    assert token not in str(tuple(stored))
    officer = node.officers.by_token(token)
    assert officer is not None
    assert officer.username == "miller"
    assert node.officers.by_token(token + "x") is None
    assert node.officers.by_token(node.home.load_token()) is None
    newer = node.officers.issue_token("miller")
    assert node.officers.by_token(token) is None  # replaced
    node.officers.set_disabled("miller", True)
    assert node.officers.by_token(newer) is None
    with pytest.raises(CommandError) as refused:
        node.officers.issue_token("miller")
    assert refused.value.code == "officer-disabled"


# --- the gates on the officers' API ------------------------------------------------------


def request_body(node: Node, level: str) -> dict[str, Any]:
    now = node.clock()
    return {
        "to": "prc-mnd",
        "format": "phone-call",
        "level": level,
        "subject": "Call",
        "from_official": {"name": "A", "title": "B"},
        "to_official": {"name": "C", "title": "D"},
        "slots": [
            {
                "start": format_time(now + timedelta(days=1)),
                "end": format_time(now + timedelta(days=1, hours=1)),
            }
        ],
        "respond_by": format_time(now + timedelta(hours=6)),
    }


def call(api: OfficerClient, method: str, path: str, body: Any = None) -> int | str:
    """201/200 as an int, or the refusal's code."""
    try:
        api.request(method, path, body)
    except ApiError as error:
        return error.code
    return 0


MESSAGE = {"to": ["prc-mnd"], "text": "Test", "precedence": "routine"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("duty-officer", {"read": 0, "send": 0, "minister": "forbidden", "manage": "forbidden"}),
        ("approver", {"read": 0, "send": 0, "minister": 0, "manage": "forbidden"}),
        (
            "auditor",
            {"read": 0, "send": "forbidden", "minister": "forbidden", "manage": "forbidden"},
        ),
        ("admin", {"read": 0, "send": "forbidden", "minister": "forbidden", "manage": 0}),
    ],
)
def test_each_role_may_do_what_its_row_says(
    node: Node, role: str, expected: dict[str, int | str]
) -> None:
    api = client(node, officer_token(node, "officer", role))
    outcomes = {
        "read": call(api, "GET", "/api/v1/status"),
        "send": call(api, "POST", "/api/v1/messages", MESSAGE),
        "minister": call(api, "POST", "/api/v1/requests", request_body(node, "minister")),
        "manage": call(
            api,
            "POST",
            "/api/v1/officers",
            {"username": "another", "role": "auditor", "password": PASSWORD},
        ),
    }
    assert outcomes == expected


def test_a_forbidden_act_stores_nothing(node: Node) -> None:
    api = client(node, officer_token(node, "auditor", "auditor"))
    with pytest.raises(ApiError) as refused:
        api.request("POST", "/api/v1/messages", MESSAGE)
    assert refused.value.status == 403
    assert "auditor" in str(refused.value)
    assert reads.status(node)["peers"][0]["sent"] == 0


def test_only_an_approver_answers_at_minister_level(tmp_path: Path) -> None:
    from pair import pump

    us, prc, _ = make_pair(tmp_path)
    asked = client(us, us.home.load_token()).request(
        "POST", "/api/v1/requests", request_body(us, "minister")
    )
    pump(us, prc)
    answer = {"answer": "decline", "reason": "Not now"}
    path = f"/api/v1/requests/{asked['id']}/respond"
    duty = client(prc, officer_token(prc, "duty", "duty-officer"))
    assert call(duty, "POST", path, answer) == "forbidden"
    approver = client(prc, officer_token(prc, "chief", "approver"))
    assert call(approver, "POST", path, answer) == 0


def test_no_token_or_a_wrong_one_is_unauthorized(node: Node) -> None:
    for token in ("", "olo_not-a-token", "something"):
        assert call(client(node, token), "GET", "/api/v1/status") == "unauthorized"


def test_only_an_admin_lists_the_accounts(node: Node) -> None:
    duty = client(node, officer_token(node, "duty", "duty-officer"))
    assert call(duty, "GET", "/api/v1/officers") == "forbidden"
    admin = client(node, officer_token(node, "root.admin", "admin"))
    assert call(admin, "GET", "/api/v1/officers") == 0
