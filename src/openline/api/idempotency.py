"""The ``Idempotency-Key`` header of the officers' API (see ``openline.node.idempotency``).

Every route that signs entries runs its command through :func:`executed` and builds its
answer from the entries that returns, so a retry with the same key answers what the first
attempt did (or would have, had it not been cut off) and signs nothing new. A route whose
command is not keyed (an account, a peer, a pin, a rebuild) answers with what the command
returned (:func:`answered`), and the header is not read for it at all.
"""

from __future__ import annotations

from typing import TypeVar, cast

import anyio.to_thread
from fastapi import Request

from openline.api.access import caller_of
from openline.core.entry import Entry
from openline.node.app import Node
from openline.node.commands import Actor, Command, execute
from openline.node.idempotency import (
    OPERATOR,
    Attempt,
    Done,
    fingerprint,
    officer_actor,
    parse_key,
)

HEADER = "idempotency-key"


async def attempt_of(request: Request) -> Attempt | None:
    """The keyed request, or None when the client sent no key.

    Raises:
        CommandError: 400 ``invalid-idempotency-key``.
    """
    header = request.headers.get(HEADER)
    if header is None:
        return None
    key = parse_key(header)
    officer = caller_of(request).officer
    actor = OPERATOR if officer is None else officer_actor(officer.username)
    body = await request.body()  # already read for the route's model: cached
    query = request.url.query
    return Attempt(actor, key, fingerprint(request.method, request.url.path, query, body))


async def run(request: Request, node: Node, command: Command) -> Done:
    """Run ``command`` as the caller the token check identified, once per key when it is
    keyed (in a worker thread; ``openline.node.commands.execute``)."""
    # An unkeyed command ignores the key, so a bad header is not refused for it either.
    attempt = await attempt_of(request) if command.KEYED else None
    actor = Actor(caller_of(request).officer)
    return await anyio.to_thread.run_sync(execute, node, command, actor, attempt)


async def executed(request: Request, node: Node, command: Command) -> list[Entry]:
    """The entries ``command`` signed, or signed the first time its key was used."""
    return (await run(request, node, command)).entries


Answer = TypeVar("Answer")


async def answered(request: Request, node: Node, command: Command, shape: type[Answer]) -> Answer:
    """What an unkeyed ``command`` returned: the route's answer, of the ``shape`` its route
    declares (a TypedDict, which FastAPI also reads as the route's response model).

    Raises:
        TypeError: for a keyed command, whose replay would have no result to answer with,
            or one that returned no JSON object.
    """
    if command.KEYED:
        raise TypeError(f"{type(command).__name__} is keyed: answer from its entries")
    result = (await run(request, node, command)).result
    if not isinstance(result, dict):
        raise TypeError(f"{type(command).__name__} returned no JSON object")
    return cast(Answer, result)  # a TypedDict cannot be checked at run time: mypy checks run()
