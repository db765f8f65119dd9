"""How fast ``openline verify`` runs, ``--full`` and incremental, on a store of N entries.

    .venv/bin/python benchmarks/verify.py                 # 100k entries
    .venv/bin/python benchmarks/verify.py --entries 1000000 --dir /tmp/verify-1m

Builds two node homes (us-dod, prc-mnd) whose store holds one log us-dod→prc-mnd of N signed
hotline messages, with a signed checkpoint every ``--batch`` entries carrying prc-mnd's
receipt and us-dod's own timed cosignature, as delivery leaves them, and the stored Merkle
nodes (unless ``--no-nodes``). Signing runs on every core; rows go in with plain inserts.
A store already built in ``--dir`` with the same N is reused.

Then it times: the single-core Ed25519 verify rate of PyNaCl on leaves of this size (the
limit), the single-process entry check (hash, parse, signature), ``--full`` with the worker
processes, a first incremental run (no mark: a full check that writes the marks), and an
incremental run with the marks in place (the mark's check and the scrub), and prints
entries/s, peak memory and the machine.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import insert, select

from openline.core.card import Card, make_card, party_cosigner, party_signer
from openline.core.checkpoint import Checkpoint, sign_checkpoint
from openline.core.cosignature import cosign
from openline.core.entry import Entry, link_id
from openline.core.keys import PrivateKey
from openline.core.link import log_origin
from openline.core.merkle import Frontier, leaf_hash
from openline.core.note import add_signatures
from openline.core.timefmt import format_time
from openline.node import verify
from openline.node.home import NodeConfig, NodeHome
from openline.store import Store, schema

US, PRC = "us-dod", "prc-mnd"
START = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def _leaves(job: tuple[bytes, int, int]) -> list[tuple[int, str, bytes, str]]:
    """Sign entries ``start .. end - 1`` (in a worker): ``(seq, id, leaf, time)``."""
    seed, start, end = job
    key = PrivateKey.from_seed(seed)
    link = link_id(US, PRC)
    out = []
    for seq in range(start, end):
        moment = format_time(datetime.fromtimestamp(START.timestamp() + seq / 100, UTC))
        unsigned = {
            "version": 1,
            "link": link,
            "from": US,
            "to": PRC,
            "seq": seq,
            "time": moment,
            "kind": "hotline.message",
            "body": {
                "text": f"Message {seq}: the patrol returns to base at 0600, as agreed.",
                "lang": "en",
                "precedence": "routine",
            },
            "refs": [],
        }
        message = orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)
        signature = base64.b64encode(key.sign(message))
        # The canonical leaf: the same object with "sig", which sorts between seq and time.
        cut = message.index(b',"time":')
        leaf = message[:cut] + b',"sig":"' + signature + b'"' + message[cut:]
        out.append((seq, leaf_hash(leaf).hex(), leaf, moment))
    return out


def _bounded_map(
    pool: ProcessPoolExecutor, jobs: list[tuple[bytes, int, int]], ahead: int
) -> Iterator[list[tuple[int, str, bytes, str]]]:
    """``pool.map`` with at most ``ahead`` results waiting (map submits every job at once,
    and the results pile up in memory while this process inserts)."""
    waiting: deque[Future[list[tuple[int, str, bytes, str]]]] = deque()
    for job in jobs:
        waiting.append(pool.submit(_leaves, job))
        if len(waiting) >= ahead:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


def rss_of_tree() -> tuple[float, float]:
    """RSS in MiB of this process and of the largest of its descendants (the verify
    workers are children of the fork server, itself a child of this process)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))

    def rss(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    largest, todo = 0.0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        largest = max(largest, rss(pid))
        todo.extend(children.get(pid, []))
    return rss(os.getpid()), largest


def cpu_of_tree() -> float:
    """CPU seconds used so far by this process and its children, reaped or not: the verify
    workers are children of the fork server, a child of this process, which reaps them
    (their time then counts in its ``cutime``). Robust to other load on the machine, where
    wall time is not."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = time.process_time()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            # utime, stime, cutime, cstime: fields 14-17 of proc(5), 12-15 after the name.
            total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def make_home(root: Path, party: str, key: PrivateKey) -> NodeHome:
    home = NodeHome(root / party)
    config = NodeConfig(
        party=party,
        names={"en": party.upper()},
        listen="127.0.0.1:1",
        url="http://127.0.0.1:1",
        card_created=format_time(START),
    )
    home.create(config, key)
    return home


def build(
    root: Path, entries: int, batch: int, nodes: bool
) -> tuple[Store, dict[str, Card], PrivateKey]:
    marker = root / f"built-{entries}-{batch}-{int(nodes)}"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        us_key, prc_key = PrivateKey.generate(), PrivateKey.generate()
        make_home(root, US, us_key)
        make_home(root, PRC, prc_key)
        (root / "keys").write_bytes(us_key.seed + prc_key.seed)
    seeds = (root / "keys").read_bytes()
    us_key, prc_key = PrivateKey.from_seed(seeds[:32]), PrivateKey.from_seed(seeds[32:])
    home = NodeHome(root / US)
    cards = {
        party: make_card(
            party=party,
            names={"en": party.upper()},
            urls=["http://127.0.0.1:1"],
            created=format_time(START),
            key=key,
        )
        for party, key in ((US, us_key), (PRC, prc_key))
    }
    store = Store.open_url(home.database_url(home.load_config()))
    if marker.exists():
        return store, cards, us_key
    started = time.perf_counter()
    signer, own, receipt = (
        party_signer(US, us_key),
        party_cosigner(US, us_key),
        party_cosigner(PRC, prc_key),
    )
    frontier = Frontier()
    step = 10_000
    jobs = [(us_key.seed, start, min(start + step, entries)) for start in range(0, entries, step)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for rows in _bounded_map(pool, jobs, 4):
            entry_rows: list[dict[str, Any]] = []
            node_rows: list[dict[str, Any]] = []
            checkpoint_rows: list[dict[str, Any]] = []
            cosignature_rows: list[dict[str, Any]] = []
            for seq, entry_id, leaf, moment in rows:
                entry_rows.append(
                    {
                        "log_sender": US,
                        "log_recipient": PRC,
                        "seq": seq,
                        "id": entry_id,
                        "leaf": leaf,
                        "kind": "hotline.message",
                        "time": moment,
                        "stored_at": moment,
                    }
                )
                for level, index, node in frontier.append(bytes.fromhex(entry_id)):
                    node_rows.append(
                        {
                            "log_sender": US,
                            "log_recipient": PRC,
                            "level": level,
                            "idx": index,
                            "hash": node,
                        }
                    )
                if frontier.size % batch == 0 or frontier.size == entries:
                    checkpoint = Checkpoint(log_origin(US, PRC), frontier.size, frontier.root())
                    at = int(START.timestamp() + frontier.size / 100) + 1
                    cosignatures = [cosign(checkpoint, receipt, at), cosign(checkpoint, own, at)]
                    note = add_signatures(
                        sign_checkpoint(checkpoint, signer), [cosignatures[1].to_note_signature()]
                    )
                    checkpoint_rows.append(
                        {
                            "log_sender": US,
                            "log_recipient": PRC,
                            "size": checkpoint.size,
                            "root": checkpoint.root,
                            "note": note,
                            "seen": len(checkpoint_rows) + frontier.size,
                        }
                    )
                    for cosignature in cosignatures:
                        cosignature_rows.append(
                            {
                                "log_sender": US,
                                "log_recipient": PRC,
                                "size": checkpoint.size,
                                "cosigner": cosignature.name,
                                "timestamp": cosignature.timestamp,
                                "line": cosignature.to_line(),
                                "seen": 2 * frontier.size + len(cosignature_rows),
                            }
                        )
            with store.write() as connection:
                connection.execute(insert(schema.entries), entry_rows)
                if nodes and node_rows:
                    connection.execute(insert(schema.merkle_nodes), node_rows)
                if checkpoint_rows:
                    connection.execute(insert(schema.checkpoints), checkpoint_rows)
                    connection.execute(insert(schema.cosignatures), cosignature_rows)
            print(f"\r  built {frontier.size:,} entries", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"built {entries:,} entries in {elapsed:.1f} s ({entries / elapsed:,.0f}/s)")
    with store.read() as connection:
        leaf = connection.execute(select(schema.entries.c.leaf).limit(1)).scalar_one()
    Entry.from_leaf(leaf)  # the hand-made leaves are real entries
    marker.touch()
    return store, cards, us_key


def ed25519_rate(store: Store, cards: dict[str, Card]) -> float:
    """Single-core PyNaCl verifies per second over real leaves (message = signing input)."""
    with store.read() as connection:
        leaves = [
            bytes(row)
            for row in connection.execute(select(schema.entries.c.leaf).limit(3000)).scalars()
        ]
    parsed = [Entry.from_leaf(leaf) for leaf in leaves]
    pairs = [(entry.signing_input(), entry.signature) for entry in parsed]
    key = cards[US].key
    best = 0.0
    for _ in range(3):
        started = time.process_time()
        for message, signature in pairs:
            key.verify(message, signature)
        best = max(best, len(pairs) / (time.process_time() - started))
    return best


def entry_check_rate(store: Store, cards: dict[str, Card]) -> float:
    """Single-process rate of the whole per-entry check (hash, parse, signature)."""
    with store.read() as connection:
        rows = [
            (int(r.seq), r.id, bytes(r.leaf), r.kind, r.time)
            for r in connection.execute(select(schema.entries).where(schema.entries.c.seq < 3000))
        ]
    raw = (cards[US].key.raw,)
    best = 0.0
    for _ in range(3):
        started = time.process_time()
        assert verify._check_entries((f"{US}→{PRC}", US, PRC, raw, rows)) is None
        best = max(best, len(rows) / (time.process_time() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="entries per checkpoint")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/openline-verify-bench"))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--no-nodes", action="store_true", help="store no Merkle nodes")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    load = os.getloadavg()
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{verify.usable_cores()} usable cores, Python {platform.python_version()}, "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    if args.build_only:
        build(args.dir, args.entries, args.batch, not args.no_nodes)[0].close()
        return
    if not (args.dir / f"built-{args.entries}-{args.batch}-{int(not args.no_nodes)}").exists():
        # In another process, so that the peak memory printed below is verify's own.
        subprocess.run([sys.executable, __file__, "--build-only", *sys.argv[1:]], check=True)
    store, cards, key = build(args.dir, args.entries, args.batch, not args.no_nodes)
    limit = ed25519_rate(store, cards)
    single = entry_check_rate(store, cards)
    print(f"Ed25519 verify, one core (PyNaCl):  {limit:,.0f} per CPU-second")
    print(f"entry check, one process:          {single:,.0f} per CPU-second")
    print(f"Ed25519 limit for all cores:       {limit * verify.usable_cores():,.0f}/s")

    with store.write() as connection:  # start from no mark
        connection.execute(schema.verified_marks.delete())
    peak = [0.0, 0.0]
    results: dict[str, float] = {}

    def timed(label: str, **options: Any) -> verify.VerifyReport:
        last = [0.0]

        def progress(done: int, total: int, log: str) -> None:
            now = time.perf_counter()
            if now - last[0] > 1 or done == total:
                last[0] = now
                own, worker = rss_of_tree()
                peak[0], peak[1] = max(peak[0], own), max(peak[1], worker)
                print(f"\r  {label}: {done:,}/{total:,} {log}", end="", file=sys.stderr)

        before = cpu_of_tree()
        report = verify.verify_store(
            store, cards, key=key, progress=progress, workers=args.workers, **options
        )
        time.sleep(0.3)  # let the fork server reap the workers, so that their time counts
        cpu = cpu_of_tree() - before
        print(file=sys.stderr)
        assert report.ok, report.problems
        # On idle cores the run takes at least its CPU time spread over the cores it uses.
        idle = max(cpu / report.workers, 1e-9)
        print(
            f"{label:<28} {report.seconds:7.2f} s {report.entries:>9,} entries "
            f"{report.entries_per_second:>8,.0f}/s wall, {cpu:6.1f} CPU-s, "
            f"{report.entries / idle:>8,.0f}/s on {report.workers} idle core(s) "
            f"({report.checkpoints:,} checkpoints, {report.cosignatures:,} cosignatures)"
        )
        results[label] = report.entries / idle
        return report

    full = timed("verify --full", full=True)
    with store.write() as connection:
        connection.execute(schema.verified_marks.delete())
    timed("incremental, no mark yet")
    timed("incremental, mark in place")
    timed("incremental, no scrub", scrub_budget=0)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS: this process {own:.0f} MiB (sampled while verifying: {peak[0]:.0f} MiB), "
        f"largest worker {peak[1]:.0f} MiB"
    )
    cores = verify.usable_cores()
    load = os.getloadavg()
    print(
        f"--full: {full.entries_per_second:,.0f} entries/s measured (load now {load[0]:.2f}), "
        f"{results['verify --full']:,.0f} entries/s on idle cores by CPU time = "
        f"{results['verify --full'] / (limit * cores):.0%} of the Ed25519 limit of {cores} "
        f"cores ({limit * cores:,.0f}/s)"
    )
    store.close()


if __name__ == "__main__":
    main()
