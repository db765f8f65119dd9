"""``openline officer …`` on a real data folder, stopped and running: passwords come from
standard input only, every mistake exits 2 with one line, and an officer's API token works
over real HTTP within the role's limits."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from harness import OPENLINE, NodeFactory, NodeProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


def officer(
    node: NodeProcess, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``openline officer COMMAND DIR ARGS…`` with ``stdin`` piped in."""
    command, *rest = args
    return subprocess.run(
        [*OPENLINE, "officer", command, str(node.dir), *rest],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def listed(node: NodeProcess) -> list[dict[str, object]]:
    result = officer(node, "list", "--json")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout)["officers"])


def assert_refused(result: subprocess.CompletedProcess[str], reason: str) -> None:
    shown = f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode == 2, shown
    assert result.stderr.startswith("openline: "), shown
    assert len(result.stderr.splitlines()) == 1, shown
    assert "Traceback" not in result.stderr, shown
    assert reason in result.stderr, shown


def test_officers_are_managed_from_the_cli_with_passwords_on_stdin(
    nodes: NodeFactory, tmp_path: Path
) -> None:
    (us,) = nodes("us-dod", start=False)
    added = officer(us, "add", "miller", "--role", "approver", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "miller (approver), enabled" in added.stdout
    assert PASSWORD not in added.stdout
    assert [row["username"] for row in listed(us)] == ["miller"]

    assert_refused(officer(us, "add", "miller", "--role", "auditor", stdin=PASSWORD), "exists")
    assert_refused(officer(us, "add", "li", "--role", "root", stdin=PASSWORD), "invalid-role")
    assert_refused(officer(us, "add", "li", "--role", "auditor", stdin="short\n"), "weak")
    assert_refused(officer(us, "add", "li", "--role", "auditor"), "no password")
    assert_refused(officer(us, "passwd", "nobody", stdin=PASSWORD), "unknown-officer")
    argv = officer(us, "add", "li", "--role", "auditor", "--password", PASSWORD)
    assert argv.returncode == 2  # there is no such option: never a password in argv
    assert [row["username"] for row in listed(us)] == ["miller"]

    changed = officer(us, "passwd", "miller", stdin="another long passphrase\n")
    assert changed.returncode == 0, changed.stderr
    disabled = officer(us, "disable", "miller")
    assert "disabled" in disabled.stdout
    assert listed(us)[0]["disabled"] is True
    assert_refused(officer(us, "token", "miller"), "officer-disabled")
    officer(us, "enable", "miller")
    assert listed(us)[0]["disabled"] is False


def test_an_officer_token_works_over_http_within_its_role(nodes: NodeFactory) -> None:
    us, _ = nodes("us-dod", "prc-mnd")
    for name, role in (("wang", "auditor"), ("chen", "duty-officer")):
        result = officer(us, "add", name, "--role", role, stdin=PASSWORD + "\n")
        assert result.returncode == 0, result.stderr
    tokens = {}
    for name in ("wang", "chen"):
        issued = officer(us, "token", name)
        assert issued.returncode == 0, issued.stderr
        tokens[name] = issued.stdout.strip()
    assert listed(us)[0]["has_token"] is True

    def post(token: str) -> httpx.Response:
        return httpx.post(
            us.url + "/api/v1/messages",
            json={"to": ["prc-mnd"], "text": "Radio check", "precedence": "routine"},
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        )

    refused = post(tokens["wang"])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert post(tokens["chen"]).status_code == 201
    status = httpx.get(
        us.url + "/api/v1/status",
        headers={"authorization": f"Bearer {tokens['wang']}"},
        timeout=30,
    )
    assert status.status_code == 200
    assert status.json()["peers"][0]["sent"] == 1
