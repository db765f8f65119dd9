"""What every ``openline`` command shares: output, failures, and the way into a node.

A command reaches a node through its officers' API: over HTTP when ``openline run`` serves
the folder, or in process against the same FastAPI app when it does not. Either way the
same route, validation and application command run, so the CLI cannot drift from the API.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from openline.api.client import ApiError, ApiUnavailable, OfficerClient
from openline.node.errors import CommandError
from openline.node.home import NodeHome

if TYPE_CHECKING:
    from openline.node.app import Node

DirArg = Annotated[Path, typer.Argument(help="The node's data folder.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]


def open_node(home: NodeHome) -> Node:
    """Open the store directly. Imported late: SQLAlchemy and Alembic take most of the
    CLI's start-up time, and commands served by a running node never need them."""
    from openline.node.app import Node

    return Node(home)


out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


class UsageFailure(Exception):
    """Bad usage or bad input: one line on stderr, exit 2."""


def fail(message: str) -> NoReturn:
    raise UsageFailure(message)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


# --- talking to the node: through its API if it runs, else directly ------------------------


class NodeAccess:
    """One way in: ``api`` when the node serves this folder, ``node`` otherwise."""

    def __init__(self, home: NodeHome) -> None:
        self.home = home
        self.url = home.running_url()
        self.node: Node | None = None
        if self.url is None:
            self.node = open_node(home)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        assert self.url is not None
        client = OfficerClient(self.url, self.home.load_token())
        return self._call(client, method, path, body, None, False)

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """Call the officers' API: the running node's, or in process on the stored node."""
        token = self.home.load_token()
        if self.url is not None:
            return self._call(OfficerClient(self.url, token), method, path, body, params, raw)
        from openline.node.server import create_app

        assert self.node is not None
        # No lifespan runs: senders and the watcher stay off, as for a stopped node.
        client = OfficerClient("http://local", token, app=create_app(self.node, token))
        return self._call(client, method, path, body, params, raw)

    @staticmethod
    def _call(
        client: OfficerClient,
        method: str,
        path: str,
        body: Any,
        params: dict[str, str] | None,
        raw: bool,
    ) -> Any:
        try:
            return client.request(method, path, body, params=params, raw=raw)
        except ApiUnavailable as error:
            fail(str(error))
        except ApiError as error:
            raise CommandError(str(error), code=error.code, status=error.status) from error

    def close(self) -> None:
        if self.node is not None:
            self.node.close()


@contextmanager
def access(directory: Path) -> Iterator[NodeAccess]:
    handle = NodeAccess(NodeHome(directory))
    try:
        yield handle
    finally:
        handle.close()
