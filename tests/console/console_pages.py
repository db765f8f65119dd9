"""The page reader and signed-in console client shared by the in-process console tests:
a small HTML parser, a TestClient per browser, officers signed in, and form bodies as the
compose pages post them."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.exceptions import StarletteDeprecationWarning

from openline.core.entry import Entry
from openline.node.app import Node
from openline.server.app import create_app
from openline.store import Store
from pair import pump

with warnings.catch_warnings():
    # Starlette would rather have the httpx2 fork; the httpx it falls back on works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a new and longer passphrase"
US, PRC, RU = "us-dod", "prc-mnd", "ru-mod"
SESSION_COOKIE = "openline_session"
EVIL = "https://evil.example"
# What a browser asks for when it follows a link or loads a page.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


# --- reading pages -----------------------------------------------------------------------


@dataclass
class Element:
    index: int  # its place in the document: the same in every parse of one page
    tag: str
    attrs: dict[str, str]
    parents: tuple[Element, ...]
    chunks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.chunks).split())

    def within(self, other: Element) -> bool:
        return any(parent.index == other.index for parent in self.parents)


class _Parser(HTMLParser):
    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
        | {"track", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[Element] = []
        self.elements: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        element = Element(len(self.elements), tag, attributes, tuple(self.open))
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.chunks.append(data)


def elements(html: str) -> list[Element]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.elements


def find(html: str, tag: str | None = None, **attrs: str) -> list[Element]:
    """Elements of ``tag`` (any if None) whose attributes include ``attrs`` (``data_x`` is
    ``data-x``)."""
    wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
    return [
        element
        for element in elements(html)
        if (tag is None or element.tag == tag)
        and all(element.attrs.get(name) == value for name, value in wanted.items())
    ]


def one(html: str, tag: str | None = None, **attrs: str) -> Element:
    found = find(html, tag, **attrs)
    assert len(found) == 1, f"{len(found)} <{tag or '*'} {attrs}> in the page"
    return found[0]


def error_code(response: httpx.Response) -> str:
    """The code a refusal names: the API's JSON, the login page's ``data-code``, or the
    ``<code class="code">`` of an error page or a compose form."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json()["error"]["code"])
    coded = [e.attrs["data-code"] for e in elements(response.text) if "data-code" in e.attrs]
    coded += [e.text for e in find(response.text, "code", **{"class": "code"})]
    assert len(coded) == 1, coded
    return coded[0]


def session_cookie(response: httpx.Response) -> dict[str, str] | None:
    """The attributes of the session cookie this response sets (lowercased), if any."""
    for header in response.headers.get_list("set-cookie"):
        name_value, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = name_value.partition("=")
        if name == SESSION_COOKIE:
            parsed = {"value": value}
            for attribute in attributes:
                key, _, setting = attribute.partition("=")
                parsed[key.lower()] = setting.lower()
            return parsed
    return None


def login_target(response: httpx.Response) -> str:
    """Where a redirect to the login form will send the officer back to."""
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/console/login"
    (target,) = parse_qs(location.query)["next"]
    return target


def minute(moment: datetime) -> str:
    """A time as a browser's datetime-local input sends it (no zone, no seconds)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


# --- the nodes and their consoles --------------------------------------------------------


class Console:
    """One browser at one node's console: the TestClient keeps its cookies."""

    def __init__(self, node: Node, app: Any = None) -> None:
        """A browser of its own, at ``app`` (another browser's, for a second tab of one
        node's console) or at a new app of the node."""
        self.node = node
        self.app = app or create_app(node, node.home.load_token())
        self.client: Any = TestClient(
            self.app,
            follow_redirects=False,
            headers={"Accept": BROWSER_ACCEPT},
        )

    def get(self, path: str, **options: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(path, **options)
        return response

    def post(self, path: str, **options: Any) -> httpx.Response:
        response: httpx.Response = self.client.post(path, **options)
        return response

    def login(
        self, username: str, password: str = PASSWORD, next: str = "/console/"
    ) -> httpx.Response:
        form = self.get("/console/login")
        assert form.status_code == 200
        token = one(form.text, "input", name="login_token").attrs["value"]
        return self.post(
            "/console/login",
            data={"login_token": token, "username": username, "password": password, "next": next},
        )

    def csrf(self) -> str:
        page = self.get("/console/")
        assert page.status_code == 200, page.text
        return one(page.text, "body").attrs["data-csrf"]


def officer(node: Node, username: str, role: str = "duty-officer") -> Console:
    """A console with ``username`` (a new officer of ``role``) signed in."""
    node.officers.add(username, role, PASSWORD)
    desk = Console(node)
    signed = desk.login(username)
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/console/"
    return desk


def stored(node: Node) -> int:
    """Every entry the node holds, in every log, both directions."""
    with node.store.read() as connection:
        logs = Store.logs(connection)
    return sum(len(node.store.entries(s, r)) for s, r in logs)


def entries(node: Node, sender: str, recipient: str) -> list[Entry]:
    return [Entry.from_leaf(row.leaf) for row in node.store.entries(sender, recipient)]


def exchange(one_node: Node, other: Node) -> None:
    """Both directions once: entries (or a heartbeat) and their receipts."""
    pump(one_node, other)
    pump(other, one_node)


def request_form(csrf: str, now: datetime, **changes: str) -> dict[str, str]:
    """A contact request to prc-mnd as the compose form posts it."""
    return {
        "csrf": csrf,
        "to": PRC,
        "format": "phone-call",
        "level": "working",
        "precedence": "routine",
        "subject": "Risk reduction",
        "from_official.name": "Gen. Dan Caine",
        "from_official.title": "Chairman of the Joint Chiefs of Staff",
        "to_official.name": "Gen. Liu Zhenli",
        "to_official.title": "Chief of the Joint Staff Department",
        "slots.0.start": minute(now + timedelta(days=2)),
        "slots.0.end": minute(now + timedelta(days=2, hours=1)),
        "slots.1.start": "",
        "slots.1.end": "",
        "respond_by": minute(now + timedelta(hours=6)),
        "lang": "en",
    } | changes


SQUARE = [[[125.5, 30.25], [126.75, 30.25], [126.75, 31.5], [125.5, 31.5], [125.5, 30.25]]]


def notification_form(csrf: str, to: list[str], **changes: str) -> dict[str, str | list[str]]:
    """An activity notification as the compose form posts it (``to`` repeated)."""
    fields: dict[str, str | list[str]] = {
        "csrf": csrf,
        "activity": "exercise",
        "label": "",
        "precedence": "priority",
        "title": "Live-fire exercise",
        "participants": US,
        # The pair's clock reads 2026-11-29T08:00Z: 21 days' notice, more than the 14 an
        # exercise needs (a late one asks to be confirmed).
        "start": "2026-12-20T08:00",
        "end": "2026-12-20T20:00",
        "area": json.dumps({"type": "Polygon", "coordinates": SQUARE}),
        "contact_channel": "Hotline, or VHF 16",
        "ack_within_minutes": "",
        "lang": "en",
        "to": to,
    }
    return fields | changes
