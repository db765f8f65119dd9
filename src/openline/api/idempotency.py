"""The ``Idempotency-Key`` header of the officers' API (see ``openline.node.idempotency``).

Every route that signs entries runs its command through :func:`executed` and builds its
answer from the entries that returns, so a retry with the same key answers what the first
attempt did (or would have, had it not been cut off) and signs nothing new.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import Request

from openline.api.access import caller_of
from openline.core.entry import Entry
from openline.node.app import Node
from openline.node.commands import Actor, Command, execute
from openline.node.idempotency import OPERATOR, Attempt, fingerprint, officer_actor, parse_key

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


async def executed(request: Request, node: Node, command: Command) -> list[Entry]:
    """Run ``command`` as the caller the token check identified, once per key (in a worker
    thread), and return the entries it signed (``openline.node.commands.execute``)."""
    attempt = await attempt_of(request)
    actor = Actor(caller_of(request).officer)
    done = await anyio.to_thread.run_sync(execute, node, command, actor, attempt)
    return done.entries
