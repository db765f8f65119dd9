"""A node's data folder: configuration, private key, admin token and database.

DIR/node.json     configuration (party, names, listen address, URL, cadences, limits)
DIR/node.key      Ed25519 seed, base64, mode 0600
DIR/admin.token   the officers' API admin token, mode 0600
DIR/openline.db   SQLite database (unless node.json names another database URL)
DIR/run.json      written while ``openline run`` serves: pid and URL for the CLI
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openline.core.keys import PrivateKey
    from openline.core.link import LinkLimits
    from openline.core.precedence import Precedence

# The core is imported where it is used: ``openline status`` on a running node reads only
# run.json and admin.token from here, and the CLI should not pay for keys, links and notices.


def _default_ack_objectives() -> dict[str, int]:
    from openline.core.precedence import DEFAULT_ACK_OBJECTIVES

    return {p.value: int(d.total_seconds()) for p, d in DEFAULT_ACK_OBJECTIVES.items()}


def _default_desk_answer_seconds() -> int:
    from openline.core.notify import DEFAULT_DESK_ANSWER_SECONDS

    return DEFAULT_DESK_ANSWER_SECONDS


def _default_minimum_lead_seconds() -> dict[str, int]:
    from openline.core.notify import DEFAULT_MINIMUM_LEAD_TIMES

    return {
        activity: int(minimum.total_seconds())
        for activity, minimum in DEFAULT_MINIMUM_LEAD_TIMES.items()
    }


class HomeError(Exception):
    """A data folder that is missing, incomplete or misconfigured (a usage error)."""


@dataclass(slots=True)
class NodeConfig:
    party: str
    names: dict[str, str]
    listen: str
    url: str
    card_created: str
    database: str | None = None
    default_lang: str = "en"
    heartbeat_seconds: float = 30.0
    ack_objectives_seconds: dict[str, int] = field(default_factory=_default_ack_objectives)
    max_batch_entries: int = 1000
    max_entry_bytes: int = 64 * 1024
    max_request_bytes: int = 16 * 1024 * 1024
    max_clock_skew_seconds: int = 300
    request_window_seconds: int = 120
    send_batch_entries: int = 500
    retry_initial_seconds: float = 0.25
    retry_max_seconds: float = 30.0
    # Desk checks: how often the node sends one to each peer (0 turns the cadence off; an
    # officer can still send one on demand), and the answer window written into each.
    desk_check_seconds: int = 3600
    desk_answer_seconds: int = field(default_factory=_default_desk_answer_seconds)
    # How often the running node checks what was stored since its last verify and a slice of
    # the rest, keeping the verified marks that reports and pages state current (0: never;
    # `openline verify` still does).
    verify_seconds: int = 300
    # The least warning each activity kind must give (core.notify.DEFAULT_MINIMUM_LEAD_TIMES).
    minimum_lead_seconds: dict[str, int] = field(default_factory=_default_minimum_lead_seconds)

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    def link_limits(self) -> LinkLimits:
        from openline.core.link import LinkLimits

        return LinkLimits(
            max_batch_entries=self.max_batch_entries,
            max_entry_bytes=self.max_entry_bytes,
            max_clock_skew=timedelta(seconds=self.max_clock_skew_seconds),
        )

    def minimum_lead_times(self) -> dict[str, timedelta]:
        return {
            activity: timedelta(seconds=seconds)
            for activity, seconds in self.minimum_lead_seconds.items()
        }

    def ack_objectives(self) -> dict[Precedence, timedelta]:
        from openline.core.precedence import Precedence

        return {
            Precedence(name): timedelta(seconds=seconds)
            for name, seconds in self.ack_objectives_seconds.items()
        }


class NodeHome:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def config_path(self) -> Path:
        return self.root / "node.json"

    @property
    def key_path(self) -> Path:
        return self.root / "node.key"

    @property
    def token_path(self) -> Path:
        return self.root / "admin.token"

    @property
    def database_path(self) -> Path:
        return self.root / "openline.db"

    @property
    def run_path(self) -> Path:
        return self.root / "run.json"

    def exists(self) -> bool:
        """True when any part of a node is here: never overwrite a key or a database."""
        return any(
            path.exists()
            for path in (self.config_path, self.key_path, self.token_path, self.database_path)
        )

    def create(self, config: NodeConfig, key: PrivateKey) -> str:
        """Write a new data folder; returns the admin token."""
        if self.exists():
            raise HomeError(f"{self.root} is already a node's data folder")
        token = secrets.token_urlsafe(32)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            _write_private(self.key_path, base64.b64encode(key.seed).decode("ascii") + "\n")
            _write_private(self.token_path, token + "\n")
            self.save_config(config)
        except OSError as error:
            raise HomeError(f"cannot create a node in {self.root}: {error.strerror}") from error
        return token

    def save_config(self, config: NodeConfig) -> None:
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(config), indent=2, ensure_ascii=False) + "\n", "utf-8")
        tmp.replace(self.config_path)

    def load_config(self) -> NodeConfig:
        if not self.config_path.exists():
            raise HomeError(f"{self.root} is not a node's data folder (run 'openline init' first)")
        try:
            raw: dict[str, Any] = json.loads(self.config_path.read_text("utf-8"))
            config = NodeConfig(**raw)
            _check_notices(config)
            return config
        except (ValueError, TypeError) as error:
            raise HomeError(
                f"{self.config_path} is not a valid node configuration: {error}"
            ) from error

    def load_key(self) -> PrivateKey:
        from openline.core.keys import PrivateKey

        try:
            return PrivateKey.from_seed(base64.b64decode(self.key_path.read_text().strip()))
        except (OSError, ValueError) as error:
            raise HomeError(f"cannot read the node key {self.key_path}: {error}") from error

    def load_token(self) -> str:
        try:
            return self.token_path.read_text().strip()
        except OSError as error:
            raise HomeError(f"cannot read {self.token_path}: {error}") from error

    def database_url(self, config: NodeConfig) -> str:
        return config.database or f"sqlite:///{self.database_path.resolve()}"

    def write_run_info(self, pid: int, url: str) -> None:
        tmp = self.run_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": pid, "url": url}) + "\n")
        tmp.replace(self.run_path)

    def clear_run_info(self) -> None:
        self.run_path.unlink(missing_ok=True)

    @property
    def lock_path(self) -> Path:
        return self.root / "run.lock"

    def acquire_run_lock(self) -> IO[str]:
        """Hold an exclusive lock for as long as this process serves the folder. The kernel
        drops it when the process dies, even by SIGKILL, so a stale ``run.json`` or a
        reused pid never makes a dead node look alive."""
        handle = self.lock_path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise HomeError(f"a node already serves {self.root}") from None
        return handle

    def is_served(self) -> bool:
        if not self.lock_path.exists():
            return False
        with self.lock_path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False

    def running_url(self) -> str | None:
        """The API URL of the node serving this folder, if one is alive."""
        if not self.is_served():
            return None
        try:
            return str(json.loads(self.run_path.read_text())["url"])
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _whole(value: object) -> bool:
    return type(value) is int


def _check_notices(config: NodeConfig) -> None:
    """The settings of notifications and desk checks, checked when the node starts rather
    than when a deadline watcher or a cadence first trips on them (a bad value would stop
    every alarm).

    A partial ``minimum_lead_seconds`` keeps the defaults of the kinds it does not name.

    Raises:
        ValueError: a setting out of range, naming it.
    """
    from openline.core.notify import (
        ACTIVITIES,
        DEFAULT_MINIMUM_LEAD_TIMES,
        MAX_DESK_ANSWER_SECONDS,
        MIN_DESK_ANSWER_SECONDS,
    )

    if not _whole(config.desk_check_seconds) or config.desk_check_seconds < 0:
        raise ValueError("desk_check_seconds must be a whole number of seconds, 0 for none")
    if not _whole(config.verify_seconds) or config.verify_seconds < 0:
        raise ValueError("verify_seconds must be a whole number of seconds, 0 for never")
    window = config.desk_answer_seconds
    if not _whole(window) or not MIN_DESK_ANSWER_SECONDS <= window <= MAX_DESK_ANSWER_SECONDS:
        raise ValueError(
            f"desk_answer_seconds must be {MIN_DESK_ANSWER_SECONDS} to {MAX_DESK_ANSWER_SECONDS}"
        )
    minimums = config.minimum_lead_seconds
    if not isinstance(minimums, dict):
        raise ValueError("minimum_lead_seconds must map activity kinds to seconds")
    for activity, seconds in minimums.items():
        if activity not in ACTIVITIES:
            raise ValueError(
                f"minimum_lead_seconds: {activity!r} is not one of {', '.join(ACTIVITIES)}"
            )
        if not _whole(seconds) or seconds < 0:
            raise ValueError(f"minimum_lead_seconds.{activity} must be a whole number >= 0")
    defaults = {k: int(v.total_seconds()) for k, v in DEFAULT_MINIMUM_LEAD_TIMES.items()}
    config.minimum_lead_seconds = defaults | minimums


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
