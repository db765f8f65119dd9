"""The federation endpoint peers talk to: ``/fed/v1``.

Every request is authenticated (``openline.core.fedauth``) before its body is even parsed;
an unknown or unsigned caller gets 401 and nothing is stored. Each failure has its own code:

    400 malformed-json      body is not JSON          413 too-large        body over the limit
    422 invalid-request     wrong shape or types      401 unknown-party    caller not pinned
    422 invalid-entry       entry envelope wrong      401 bad-request-signature
    422 unknown-kind        kind not known            401 stale-request    clock outside window
    422 invalid-body        body breaks its schema    409 replayed-request same request twice
    422 bad-signature       entry or checkpoint       409 gap              resend from expected_seq
    422 wrong-link          entry for another log     409 equivocation     evidence kept, alarm
    422 entry-too-large     one entry over the limit  421 wrong-node       sent to another party
    422 clock-skew          entry dated in the future 401 unauthenticated  no signature headers
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from openline.core.fedauth import Authenticated, authenticate
from openline.core.link import Accepted, Duplicate, Equivocation, Gap, Rejected, log_origin
from openline.node.app import Node
from openline.wiring import CurrentNode


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


class ReplayGuard:
    """Signatures seen within the request window; older ones fall out."""

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self._seen: OrderedDict[bytes, int] = OrderedDict()

    def seen(self, signature: bytes, now_ms: int) -> bool:
        while self._seen and next(iter(self._seen.values())) < now_ms - 2 * self.window_ms:
            self._seen.popitem(last=False)
        if signature in self._seen:
            return True
        self._seen[signature] = now_ms
        return False


router = APIRouter(prefix="/fed/v1")


def mount_federation(app: FastAPI, node: Node) -> None:
    """Serve ``/fed/v1`` for ``node`` in ``app``, with its own replay guard."""
    app.state.replay_guard = ReplayGuard(node.config.request_window_seconds * 1000)
    app.include_router(router)


async def authenticated(node: Node, request: Request, body: bytes) -> Authenticated | JSONResponse:
    guard: ReplayGuard = request.app.state.replay_guard
    now_ms = int(node.clock().timestamp() * 1000)
    result = authenticate(
        headers={k.lower(): v for k, v in request.headers.items()},
        method=request.method,
        path=request.url.path,
        body=body,
        our_party=node.party,
        keys_of=node.peers.keys_of,
        now_ms=now_ms,
        window_ms=guard.window_ms,
        seen=lambda signature: guard.seen(signature, now_ms),
    )
    if isinstance(result, Authenticated):
        return result
    return error_response(result.status, result.code, result.message)


async def read_body(limit: int, request: Request) -> bytes | JSONResponse:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        return error_response(413, "too-large", f"body is {declared} bytes; at most {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return error_response(413, "too-large", f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/card")
async def card(node: CurrentNode) -> Response:
    return Response(node.peers.card().to_bytes(), media_type="application/json")


@router.get("/checkpoint/{sender}/{recipient}")
async def checkpoint(node: CurrentNode, sender: str, recipient: str, request: Request) -> Response:
    auth = await authenticated(node, request, b"")
    if isinstance(auth, JSONResponse):
        return auth
    if node.party not in (sender, recipient) or auth.sender not in (sender, recipient):
        return error_response(404, "unknown-log", "only the two parties of a link may ask")
    latest = node.store.latest_checkpoint(sender, recipient)
    if latest is None:
        return error_response(404, "no-checkpoint", f"no checkpoint of {sender}→{recipient}")
    size, note = latest.size, latest.note
    lines = [c.line for c in node.store.cosignatures(sender, recipient, size=size)]
    return JSONResponse(
        {
            "origin": log_origin(sender, recipient),
            "size": size,
            "checkpoint": note.decode("utf-8"),
            "cosignatures": lines,
        }
    )


@router.post("/batch")
async def batch(node: CurrentNode, request: Request) -> Response:
    body = await read_body(node.config.max_request_bytes, request)
    if isinstance(body, JSONResponse):
        return body
    auth = await authenticated(node, request, body)
    if isinstance(auth, JSONResponse):
        return auth
    parsed = parse_batch(body)
    if isinstance(parsed, JSONResponse):
        return parsed
    entries, note = parsed
    outcome = await anyio.to_thread.run_sync(node.receive_batch, auth.sender, entries, note)
    return batch_answer(outcome)


def parse_batch(body: bytes) -> tuple[list[Any], bytes] | JSONResponse:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return error_response(400, "malformed-json", f"body is not JSON: {error}")
    if (
        not isinstance(payload, dict)
        or set(payload) != {"entries", "checkpoint"}
        or not isinstance(payload["entries"], list)
        or not isinstance(payload["checkpoint"], str)
    ):
        return error_response(
            422,
            "invalid-request",
            'body must be {"entries": [entry, ...], "checkpoint": "<signed note>"}',
        )
    try:
        return payload["entries"], payload["checkpoint"].encode("utf-8")
    except UnicodeEncodeError:
        return error_response(422, "invalid-request", "checkpoint is not valid text")


def batch_answer(outcome: object) -> JSONResponse:
    if isinstance(outcome, Accepted | Duplicate):
        accepted = len(outcome.entries) if isinstance(outcome, Accepted) else 0
        return JSONResponse(
            {
                "status": "accepted" if isinstance(outcome, Accepted) else "duplicate",
                "accepted": accepted,
                "size": outcome.checkpoint.size,
                "cosignature": outcome.cosignature.to_line(),
            }
        )
    if isinstance(outcome, Gap):
        return error_response(
            409, "gap", f"expected seq {outcome.expected_seq}", expected_seq=outcome.expected_seq
        )
    if isinstance(outcome, Equivocation):
        return error_response(409, "equivocation", outcome.evidence.reason)
    assert isinstance(outcome, Rejected)
    return error_response(422, outcome.code, outcome.reason)


def batch_body(leaves: list[bytes], checkpoint_note: bytes) -> bytes:
    """The wire form of a batch, built from stored leaves without re-encoding them."""
    return (
        b'{"checkpoint":'
        + orjson.dumps(checkpoint_note.decode("utf-8"))
        + b',"entries":['
        + b",".join(leaves)
        + b"]}"
    )
