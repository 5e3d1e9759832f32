"""A real `voiceguide serve` on a free port of 127.0.0.1, for the server's tests and benchmarks.

Every request these helpers make goes to the loopback address and nowhere else."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"
URL = re.compile(r"^http://(?P<host>[^/:]+):(?P<port>\d+)/(?P<token>[A-Za-z0-9_-]+)/$")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Server:
    """``voiceguide serve ARGS --port 0`` in its own process; ``url`` is its first line."""

    def __init__(self, args: list[str], env: dict[str, str], deadline: float = 120.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voiceguide", "serve", *args, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self.lines: list[str] = []
        self.errors: list[str] = []
        threading.Thread(target=self._collect, args=(self.process.stderr, self.errors), daemon=True).start()
        self.url = self._first_line(deadline)
        match = URL.match(self.url)
        assert match, self.url
        self.shown_host, self.port, self.token = match["host"], int(match["port"]), match["token"]
        threading.Thread(target=self._collect, args=(self.process.stdout, self.lines), daemon=True).start()
        self._wait_until_answering(deadline)

    def _first_line(self, deadline: float) -> str:
        assert self.process.stdout is not None
        found: list[str] = []
        reader = threading.Thread(target=lambda: found.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(deadline)
        if not found or not found[0]:
            self.stop()
            raise AssertionError(f"serve printed no address; stderr: {''.join(self.errors)}")
        return found[0].strip()

    @staticmethod
    def _collect(stream: object, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def _wait_until_answering(self, deadline: float) -> None:
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            try:
                if self.get(f"/{self.token}/").status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"serve did not answer; stderr: {''.join(self.errors)}")

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, timeout: float = 300) -> Reply:
        """One request to 127.0.0.1 with ``path`` sent exactly as given."""
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for key, value in (headers or {}).items():
                connection.putheader(key, value)
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            connection.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers)

    def path(self, rest: str = "") -> str:
        return f"/{self.token}/{rest}"

    def local_url(self, rest: str = "") -> str:
        return f"http://{LOOPBACK}:{self.port}/{self.token}/{rest}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def cached(cache: Path, stem: str, suffix: str) -> Path:
    """The one file a session has in the render cache."""
    (found,) = [p for p in cache.glob(f"{stem}-*/{stem}.{suffix}") if not p.name.startswith(".")]
    return found


def probe_mp3(mp3: bytes) -> tuple[float, dict[str, float]]:
    """The MP3's length and each chapter's start, in seconds, as ffprobe reads its own frames."""
    import json
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".mp3") as handle:
        handle.write(mp3)
        handle.flush()
        command = ["ffprobe", "-v", "error", "-of", "json", "-show_chapters", "-show_format", handle.name]
        info = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
    return float(info["format"]["duration"]), {c["tags"]["title"]: float(c["start_time"]) for c in info["chapters"]}
