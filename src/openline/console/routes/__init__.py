"""The console's routes, one module per part of the console; ``openline.console.app``
mounts them under ``/console``."""

from __future__ import annotations

from fastapi import APIRouter

from openline.console.routes import compose, floor, records, requests, session

ROUTERS: tuple[APIRouter, ...] = (
    session.router,
    floor.router,
    compose.router,
    requests.router,
    records.router,
)
