"""Tests for openline.core.roles: who may do what, and what an account may look like."""

from __future__ import annotations

import pytest

from openline.core.roles import (
    ALLOWED,
    ROLES,
    AccountError,
    Action,
    action_for_level,
    check_password,
    check_role,
    check_username,
    may,
    require,
)


def test_every_role_has_a_row_and_every_row_is_a_role() -> None:
    assert set(ALLOWED) == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_and_exports(role: str) -> None:
    assert may(role, Action.READ)
    assert may(role, Action.EXPORT)


def test_only_approvers_speak_at_minister_level() -> None:
    assert [role for role in ROLES if may(role, Action.SEND_MINISTER)] == ["approver"]


def test_auditors_and_admins_never_send() -> None:
    senders = [role for role in ROLES if may(role, Action.SEND)]
    assert senders == ["duty-officer", "approver"]


def test_only_admins_manage_accounts_and_peers() -> None:
    assert [role for role in ROLES if may(role, Action.MANAGE)] == ["admin"]


def test_an_unknown_role_may_do_nothing() -> None:
    assert not any(may("superuser", action) for action in Action)


def test_a_forbidden_act_names_the_role_and_the_act() -> None:
    with pytest.raises(AccountError) as refused:
        require("auditor", Action.SEND)
    assert refused.value.code == "forbidden"
    assert "auditor" in str(refused.value)
    assert "send" in str(refused.value)
    require("approver", Action.SEND_MINISTER)  # allowed: no error


@pytest.mark.parametrize(
    ("level", "action"),
    [("minister", Action.SEND_MINISTER), ("working", Action.SEND), (None, Action.SEND)],
)
def test_a_minister_level_act_needs_more(level: str | None, action: Action) -> None:
    assert action_for_level(level) is action


@pytest.mark.parametrize("name", ["zhang.wei", "jmiller", "duty-1", "a_b"])
def test_good_user_names(name: str) -> None:
    assert check_username(name) == name


@pytest.mark.parametrize("name", ["", "a", "Zhang", "1abc", "a b", "x" * 33, "ivan@mod", "张伟"])
def test_bad_user_names(name: str) -> None:
    with pytest.raises(AccountError) as refused:
        check_username(name)
    assert refused.value.code == "invalid-username"


def test_roles_are_checked() -> None:
    assert check_role("auditor") == "auditor"
    with pytest.raises(AccountError) as refused:
        check_role("root")
    assert refused.value.code == "invalid-role"


@pytest.mark.parametrize(
    ("password", "code"),
    [("short", "weak-password"), (" " * 20, "weak-password"), ("x" * 1025, "invalid-password")],
)
def test_bad_passwords(password: str, code: str) -> None:
    with pytest.raises(AccountError) as refused:
        check_password(password)
    assert refused.value.code == code


def test_a_passphrase_in_any_script_is_a_password() -> None:
    assert check_password("值班员的口令要足够长才安全") == "值班员的口令要足够长才安全"
    assert check_password("correct horse battery staple") == "correct horse battery staple"
    assert check_password("дежурный офицер на посту") == "дежурный офицер на посту"
