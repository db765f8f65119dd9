"""Paged list routes: ``?limit=&cursor=`` (older) or ``?after=`` (newer), and the links.

Every list route answers ``{"<items>": [...], "next": URL | null, "newer": URL,
"cursors": {"before": C | null, "after": C | null}}``: ``next`` continues the list (older
items), ``newer`` asks for what was added since the page was read. Cursors are opaque
(``openline.core.paging``); a bad one is answered 400 ``invalid-cursor``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from openline.core.paging import MAX_LIMIT, Page

Limit = Annotated[int | None, Query(description=f"items per page, 1 to {MAX_LIMIT}")]
Cursor = Annotated[str | None, Query(description="continue after this place (older items)")]
After = Annotated[str | None, Query(description="items newer than this place")]


def _link(request: Request, **params: str) -> str:
    url = request.url.remove_query_params(["cursor", "after"]).include_query_params(**params)
    return url.path + ("?" + url.query if url.query else "")


def paged(request: Request, name: str, page: Page[Any]) -> dict[str, Any]:
    return {
        name: list(page.items),
        "next": None if page.before is None else _link(request, cursor=page.before),
        "newer": None if page.after is None else _link(request, after=page.after),
        "cursors": {"before": page.before, "after": page.after},
    }
