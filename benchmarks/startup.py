"""How fast the ``openline`` command line starts (issue 11, item 6: under 0.3 s).

Runs the installed ``openline`` entry point as an operator would, each command ``--runs``
times, and prints the minimum, median and maximum wall time per command:

* ``openline --version``;
* ``openline --help``;
* ``openline status DIR`` against a real running node (made with ``openline init`` in a
  temporary folder and served by ``python -m openline.cli run DIR`` in the background),
  which goes through the node's officers' API over HTTP.

    .venv/bin/python benchmarks/startup.py [--runs 20]

Not a test: wall-clock figures depend on the machine, which is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
OPENLINE = str(BIN / "openline") if (BIN / "openline").exists() else None


def command() -> list[str]:
    """The entry point script if installed next to this Python, else ``python -m``."""
    return [OPENLINE] if OPENLINE else [sys.executable, "-m", "openline.cli"]


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return (
        f"{model}, {cores} cores ({usable} usable), "
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(args: list[str], runs: int) -> tuple[list[float], set[int]]:
    """Wall times of ``runs`` runs, and the exit codes seen (printed when not 0)."""
    times = []
    codes = set()
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(args, check=False, capture_output=True, text=True, timeout=60)
        times.append(time.perf_counter() - start)
        codes.add(result.returncode)
    return times, codes


def start_node(root: Path) -> tuple[Path, subprocess.Popen[bytes]]:
    directory = root / "us-dod"
    port = free_port()
    subprocess.run(
        [
            *command(),
            "init",
            str(directory),
            "--party",
            "us-dod",
            "--name",
            "US-DOD",
            "--listen",
            f"127.0.0.1:{port}",
        ],
        check=True,
        capture_output=True,
    )
    log = (root / "node.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "openline.cli", "run", str(directory)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the node exited {process.returncode}; see {root / 'node.log'}")
        try:
            if json.loads((directory / "run.json").read_text()).get("url"):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    else:
        process.kill()
        raise SystemExit("the node did not write run.json within 30 s")
    return directory, process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per command (default 20)")
    options = parser.parse_args()

    print(f"machine: {machine()}")
    print(f"command: {' '.join(command())}  ({options.runs} runs each)")
    with tempfile.TemporaryDirectory(prefix="openline-startup-") as tmp:
        directory, process = start_node(Path(tmp))
        try:
            status = [*command(), "status", str(directory)]
            timed(status, 2)  # warm the page cache and the node's first request
            cases = {
                "openline --version": [*command(), "--version"],
                "openline --help": [*command(), "--help"],
                "openline status DIR (node running)": status,
            }
            print(f"{'command':<38} {'min':>8} {'median':>8} {'max':>8}")
            for name, args in cases.items():
                times, codes = timed(args, options.runs)
                note = "" if codes == {0} else f"  (exit {', '.join(map(str, sorted(codes)))})"
                print(
                    f"{name:<38} {min(times):>7.3f}s {statistics.median(times):>7.3f}s "
                    f"{max(times):>7.3f}s{note}"
                )
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
