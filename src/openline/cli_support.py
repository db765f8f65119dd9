"""What every ``openline`` command shares: output, failures, and the way into a node.

A command reaches a node through its officers' API: over HTTP when ``openline run`` serves
the folder, or in process against the same FastAPI app when it does not. Either way the
same route, validation and application command run, so the CLI cannot drift from the API.

Start-up time matters (``openline status`` is run by hand and by scripts): this module and
the command modules import only typer, the API client and the data folder's ``NodeHome`` at
start. The store, the node, the renderer and rich come in with the command that needs them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from openline.api.client import ApiError, ApiUnavailable, OfficerClient
from openline.node.home import NodeHome

if TYPE_CHECKING:
    from rich.console import Console

    from openline.node.app import Node

DirArg = Annotated[Path, typer.Argument(help="The node's data folder.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", help="Items per page (default 200, at most 1000).")
]
BeforeOpt = Annotated[
    str | None, typer.Option("--before", help="The page before this cursor (older items).")
]
AfterOpt = Annotated[
    str | None, typer.Option("--after", help="The page after this cursor (newer items).")
]
PRECEDENCE_HELP = "flash, immediate, priority, routine."
PrecedenceOpt = Annotated[str, typer.Option(help=PRECEDENCE_HELP)]
"""--precedence, with the command's default."""
GivenPrecedenceOpt = Annotated[str | None, typer.Option(help=PRECEDENCE_HELP)]
"""--precedence where a file may give it instead (None: not on the command line)."""


def page_params(limit: int | None, before: str | None, after: str | None) -> dict[str, str]:
    """The API's paging parameters for the CLI's paging flags."""
    if before is not None and after is not None:
        fail("give --before or --after, not both")
    params: dict[str, str] = {}
    if limit is not None:
        params["limit"] = str(limit)
    if before is not None:
        params["cursor"] = before
    if after is not None:
        params["after"] = after
    return params


def more_hint(answer: dict[str, Any]) -> None:
    """Say on stderr how to read on, when a page is not the whole list (stdout stays the
    page itself, for scripts)."""
    before = answer.get("cursors", {}).get("before")
    if answer.get("next") is not None and before:
        sys.stderr.write(f"more: --before {before}\n")


def open_node(home: NodeHome) -> Node:
    """Open the store directly. Imported late: SQLAlchemy and Alembic take most of the
    CLI's start-up time, and commands served by a running node never need them."""
    from openline.node.app import Node

    return Node.open(home)


def build_command(app: typer.Typer) -> Any:
    """The click command of ``app``, as ``app(...)`` builds and runs it, but converting
    text and path values without Pydantic.

    typer turns each argument and option value into its annotated type with a Pydantic
    ``TypeAdapter``, built when the parameter is first processed, even for a flag left
    unset, and importing Pydantic to make ``DIR`` a ``Path`` would cost ``openline status``
    more than its call to the node. Here a value of a ``str``, ``Path``, ``list[str]`` or
    ``list[Path]`` parameter with no custom parser that arrives as text is converted as
    typer's adapter converts it (a path still goes through typer's own checks); any other
    value goes to typer's adapter, built only then. With other typer internals than these,
    typer's conversion stays as it is.
    """
    _convert_text_without_pydantic()
    return typer.main.get_command(app)


def _convert_text_without_pydantic() -> None:
    try:
        import typer.core as typer_core
        from typer._coercion import RuntimeParam, TypeDescriptor
        from typer._param_types import coerce_cli_path
    except ImportError:  # pragma: no cover - another typer: its own conversion, slower
        return
    found = getattr(typer_core, "build_runtime_param", None)
    if found is None or getattr(found, "text_without_pydantic", False):
        return
    typer_build: Callable[[TypeDescriptor], RuntimeParam] = found
    kinds: dict[Any, tuple[type[Path] | None, bool]] = {
        str: (None, False),
        Path: (Path, False),
        list[str]: (None, True),
        list[Path]: (Path, True),
    }

    @dataclass(frozen=True)
    class TextValues(RuntimeParam):
        """Text kept as ``str`` or made a ``path_type`` (``many``: a list of them), as
        typer's adapters do; anything else through typer's own conversion."""

        descriptor: TypeDescriptor | None = None
        text: bool = False
        path_type: type[Path] | None = None
        many: bool = False

        def _one(self, value: str, param: Any, ctx: Any) -> Any:
            if self.path_type is None:
                return value
            return coerce_cli_path(
                self.path_type(value),
                self.parameter_info,
                path_type=self.path_type,
                param=param,
                ctx=ctx,
            )

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                if self.text and not self.many and isinstance(value, str):
                    return self._one(value, param, ctx)
                if (
                    self.text
                    and self.many
                    and isinstance(value, list | tuple)
                    and all(isinstance(item, str) for item in value)
                ):
                    return [self._one(item, param, ctx) for item in value]
            except ValueError:  # a path os.stat refuses: typer's adapter words the error
                pass
            assert self.descriptor is not None
            typer_own = typer_build(self.descriptor)
            param._runtime_param = typer_own  # from now on, typer's alone
            return typer_own._coerce_value(value, param=param, ctx=ctx)

    def build(descriptor: TypeDescriptor) -> RuntimeParam:
        info = descriptor.parameter_info
        if descriptor.file_annotation is not None:
            return typer_build(descriptor)
        kind = kinds.get(descriptor.annotation)
        text = kind is not None and info.parser is None and info.path_type is None
        path_type, many = kind if kind is not None else (None, False)
        return TextValues(info, descriptor.annotation, descriptor, text, path_type, many)

    build.text_without_pydantic = True  # type: ignore[attr-defined]
    setattr(typer_core, "build_runtime_param", build)  # noqa: B010 - not exported by typer


class Output:
    """The commands' console: rich's ``Console``, made on first use (rich is slow to import,
    and ``--version`` or a command's ``--json`` never need it)."""

    def __init__(self) -> None:
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        self.console.print(*objects, **options)


out = Output()


def is_party_id(value: str) -> bool:
    from openline.core.schema import is_party_id as party_id

    return party_id(value)


def is_entry_id(value: str) -> bool:
    """64 hex digits, as ``send`` and ``log`` print."""
    from openline.core.schema import ENTRY_ID

    return ENTRY_ID.match(value) is not None


def escape(text: str) -> str:
    """Text shown as itself, never read as rich markup (``rich.markup.escape``)."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)


class UsageFailure(Exception):
    """Bad usage or bad input: one line on stderr, exit 2."""


# Pauses before each new try while a running node does not answer: about 12 s in all,
# time for a supervised node to restart after a crash.
RETRY_PAUSES = (0.25, 0.5, 1.0, 2.0, 4.0, 4.0)


def warn(message: str) -> None:
    """A note on stderr that does not end the command."""
    sys.stderr.write(f"openline: {message}\n")
    sys.stderr.flush()


def fail(message: str) -> NoReturn:
    raise UsageFailure(message)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


# --- talking to the node: through its API, running or in process --------------------------


class NodeAccess:
    """One road in: the officers' API, of the running node when it serves this folder,
    else the same API in process over the stored node (``httpx.ASGITransport``)."""

    def __init__(self, home: NodeHome) -> None:
        self.home = home
        self.url = home.running_url()
        self.node: Node | None = None
        if self.url is None:
            self.node = open_node(home)

    def _client(self, url: str) -> OfficerClient:
        """The running node's API, tried again while it does not answer (a restart)."""
        return OfficerClient(url, self.home.load_token(), retries=RETRY_PAUSES, on_retry=warn)

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """Call the officers' API: the running node's, or in process on the stored node."""
        if self.url is not None:
            return self._call(self._client(self.url), method, path, body, params, raw)
        token = self.home.load_token()
        from openline.server.local import create_local_api

        assert self.node is not None
        client = OfficerClient("http://local", token, app=create_local_api(self.node, token))
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
            from openline.node.errors import CommandError

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
