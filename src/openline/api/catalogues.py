"""Officers' API for agreed message catalogues: pin, show, send.

Mounted under ``/api/v1`` by the officers' router, which checks the token:

    GET  /catalogues                 pinned catalogues with per-peer agreement, and
                                     ``offered_by_peers``: what peers pinned and we have not
    POST /catalogues                 {document, to?, officer?} → 201, the result of the pin
    GET  /catalogues/{ref}?lang=xx   one catalogue (by name or hash) with its messages
    POST /catalogue-messages         {to, catalogue?, code, params, lang?, refs?, officer?}
                                     → 201

``officer`` is who acts (``openline.node.commands.Actor.names``): an officer's token acts as
its officer; with the admin token, a pin names "duty officer" and a message no one unless
the body says.

The bodies are the commands :class:`openline.node.catalogues.PinCatalogue` and
:class:`~openline.node.catalogues.SendCatalogueMessage`; every error is
``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request

from openline.api.acts import bound
from openline.api.idempotency import answered, executed
from openline.api.results import entry_summary
from openline.core.catalogue import Catalogue, render
from openline.core.entry import Entry
from openline.node.catalogues import PinCatalogue, SendCatalogueMessage
from openline.node.errors import CommandError
from openline.wiring import CurrentNode


def catalogue_view(catalogue: Catalogue, lang: str | None) -> dict[str, Any]:
    """A catalogue for officers: every message's title and text in ``lang``, or in every
    language (objects keyed by language) when ``lang`` is None.

    Raises:
        CommandError: 422 ``unsupported-language``.
    """
    if lang is not None and lang not in catalogue.languages:
        raise CommandError(
            f"catalogue {catalogue.name} has no {lang!r} texts; "
            f"it has {', '.join(catalogue.languages)}",
            code="unsupported-language",
            status=422,
        )
    return {
        "hash": catalogue.hash,
        "name": catalogue.name,
        "version": catalogue.version,
        "languages": list(catalogue.languages),
        "lang": lang,
        "messages": [
            {
                "code": message.code,
                "title": dict(message.title) if lang is None else message.title[lang],
                "text": dict(message.text) if lang is None else message.text[lang],
                "params": [param.to_dict() for param in message.params],
            }
            for message in catalogue.messages.values()
        ],
    }


router = APIRouter()


@router.get("/catalogues", openapi_extra=bound("read"))
async def list_catalogues(node: CurrentNode) -> dict[str, Any]:
    listing: dict[str, Any] = await anyio.to_thread.run_sync(node.catalogues.status)
    return listing


@router.post("/catalogues", status_code=201, openapi_extra=bound("pin-catalogue", PinCatalogue))
async def pin(node: CurrentNode, request: Request, body: PinCatalogue) -> dict[str, Any]:
    return await answered(request, node, body, dict)


@router.get("/catalogues/{ref}", openapi_extra=bound("read"))
async def show(node: CurrentNode, ref: str, lang: str | None = None) -> dict[str, Any]:
    def showing() -> dict[str, Any]:
        catalogue = node.catalogues.resolve(ref)
        return {
            **catalogue_view(catalogue, lang),
            "peers": node.catalogues.agreement(catalogue.hash),
        }

    shown: dict[str, Any] = await anyio.to_thread.run_sync(showing)
    return shown


@router.post(
    "/catalogue-messages",
    status_code=201,
    openapi_extra=bound("send-catalogue-message", SendCatalogueMessage),
)
async def send(node: CurrentNode, request: Request, body: SendCatalogueMessage) -> dict[str, Any]:
    def answer(entry: Entry) -> dict[str, Any]:
        catalogue = node.catalogues.pinned()[entry.body["catalogue"]]
        params = entry.body["params"]
        return entry_summary(entry) | {
            "catalogue": catalogue.hash,
            "code": entry.body["code"],
            "rendered": {
                lang: render(catalogue, entry.body["code"], params, lang)
                for lang in catalogue.languages
            },
        }

    (entry,) = await executed(request, node, body)
    shown: dict[str, Any] = await anyio.to_thread.run_sync(answer, entry)
    return shown
