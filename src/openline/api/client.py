"""A small client for the officers' API, used by the CLI and the demo.

Over the network it speaks HTTP/1.1 with the standard library's ``http.client``: the CLI
calls a running node on every command, and importing httpx would cost it more than the
call. In process (``app``, no node running) it drives the node's ASGI app through httpx,
imported only then, together with the app itself.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit


class ApiUnavailable(Exception):
    """The node did not answer, or answered with something that is not our API."""


class ApiError(Exception):
    """The node refused the request: ``{"error": {"code", "message"}}`` with a 4xx."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


# --- the request target, percent-encoded as httpx does (paths carry officers' input) ------

_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
# WHATWG percent-encode sets: the query set, and the path set (the query set and ?`{}).
_QUERY_SAFE = "".join(chr(i) for i in range(0x20, 0x7F) if chr(i) not in ' "#<>')
_PATH_SAFE = "".join(c for c in _QUERY_SAFE if c not in "?`{}")
_PERCENT_ENCODED = re.compile("%[A-Fa-f0-9]{2}")


def _quote(text: str, safe: str) -> str:
    """Percent-encode what is not ``safe`` as UTF-8, keeping existing ``%xx`` escapes."""
    keep = _UNRESERVED + safe

    def encode(piece: str) -> str:
        return "".join(
            char if char in keep else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
            for char in piece
        )

    parts = []
    position = 0
    for match in _PERCENT_ENCODED.finditer(text):
        parts += [encode(text[position : match.start()]), match.group()]
        position = match.end()
    parts.append(encode(text[position:]))
    return "".join(parts)


def _without_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: drop ``.`` and ``..`` segments."""
    segments = path.split("/")
    if "." not in segments and ".." not in segments:
        return path
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept and kept != [""]:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    return "/".join(kept)


def request_target(prefix: str, path: str, params: dict[str, str] | None) -> str:
    """The request line's target for ``prefix + path`` with query ``params`` (which replace
    any query in ``path``); a fragment is dropped."""
    rest = (prefix + path).partition("#")[0]
    route, has_query, query = rest.partition("?")
    target = _quote(_without_dot_segments(route) or "/", _PATH_SAFE)
    if params is not None:  # as httpx: given params, even empty ones, replace the query
        has_query, query = ("?", urlencode(params)) if params else ("", "")
    if has_query:
        target += "?" + _quote(query, _QUERY_SAFE)
    return target


class OfficerClient:
    """Talks to a node over HTTP, or in process to ``app`` (the node's ASGI app): the CLI
    then runs exactly the API's code when no node is running."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 60.0,
        app: Any = None,
        retries: Sequence[float] = (),
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        """``retries``: the pauses, in seconds, before each new try when the node did not
        answer (a POST keeps its Idempotency-Key, so a retry never signs twice)."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.app = app
        self.retries = tuple(retries)
        self.on_retry = on_retry

    def _send(
        self, method: str, path: str, body: Any, params: dict[str, str] | None
    ) -> tuple[int, bytes]:
        """``(status, content)`` of the answer.

        Raises:
            ApiUnavailable: no answer.
        """
        headers = {"authorization": f"Bearer {self.token}"}
        if method == "POST":
            # One key per request, kept over its retries: a retry after a lost answer gets
            # the first attempt's entries back instead of signing new ones.
            headers["idempotency-key"] = f'"{uuid.uuid4()}"'
        if self.app is not None:
            return self._send_in_process(method, path, body, params, headers)
        for pause in self.retries:
            try:
                return self._send_http(method, path, body, params, headers)
            except ApiUnavailable as error:
                if self.on_retry is not None:
                    self.on_retry(f"{error}; trying again in {pause:g} s")
                time.sleep(pause)
        return self._send_http(method, path, body, params, headers)

    def _send_http(
        self,
        method: str,
        path: str,
        body: Any,
        params: dict[str, str] | None,
        headers: dict[str, str],
    ) -> tuple[int, bytes]:
        import http.client

        url = urlsplit(self.base_url)
        content = None
        if body is not None:  # encoded as httpx encodes json=
            content = json.dumps(
                body, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode("utf-8")
            headers["content-type"] = "application/json"
        connection_type = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        try:
            connection = connection_type(url.netloc, timeout=self.timeout)
            try:
                connection.request(
                    method,
                    request_target(url.path, path, params),
                    body=content,
                    headers={"accept": "*/*", **headers},
                )
                response = connection.getresponse()
                return response.status, response.read()
            finally:
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            raise ApiUnavailable(f"the node at {self.base_url} did not answer: {error}") from error

    def _send_in_process(
        self,
        method: str,
        path: str,
        body: Any,
        params: dict[str, str] | None,
        headers: dict[str, str],
    ) -> tuple[int, bytes]:
        import asyncio

        import httpx

        async def in_process() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
                return await client.request(method, path, json=body, params=params, headers=headers)

        try:
            response = asyncio.run(in_process())
        except httpx.HTTPError as error:
            raise ApiUnavailable(f"the node at {self.base_url} did not answer: {error}") from error
        return response.status_code, response.content

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """Call the API and return the decoded JSON answer (the bytes, if ``raw``).

        Raises:
            ApiUnavailable: no answer, or an answer that is not a JSON document of our API.
            ApiError: the node refused the request with a machine-readable error.
        """
        status, content = self._send(method, path, body, params)
        if raw and status < 400:
            return content
        try:
            payload = json.loads(content)
        except ValueError:
            payload = None
        if status < 400 and payload is not None:
            return payload
        problem = payload.get("error") if isinstance(payload, dict) else None
        if not isinstance(problem, dict):
            raise ApiUnavailable(f"the node answered HTTP {status} to {method} {path}")
        raise ApiError(
            status,
            str(problem.get("code", "error")),
            str(problem.get("message", "request failed")),
        )
