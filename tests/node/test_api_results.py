"""The officers' API's answers for signed entries are typed: the OpenAPI schema says their
shape, so a client can be written against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openline.server.app import create_app
from pair import make_pair


def _response_schema(schema: dict[str, Any], path: str) -> dict[str, Any]:
    created = schema["paths"][path]["post"]["responses"]["201"]
    ref = created["content"]["application/json"]["schema"]["$ref"]
    found: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def test_signing_routes_answer_with_typed_entries(tmp_path: Path) -> None:
    us, _, _ = make_pair(tmp_path)
    schema = create_app(us, us.home.load_token()).openapi()
    batch = _response_schema(schema, "/api/v1/messages/batch")
    assert batch["required"] == ["entries"]
    created = _response_schema(schema, "/api/v1/requests")
    assert set(created["required"]) == {"id", "to", "seq", "kind"}
    assert created["properties"]["seq"]["type"] == "integer"
