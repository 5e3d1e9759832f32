"""Figure 11: time from a request for a session's MP3 to its first byte, through a real server
on 127.0.0.1: cached, and for a server just started (warm speech cache, a fresh render each time)."""

from __future__ import annotations

import http.client
import statistics
import time
from pathlib import Path

from bench.common import TINY, Bench, Figures, Row, median_of, voiceguide
from tests.support.served import Server

ROWS = (11,)

NOTES = [
    "Figures 11 and 12 run a real `voiceguide serve` on a free port of 127.0.0.1 and send every request there. Figure 11's cached first byte is timed from sending the request to reading the first byte of the body. `serve` prepares every session it offers from its start, in the background, and a request for one not yet ready puts it first; a session is served once its MP3 is complete. So the first byte of a session not yet made is timed from launching a fresh `serve` of that session alone (start-up included) to its first byte, the request sent as soon as the server answers; each copy of the script differs by a comment, which gives it its own content hash and so its own render. Its `export` runs as its own process (start-up included), right after, with the speech already cached for both.",
]


def first_byte(server: Server, slug: str) -> float:
    """Seconds from sending a request for a session's MP3 to reading its first byte."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    try:
        began = time.perf_counter()
        connection.request("GET", server.path(f"sessions/{slug}.mp3"))
        response = connection.getresponse()
        response.read(1)
        took = time.perf_counter() - began
        if response.status != 200:
            raise RuntimeError(f"{slug}: status {response.status}")
        response.read()
        return took
    finally:
        connection.close()


def run(bench: Bench) -> Figures:
    from voiceguide import library

    folder = bench.work / "serve-first"
    folder.mkdir(exist_ok=True)
    source = Path(TINY) if bench.quick else library.resolve("partner-massage")
    text = source.read_text()
    copies = []
    for n in range(bench.repeat + 1):  # each copy differs by a comment: its own content hash, its own render
        copy = folder / "scripts" / f"copy{n}.yaml"
        copy.parent.mkdir(exist_ok=True)
        copy.write_text(f"# copy {n}\n{text}")
        copies.append(copy)
    env = {**bench.env, "VOICEGUIDE_HOME": str(folder / "home")}
    voiceguide("export", str(copies[0]), "-o", str(folder / "warm"), "--force", env=env)  # speech into the cache
    server = Server([str(copies[0]), "--cache-dir", str(folder / "cache")], env)
    try:
        first_byte(server, "copy0")  # waits for copy0's render; every later request for it is cached
        cached_time, cached_all = median_of(bench.repeat + 4, lambda: first_byte(server, "copy0"))
    finally:
        server.stop()
    # Each first byte from a fresh server is paired with an export of the same copy right after
    # it, so that a busy machine slows both sides of each ratio alike.
    fresh, exports = [], []
    for n in range(1, bench.repeat + 1):
        began = time.perf_counter()
        server = Server([str(copies[n]), "--cache-dir", str(folder / "cache")], env)
        try:
            first_byte(server, f"copy{n}")
            fresh.append(time.perf_counter() - began)
        finally:
            server.stop()
        exports.append(voiceguide("export", str(copies[n]), "-o", str(folder / "warm"), "--force", env=env))
    on_demand, export_time = statistics.median(fresh), statistics.median(exports)
    bench.log(f"first byte: cached {cached_all}  from a fresh server {fresh}  export {exports}")
    ratio = statistics.median(f / e for f, e in zip(fresh, exports, strict=True))
    row = Row(
        11,
        f"`serve`: time to the first audio byte of {'a tiny session' if bench.quick else 'the partner massage'} over HTTP (127.0.0.1)",
        f"cached {cached_time * 1000:.1f} ms; not made yet, from launching `serve` {on_demand:.1f} s vs `export` of the same session {export_time:.1f} s: **{ratio:.2f}x** (median of paired runs)",
        "cached ≤ 50 ms; not made yet ≤ 1.1x export",
        cached_time <= 0.05 and ratio <= 1.1,
    )
    return Figures([row])
