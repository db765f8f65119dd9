"""A small client for the officers' API, used by the CLI and the demo."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class ApiUnavailable(Exception):
    """The node did not answer, or answered with something that is not our API."""


class ApiError(Exception):
    """The node refused the request: ``{"error": {"code", "message"}}`` with a 4xx."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class OfficerClient:
    """Talks to a node over HTTP, or in process to ``app`` (the node's ASGI app): the CLI
    then runs exactly the API's code when no node is running."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 60.0,
        app: Any = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.app = app

    def _send(
        self, method: str, path: str, body: Any, params: dict[str, str] | None
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.token}"}
        if self.app is None:
            return httpx.request(
                method,
                self.base_url + path,
                json=body,
                params=params,
                headers=headers,
                timeout=self.timeout,
            )

        async def in_process() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
                return await client.request(method, path, json=body, params=params, headers=headers)

        return asyncio.run(in_process())

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
        try:
            response = self._send(method, path, body, params)
        except httpx.HTTPError as error:
            raise ApiUnavailable(f"the node at {self.base_url} did not answer: {error}") from error
        if raw and response.status_code < 400:
            return response.content
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code < 400 and payload is not None:
            return payload
        problem = payload.get("error") if isinstance(payload, dict) else None
        if not isinstance(problem, dict):
            raise ApiUnavailable(
                f"the node answered HTTP {response.status_code} to {method} {path}"
            )
        raise ApiError(
            response.status_code,
            str(problem.get("code", "error")),
            str(problem.get("message", "request failed")),
        )
