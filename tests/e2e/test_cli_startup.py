"""The command line starts fast (under 0.3 s): ``--version``, ``--help`` and ``status``
on a running node import neither the store nor the server nor the renderer.

Wall-clock time is measured by ``benchmarks/startup.py``, never asserted here: these tests
check what makes the start fast, the modules a command leaves unimported.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import openline
from harness import NodeFactory, free_port, run_cli
from openline.api.client import ApiError, ApiUnavailable, OfficerClient, request_target

pytestmark = pytest.mark.e2e

# What only a command that opens the store, serves, renders or charts may import.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "matplotlib",
    "httpx",
    "babel",
    "nacl",
    "openline.store",
    "openline.node.app",
    "openline.server.run",
    "openline.i18n.render",
    "openline.i18n.translations",
    "openline.core.link",
)

# Runs the real entry point in this interpreter, then reports the loaded modules on stderr.
PROBE = """
import json, sys
import openline.cli
sys.argv = ["openline", *sys.argv[1:]]
try:
    openline.cli.main()
finally:
    sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def loaded(args: list[str]) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``openline ARGS`` under :data:`PROBE`: its result and the modules it imported."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    before, _, modules = result.stderr.rpartition("\nMODULES ")
    assert modules, result.stderr
    result.stderr = before.removesuffix("\n")
    return result, set(json.loads(modules))


def heavy(modules: set[str], *allowed: str) -> list[str]:
    return sorted(
        name
        for name in modules
        for prefix in HEAVY
        if prefix not in allowed and (name == prefix or name.startswith(prefix + "."))
    )


def test_version_prints_the_installed_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"openline {openline.__version__}\n"
    assert result.stderr == ""
    # The cheap constant stays true to the installed distribution.
    assert openline.__version__ == importlib.metadata.version("openline")


def test_importing_the_cli_imports_nothing_heavy() -> None:
    code = "import json, sys, openline.cli; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    modules = set(json.loads(result.stdout))
    assert heavy(modules) == []
    assert "rich" not in modules


def test_version_and_help_import_nothing_heavy() -> None:
    version, modules = loaded(["--version"])
    assert (version.returncode, version.stdout) == (0, f"openline {openline.__version__}\n")
    assert heavy(modules) == []
    assert "rich" not in modules

    shown, modules = loaded(["--help"])
    assert shown.returncode == 0, shown.stderr
    assert "--version" in shown.stdout
    assert "status" in shown.stdout
    assert heavy(modules) == []  # typer draws the help with rich: that one is allowed


def test_status_of_a_running_node_goes_over_http_without_the_store(
    nodes: NodeFactory,
) -> None:
    us, _ = nodes("us-dod", "prc-mnd")
    result, modules = loaded(["status", str(us.dir)])
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("us-dod  key ")
    assert any("prc-mnd" in line for line in lines)
    assert "overdue acknowledgements: ours 0, theirs 0" in result.stdout
    assert heavy(modules) == []

    as_json, modules = loaded(["status", str(us.dir), "--json"])
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert (data["party"], data["running"]) == ("us-dod", True)
    assert [peer["party"] for peer in data["peers"]] == ["prc-mnd"]
    assert heavy(modules) == []
    assert "rich" not in modules


def test_status_of_a_stopped_node_loads_only_the_api(tmp_path: Path) -> None:
    """A stopped node is read through the officers' API in process: the API is built, but
    not the console, federation, senders or server, and a store at the newest schema is
    opened without loading the migrations."""
    home = tmp_path / "us-dod"
    made = run_cli("init", home, "--party", "us-dod", "--name", "U.S. DoD")
    assert made.returncode == 0, made.stderr
    result, modules = loaded(["status", str(home), "--json"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["running"] is False
    assert "openline.api.officers" in modules  # the one road: the API, in process
    loaded_but_unneeded = sorted(
        name
        for name in modules
        for prefix in (
            "alembic",
            "jinja2",
            "openline.console",
            "openline.federation",
            "openline.server.app",
            "openline.server.run",
            "uvicorn",
        )
        if name == prefix or name.startswith(prefix + ".")
    )
    assert loaded_but_unneeded == []


def test_a_refusal_over_http_keeps_its_code_and_message(nodes: NodeFactory) -> None:
    (us,) = nodes("us-dod")
    client = OfficerClient(us.url, us.token)
    with pytest.raises(ApiError) as refused:
        client.request("GET", "/api/v1/peers/nobody-here/log")
    assert refused.value.status == 404
    assert refused.value.code
    # The same refusal as httpx sees it, so the CLI's error line stays the same.
    answer = httpx.get(
        us.url + "/api/v1/peers/nobody-here/log",
        headers={"authorization": f"Bearer {us.token}"},
    )
    problem = answer.json()["error"]
    assert (refused.value.status, refused.value.code, str(refused.value)) == (
        answer.status_code,
        problem["code"],
        problem["message"],
    )
    result = run_cli("log", us.dir, "--peer", "nobody-here")
    assert result.returncode == 2
    assert result.stderr == f"openline: {problem['message']} ({problem['code']})\n"


def test_no_answer_is_api_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ApiUnavailable, match=rf"^the node at {url} did not answer: "):
        OfficerClient(url, "token", timeout=5).request("GET", "/api/v1/status")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/officers/miller/disable", None),
        ("/api/v1/officers/a b/disable", None),
        ("/api/v1/officers/Мюллер/token", None),
        ("/api/v1/officers/a#b/token", None),
        ("/api/v1/officers/a?b/token", None),
        ("/api/v1/officers/../token", None),
        ("/api/v1/notifications/%zz%41", None),
        ("/api/v1/notifications", {}),
        ("/api/v1/notifications?direction=in", {}),
        ("/api/v1/report", {"counterpart": "prc-mnd", "since": "2026-11-01T00:00:00+08:00"}),
        ('/api/v1/x/`{"<>"}`', {"q": "a b&c=é"}),
    ],
)
def test_request_targets_are_encoded_as_httpx_encodes_them(
    path: str, params: dict[str, str] | None
) -> None:
    expected = httpx.Request("GET", "http://127.0.0.1:1" + path, params=params).url.raw_path
    assert request_target("", path, params) == expected.decode("ascii")


def test_version_is_declared_once() -> None:
    """``openline.__version__`` is what ``--version`` prints; pyproject.toml must agree."""
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    assert f'version = "{openline.__version__}"\n' in pyproject.read_text("utf-8")


TEXTS = ["x", "", "~/a", "/tmp", " spaced ", "é中", "-", "--", "a\x00b", "1", "true", "a=b"]


def test_text_values_convert_as_typers_own_conversion_does() -> None:
    """``build_command`` converts ``str`` and ``Path`` values without Pydantic; every
    parameter of every command must come out exactly as typer's adapter makes it."""
    import typer._click as click
    import typer.core
    from typer._coercion import build_runtime_param as typers_own

    from openline.cli import app
    from openline.cli_support import build_command

    command = build_command(app)
    ours = getattr(typer.core, "build_runtime_param")  # noqa: B009 - not exported
    assert ours is not typers_own
    context = click.Context(command)

    def outcome(build: Any, param: Any, value: Any) -> tuple[Any, ...]:
        try:
            return ("ok", build(param.type_descriptor).coerce(value, param=param, ctx=context))
        except Exception as error:  # noqa: BLE001 - the error itself is compared
            return ("error", type(error).__name__, str(error))

    compared = 0
    pending = [command]
    while pending:
        group = pending.pop()
        pending.extend(getattr(group, "commands", {}).values())
        for param in group.params:
            many = param.multiple or param.nargs == -1
            values: list[Any] = (
                [[text, "y"] for text in TEXTS] + [("a",), [], None] if many else [*TEXTS, None]
            )
            for value in values:
                assert outcome(ours, param, value) == outcome(typers_own, param, value), (
                    group.name,
                    param.name,
                    value,
                )
                compared += 1
    assert compared > 500
