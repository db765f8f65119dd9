"""The console under a busy watch: how long the watch floor takes to build and render, and
how many bytes it sends, as traffic grows.

One in-process node (a real SQLite store, real signatures, no network) with ``--peers``
counterparts sends hotline messages, contact requests and notifications to them (none
delivered, so every item stays open on the floor: the worst case). For each size it prints
the median time to build the floor from the folds, to render its fragment (what a live
update fetches), the fragment's size raw and gzipped, and the cost of one live-update check
(what each open tab's event stream runs every second).

    .venv/bin/python benchmarks/console.py [--peers 20] [--sizes 100 1000 3000]

Figures are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from notices import make_node  # the same node and counterparts as the notices benchmark
from openline.console import views
from openline.console.templating import render
from openline.node.app import Node
from openline.node.hotline import NewMessage, send_messages
from openline.node.request_commands import NewRequest, Official, Slot


def fill(node: Node, items: int) -> None:
    """``items`` pieces of open traffic: two messages for each contact request."""
    peers = sorted(node.peers.pinned())
    now = node.clock()
    for n in range(items):
        peer = peers[n % len(peers)]
        if n % 3 == 2:
            node.contacts.request(
                NewRequest(
                    to=peer,
                    format="phone-call",
                    level="working",
                    subject=f"Call number {n} about the incident at sea",
                    from_official=Official(name="Cdr. J. Miller", title="Duty officer"),
                    to_official=Official(name="Duty officer", title="Duty officer"),
                    slots=[
                        Slot(start=now + timedelta(days=2), end=now + timedelta(days=2, hours=1))
                    ],
                    respond_by=now + timedelta(days=1),
                    officer="miller",
                )
            )
        else:
            precedence = ("flash", "immediate", "priority", "routine")[n % 4]
            send_messages(
                node,
                [peer],
                [NewMessage(f"Message {n}: request a call on the events of today.", precedence)],
            )


def median_ms(action: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = make_node(Path(tmp), args.peers)
        done = 0
        print(f"{args.peers} counterparts; every item open (undelivered)")
        print("items | build floor ms | render fragment ms | fragment KB (gzip) | live check ms")
        for size in sorted(args.sizes):
            fill(node, size - done)
            done = size
            floor = views.floor(node)  # warm: parse caches, templates compiled

            def rendered(floor: views.Floor = floor) -> str:
                return render("en", "_floor.html", floor=floor, me=None, may={}, party="us-dod")

            html = rendered().encode()
            build = median_ms(lambda: views.floor(node), args.runs)
            draw = median_ms(rendered, args.runs)
            check = median_ms(lambda: views.live_stamp(node), args.runs)
            print(
                f"{size:>5} | {build:>14.1f} | {draw:>18.1f} | "
                f"{len(html) / 1024:>8.0f} ({len(gzip.compress(html, 6)) / 1024:.0f}) | "
                f"{check:>13.2f}"
            )
        node.close()


if __name__ == "__main__":
    main()
