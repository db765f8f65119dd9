"""Officers' API for officer accounts (managing them is an admin's act; see ``api.access``)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter
from pydantic import Field

from openline.api.acts import bound
from openline.api.requests import Strict
from openline.wiring import CurrentNode

Password = Annotated[str, Field(min_length=1, max_length=1024)]


class OfficerIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    role: str
    password: Password


class PasswordIn(Strict):
    password: Password


router = APIRouter()


@router.get("/officers", openapi_extra=bound("list-officers"))
async def list_officers(node: CurrentNode) -> dict[str, Any]:
    return {"officers": await anyio.to_thread.run_sync(node.officers.list)}


@router.post("/officers", status_code=201, openapi_extra=bound("add-officer"))
async def add_officer(node: CurrentNode, body: OfficerIn) -> dict[str, Any]:
    added: dict[str, Any] = await anyio.to_thread.run_sync(
        node.officers.add, body.username, body.role, body.password
    )
    return added


@router.post("/officers/{username}/disable", openapi_extra=bound("disable-officer"))
async def disable(node: CurrentNode, username: str) -> dict[str, Any]:
    shown: dict[str, Any] = await anyio.to_thread.run_sync(
        node.officers.set_disabled, username, True
    )
    return shown


@router.post("/officers/{username}/enable", openapi_extra=bound("enable-officer"))
async def enable(node: CurrentNode, username: str) -> dict[str, Any]:
    shown: dict[str, Any] = await anyio.to_thread.run_sync(
        node.officers.set_disabled, username, False
    )
    return shown


@router.post("/officers/{username}/password", openapi_extra=bound("set-password"))
async def password(node: CurrentNode, username: str, body: PasswordIn) -> dict[str, Any]:
    shown: dict[str, Any] = await anyio.to_thread.run_sync(
        node.officers.set_password, username, body.password
    )
    return shown


@router.post("/officers/{username}/token", status_code=201, openapi_extra=bound("issue-token"))
async def token(node: CurrentNode, username: str) -> dict[str, Any]:
    issued: str = await anyio.to_thread.run_sync(node.officers.issue_token, username)
    return {"username": username, "token": issued}
