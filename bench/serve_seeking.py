"""Figure 12: 20 clients at once, each seeking at random in one file: a new connection and a
64 KiB Range request per seek, as a player does after a jump. Bounded in count and time."""

from __future__ import annotations

import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import TINY, Bench, Figures, Row
from tests.support.served import Server

ROWS = (12,)

NOTES = [
    "Figure 12's 20 clients run at once, each on its own thread, each seek a new connection asking for 64 KiB from a random offset (a player's read after a jump); the count of requests and the time are bounded.",
]


def _probe_minutes(cache: Path, slug: str) -> float:
    (path,) = cache.glob(f"{slug}-*/{slug}.mp3")
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(out) / 60


def run(bench: Bench) -> Figures:
    folder = bench.work / "serve-seek"
    env = {**bench.env, "VOICEGUIDE_HOME": str(folder / "home")}
    target = TINY if bench.quick else "partner-back-massage"
    extra = [] if bench.quick else ["--length", "30m"]
    server = Server([target, "--cache-dir", str(folder / "cache"), *extra], env)
    clients, seeks = 20, 5 if bench.quick else 40
    try:
        slug = "tiny-session" if bench.quick else "partner-back-massage"
        path = server.path(f"sessions/{slug}.mp3")
        size = int(server.request("HEAD", path).headers["content-length"])
        minutes = _probe_minutes(folder / "cache", slug)
        chunk = 65536

        def client(seed: int) -> list[float]:
            rng = random.Random(seed)
            times = []
            deadline = time.monotonic() + 120
            for _ in range(seeks):
                if time.monotonic() > deadline:
                    raise RuntimeError("seeking took longer than its bound")
                start = rng.randrange(0, size - chunk)
                began = time.perf_counter()
                reply = server.request("GET", path, {"Range": f"bytes={start}-{start + chunk - 1}"}, timeout=30)
                took = time.perf_counter() - began
                if reply.status != 206 or len(reply.body) != chunk:
                    raise RuntimeError(f"seek to {start}: status {reply.status}, {len(reply.body)} bytes")
                times.append(took)
            return times

        with ThreadPoolExecutor(clients) as pool:
            futures = [pool.submit(client, n) for n in range(clients)]
            results: list[float] = []
            errors = 0
            for future in futures:
                try:
                    results += future.result()
                except Exception as exc:  # counted, and named in the log
                    errors += 1
                    bench.log(f"seek client failed: {exc}")
    finally:
        server.stop()
    results.sort()
    p50 = results[len(results) // 2] if results else float("nan")
    p99 = results[min(len(results) - 1, int(len(results) * 0.99))] if results else float("nan")
    bench.log(f"seeking: {len(results)} requests, p50 {p50:.4f} s, p99 {p99:.4f} s, {errors} failed clients")
    row = Row(
        12,
        f"`serve`: {clients} clients seeking at random at once in a {minutes:.1f}-minute MP3 ({clients * seeks} Range requests of 64 KiB, a new connection each)",
        f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, {errors} errors",
        "p99 ≤ 250 ms; no errors",
        p99 <= 0.25 and errors == 0,
    )
    return Figures([row])
