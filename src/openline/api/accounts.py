"""Officers' API for officer accounts (managing them is an admin's act; see ``api.access``).

Each write runs its command (``openline.node.account_commands``) and answers with what it
returned; none is keyed, so an ``Idempotency-Key`` is not read here.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from typing_extensions import TypedDict

from openline.api.acts import bound
from openline.api.idempotency import answered
from openline.node.account_commands import (
    AddOfficer,
    DisableOfficer,
    EnableOfficer,
    IssueToken,
    NewPassword,
    SetPassword,
)
from openline.node.commands import given
from openline.node.officers import Account, IssuedToken
from openline.wiring import CurrentNode

router = APIRouter()


class Officers(TypedDict):
    officers: list[Account]


@router.get("/officers", openapi_extra=bound("list-officers"))
async def list_officers(node: CurrentNode) -> Officers:
    return {"officers": await anyio.to_thread.run_sync(node.officers.list)}


@router.post("/officers", status_code=201, openapi_extra=bound("add-officer", AddOfficer))
async def add_officer(node: CurrentNode, request: Request, body: AddOfficer) -> Account:
    return await answered(request, node, body, Account)


@router.post("/officers/{username}/disable", openapi_extra=bound("disable-officer", DisableOfficer))
async def disable(node: CurrentNode, request: Request, username: str) -> Account:
    return await answered(request, node, DisableOfficer(username=username), Account)


@router.post("/officers/{username}/enable", openapi_extra=bound("enable-officer", EnableOfficer))
async def enable(node: CurrentNode, request: Request, username: str) -> Account:
    return await answered(request, node, EnableOfficer(username=username), Account)


@router.post("/officers/{username}/password", openapi_extra=bound("set-password", SetPassword))
async def password(
    node: CurrentNode, request: Request, username: str, body: NewPassword
) -> Account:
    command = SetPassword(username=username, **given(body))
    return await answered(request, node, command, Account)


@router.post(
    "/officers/{username}/token", status_code=201, openapi_extra=bound("issue-token", IssueToken)
)
async def token(node: CurrentNode, request: Request, username: str) -> IssuedToken:
    return await answered(request, node, IssueToken(username=username), IssuedToken)
