"""`voiceguide serve` as a real uvicorn server on a free port of 127.0.0.1: the token, 404s,
traversal attempts, Range requests, HEAD, every session prepared from the start (each once,
however many ask; a failure kept to its session; Ctrl-C stopping it cleanly), the page, the
feed parsed back, and --lan's address and QR code. Every request goes to 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import segno
from mutagen.id3 import ID3
from typer.testing import CliRunner

from voiceguide.cli import app
from voiceguide.serve.access import lan_address

from .support.served import Server, cached, probe_mp3
from .support.sessions import BREATH, STRETCH

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
PODCAST = "{https://podcastindex.org/namespace/1.0}"

FRESH = """\
title: Neck release
summary: Ease the neck with slow tilts.
areas: [neck]
safety: Move gently.
steps:
  - section: Tilt
  - say: Let your head tip slowly toward one shoulder.
  - hold: 4s
  - section: Return
  - say: Bring your head back to the middle.
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("serve")
    scripts = base / "scripts"
    scripts.mkdir()
    (scripts / "shoulder-rolls.yaml").write_text(STRETCH)
    (scripts / "calm-breaths.yaml").write_text(BREATH)
    (base / "neck-release.yaml").write_text(FRESH)
    return base


def start(folder: Path, speech_cache: Path, *extra: str) -> Server:
    env = {"VOICEGUIDE_HOME": str(folder / "home"), "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    return Server(
        [str(folder / "scripts"), str(folder / "neck-release.yaml"), "--cache-dir", str(folder / "cache"), *extra], env
    )


@pytest.fixture(scope="module")
def server(folder: Path, speech_cache: Path) -> Iterator[Server]:
    running = start(folder, speech_cache)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def mp3(server: Server, folder: Path) -> bytes:
    """The shoulder-rolls MP3: the first request waits for its render if need be."""
    reply = server.get(server.path("sessions/shoulder-rolls.mp3"))
    assert reply.status == 200, reply.body[:200]
    assert reply.body == cached(folder / "cache", "shoulder-rolls", "mp3").read_bytes()
    return reply.body


def test_the_first_line_is_the_full_url_and_the_token_is_kept(server: Server, folder: Path, speech_cache: Path) -> None:
    assert server.shown_host == "127.0.0.1"
    token_file = folder / "home" / "serve-token"
    assert token_file.read_text().strip() == server.token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    again = start(folder, speech_cache)
    try:
        assert again.token == server.token and again.port != server.port
    finally:
        again.stop()


def test_without_the_token_everything_is_404(server: Server, mp3: bytes) -> None:
    wrong = "A" * len(server.token)
    for path in (
        "/",
        "/feed.xml",
        f"/{wrong}/",
        f"/{wrong}/feed.xml",
        f"/{wrong}/sessions/shoulder-rolls.mp3",
        f"/{server.token[:-1]}/sessions/shoulder-rolls.mp3",
        "/sessions/shoulder-rolls.mp3",
        f"/{wrong}/status/shoulder-rolls.json",
    ):
        reply = server.get(path)
        assert reply.status == 404, path
        assert mp3[:64] not in reply.body
    assert server.request("POST", server.path()).status == 404  # read-only, and says nothing more
    assert server.request("DELETE", server.path("sessions/shoulder-rolls.mp3")).status == 404
    assert server.get(server.path()).status == 200


def test_traversal_attempts_reach_nothing(server: Server, folder: Path, mp3: bytes) -> None:
    secret = folder / "secret.txt"
    secret.write_text("not for the phone")
    for rest in (
        "../secret.txt",
        "sessions/../../secret.txt",
        "sessions/..%2f..%2fsecret.txt",
        "sessions/%2e%2e%2f%2e%2e%2fsecret.txt",
        "sessions/..%5csecret.txt",
        "sessions/%2e%2e.mp3",
        "sessions/..%2fshoulder-rolls.mp3",
        "sessions/shoulder-rolls.mp3%00.png",
        "sessions/shoulder-rolls%2f..%2f..%2fsecret.mp3",
        "sessions/%252e%252e%252fsecret.txt",
        "sessions/shoulder-rolls.yaml",
        "sessions/shoulder-rolls.lrc",
        "sessions/voiceguide.m3u8",
        "status/..%2fsecret.json",
        "%2e%2e/%2e%2e/etc/passwd",
    ):
        reply = server.get(server.path(rest))
        assert reply.status == 404, rest
        assert b"not for the phone" not in reply.body


def test_a_link_in_the_cache_is_never_followed(server: Server, folder: Path) -> None:
    assert server.get(server.path("sessions/calm-breaths.mp3")).status == 200
    captions = cached(folder / "cache", "calm-breaths", "vtt")
    assert server.get(server.path("sessions/calm-breaths.vtt")).body == captions.read_bytes()
    outside = folder / "outside.txt"
    outside.write_text("WEBVTT outside the cache")
    captions.unlink()
    captions.symlink_to(outside)
    reply = server.get(server.path("sessions/calm-breaths.vtt"))
    assert reply.status == 404 and b"outside" not in reply.body


def test_range_requests(server: Server, mp3: bytes) -> None:
    path = server.path("sessions/shoulder-rolls.mp3")
    size = len(mp3)
    whole = server.get(path)
    assert whole.status == 200 and whole.headers["accept-ranges"] == "bytes"
    assert int(whole.headers["content-length"]) == size and whole.headers["content-type"] == "audio/mpeg"
    middle = size // 2
    for wanted, start, end in (
        ("bytes=0-1", 0, 1),  # how Apple's player begins
        ("bytes=0-0", 0, 0),
        (f"bytes={middle}-{middle + 4095}", middle, middle + 4095),
        (f"bytes={size - 1}-{size - 1}", size - 1, size - 1),
        ("bytes=-1", size - 1, size - 1),
        (f"bytes={size - 100}-", size - 100, size - 1),
    ):
        reply = server.get(path, {"Range": wanted})
        assert reply.status == 206, wanted
        assert reply.headers["content-range"] == f"bytes {start}-{end}/{size}", wanted
        assert reply.body == mp3[start : end + 1], wanted
    for past in (f"bytes={size}-", f"bytes={size + 1000}-{size + 2000}"):
        reply = server.get(path, {"Range": past})
        assert reply.status == 416, past
        assert reply.headers["content-range"] == f"bytes */{size}"


def test_head_sends_the_headers_alone(server: Server, mp3: bytes) -> None:
    reply = server.request("HEAD", server.path("sessions/shoulder-rolls.mp3"))
    assert reply.status == 200 and reply.body == b""
    assert int(reply.headers["content-length"]) == len(mp3) and reply.headers["accept-ranges"] == "bytes"
    ranged = server.request("HEAD", server.path("sessions/shoulder-rolls.mp3"), {"Range": "bytes=0-1"})
    assert ranged.status == 206 and ranged.body == b"" and ranged.headers["content-length"] == "2"


def test_two_first_requests_wait_for_one_render(server: Server, folder: Path) -> None:
    barrier = threading.Barrier(2)
    replies: list[bytes] = []

    def fetch() -> None:
        barrier.wait()
        reply = server.get(server.path("sessions/neck-release.mp3"))
        assert reply.status == 200
        replies.append(reply.body)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert len(replies) == 2 and replies[0] == replies[1] and replies[0][:3] == b"ID3"
    assert replies[0] == cached(folder / "cache", "neck-release", "mp3").read_bytes()
    status = json.loads(server.get(server.path("status/neck-release.json")).body)
    assert status["state"] == "ready" and status["renders"] == 1
    assert "".join(server.errors).count("rendering neck-release (mp3)") == 1


def test_the_m4b_is_made_on_demand(server: Server, folder: Path, mp3: bytes) -> None:
    first = json.loads(server.get(server.path("status/shoulder-rolls.json?start=1")).body)
    assert first["state"] == "ready" and first["renders"] == 1  # rendered already: nothing starts
    assert server.get(server.path("sessions/shoulder-rolls.m4b")).status == 200
    m4b = cached(folder / "cache", "shoulder-rolls", "m4b")
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-of", "json", "-show_chapters", str(m4b)], capture_output=True, check=True
        ).stdout
    )
    assert [c["tags"]["title"] for c in probe["chapters"]] == ["Forward rolls", "Backward rolls", "Rest"]
    reply = server.get(server.path("sessions/shoulder-rolls.m4b"), {"Range": "bytes=0-1"})
    assert reply.status == 206 and reply.headers["content-type"] == "audio/mp4"
    assert "shoulder-rolls.m4b" in reply.headers["content-disposition"]
    assert "".join(server.errors).count("rendering shoulder-rolls (mp3)") == 1


def _session_folder(script: Path, cache: Path) -> Path:
    """Where the server keeps ``script``'s files when served with the default options and --no-notes."""
    from voiceguide.cli.options import render_options
    from voiceguide.practice.sessions import load
    from voiceguide.serve.catalog import Catalog

    catalog = Catalog([load(str(script), with_notes=False)], render_options(None, "normal", None, None, 1), cache)
    (listing,) = catalog.offered()  # nothing was asked of it: its render thread waits, idle
    return catalog.folder(listing)


def _feed_titles(running: Server) -> list[str]:
    root = ET.fromstring(running.get(running.path("feed.xml")).body)
    return [item.findtext("title") or "" for item in root.iter("item")]


def test_every_session_is_prepared_from_the_start(tmp_path: Path) -> None:
    """No request starts a render: the feed fills by itself, while the page says how far it is.
    The first session cannot be written (a folder stands where its MP3 goes): it is shown as
    failed, and the others are prepared all the same. The speech cache starts empty, so the
    preparation is still going on when the page is first fetched."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "arm-swing.yaml").write_text(FRESH.replace("Neck release", "Arm swing"))
    (scripts / "neck.yaml").write_text(FRESH)
    (scripts / "shoulder-rolls.yaml").write_text(STRETCH)
    blocked = _session_folder(scripts / "arm-swing.yaml", tmp_path / "cache") / "arm-swing.mp3"
    blocked.mkdir(parents=True)
    env = {"VOICEGUIDE_HOME": str(tmp_path / "home"), "VOICEGUIDE_CACHE_DIR": str(tmp_path / "speech")}
    running = Server([str(scripts), "--no-notes", "--cache-dir", str(tmp_path / "cache")], env)
    try:
        page = running.get(running.path()).body.decode()
        assert re.search(r'<p class="preparing" aria-live="polite">Preparing [1-3] of 3: [A-Z]', page), page[:3000]
        lines = []
        until = time.monotonic() + 300
        while len(titles := _feed_titles(running)) < 2:
            progress = json.loads(running.get(running.path("status.json")).body)
            lines.append(progress["preparing"])
            assert time.monotonic() < until, (titles, progress)
            time.sleep(0.1)
        assert titles == ["Neck release", "Shoulder rolls"]
        # The run may end between the feed's fetch and the status's: then its last line is the summary.
        done = "2 of 3 sessions ready; 1 could not be prepared"
        assert set(lines[:-1] if lines[-1:] == [done] else lines) <= {
            "Preparing 1 of 3: Arm swing",
            "Preparing 1 of 3: Neck release",
            "Preparing 2 of 3: Neck release",
            "Preparing 2 of 3: Shoulder rolls",
            "Preparing 3 of 3: Shoulder rolls",
            "",
        }, lines
        # The feed lists a session once its file is whole; the line says the run is over a moment
        # later, once the preparing thread has recorded it.
        while (progress := json.loads(running.get(running.path("status.json")).body))["preparing"].startswith(
            "Preparing"
        ):
            assert time.monotonic() < until, progress
            time.sleep(0.1)
        assert progress["preparing"] == done
        states = {slug: status["state"] for slug, status in progress["sessions"].items()}
        assert states == {"arm-swing": "failed", "neck": "ready", "shoulder-rolls": "ready"}
        assert {status["renders"] for status in progress["sessions"].values()} == {1}  # each started once, by itself
        assert "arm-swing.mp3" in progress["sessions"]["arm-swing"]["error"]
        page = running.get(running.path()).body.decode()
        assert page.count("<audio") == 2 and page.count(">Try again</button>") == 1
        assert "Could not prepare it: " in page and "Prepare this session" not in page
        errors = "".join(running.errors)
        for slug in ("arm-swing", "neck", "shoulder-rolls"):
            assert errors.count(f"rendering {slug} (mp3)") == 1, errors
    finally:
        running.stop()
    assert blocked.is_dir() and not list((tmp_path / "cache").rglob("*voiceguide-tmp*"))


def test_a_session_in_the_cache_is_ready_at_once(server: Server, folder: Path, speech_cache: Path, mp3: bytes) -> None:
    """A second server on the same cache renders nothing that the first one made."""
    until = time.monotonic() + 300
    while len(_feed_titles(server)) < 3:
        assert time.monotonic() < until
        time.sleep(0.1)
    again = start(folder, speech_cache)
    try:
        progress = json.loads(again.get(again.path("status.json")).body)
        assert progress["preparing"] == ""
        assert {status["state"] for status in progress["sessions"].values()} == {"ready"}
        assert {status["renders"] for status in progress["sessions"].values()} == {0}
        assert len(_feed_titles(again)) == 3 and "rendering" not in "".join(again.errors)
    finally:
        again.stop()


def test_ctrl_c_stops_the_preparation_and_leaves_no_partial_file(tmp_path: Path, speech_cache: Path) -> None:
    """Ctrl-C while the first of three long sessions is being mixed: the server exits with 130,
    that session has no MP3, the next ones were never started, and no temporary file is left."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name in ("a-long-rest", "b-long-rest", "c-long-rest"):
        (scripts / f"{name}.yaml").write_text(f"title: {name}\nsteps:\n  - say: Rest.\n  - hold: 120s\n")
    env = {"VOICEGUIDE_HOME": str(tmp_path / "home"), "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    running = Server([str(scripts), "--cache-dir", str(tmp_path / "cache")], env)
    try:
        until = time.monotonic() + 300
        while (state := json.loads(running.get(running.path("status/a-long-rest.json")).body))["stage"] != "mix":
            assert state["state"] in ("waiting", "rendering") and time.monotonic() < until, state
            time.sleep(0.02)
        running.process.send_signal(signal.SIGINT)
        assert running.process.wait(120) == 130
    finally:
        running.stop()
    errors = "".join(running.errors)
    assert "Traceback" not in errors and "rendering b-long-rest" not in errors, errors
    cache = tmp_path / "cache"
    assert not list(cache.rglob("*.mp3")) and not list(cache.glob("b-*")) and not list(cache.glob("c-*"))
    assert not list(cache.rglob("*voiceguide-tmp*"))


def test_the_page(server: Server, mp3: bytes) -> None:
    reply = server.get(server.path())
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/html")
    page = reply.body.decode()
    for text in ("Shoulder rolls", "Loosen the shoulders with slow rolls.", "Two calm breaths", "Neck release", "neck"):
        assert text in page, text
    assert '<meta name="viewport"' in page and "prefers-color-scheme: dark" in page
    assert 'src="sessions/shoulder-rolls.mp3"' in page and 'src="sessions/shoulder-rolls.vtt"' in page
    assert (
        'href="sessions/shoulder-rolls.mp3" download' in page and 'href="sessions/shoulder-rolls.m4b" download' in page
    )
    _, chapters = probe_mp3(mp3)
    assert f'<button type="button" data-start="{chapters["Backward rolls"]:.3f}">Backward rolls' in page
    # Nothing from elsewhere: every address in the page is relative to it.
    addresses = re.findall(r"""(?:src|href|url)\s*[=(]\s*["']?([^"' )>]+)""", page)
    assert addresses and all(not re.match(r"^(?:[a-z]+:)?//", a) for a in addresses), addresses
    assert "@import" not in page
    cover = server.get(server.path("sessions/shoulder-rolls.png"))
    assert cover.status == 200 and cover.body.startswith(b"\x89PNG")


def test_the_feed_parses_back(server: Server, folder: Path, mp3: bytes) -> None:
    reply = server.get(server.path("feed.xml"))
    assert reply.status == 200 and reply.headers["content-type"].startswith("application/rss+xml")
    assert b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"' in reply.body
    assert b'xmlns:podcast="https://podcastindex.org/namespace/1.0"' in reply.body
    root = ET.fromstring(reply.body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None and channel.findtext("title") == "voiceguide"
    assert channel.find(f"{ITUNES}image").get("href") == server.local_url("cover.png")
    items = channel.findall("item")
    titles = [item.findtext("title") for item in items]
    assert "Shoulder rolls" in titles and len(titles) == len(set(titles))
    for item in items:
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false"
        assert re.fullmatch(r"voiceguide:[a-z0-9-]+:[0-9a-f]{20}", guid.text or "")
        enclosure = item.find("enclosure")
        assert enclosure is not None and enclosure.get("type") == "audio/mpeg"
        url = enclosure.get("url") or ""
        assert url.startswith(server.local_url("sessions/"))
        body = server.get(url.removeprefix(f"http://127.0.0.1:{server.port}")).body
        assert int(enclosure.get("length") or 0) == len(body)
        hours, minutes, seconds = map(int, (item.findtext(f"{ITUNES}duration") or "").split(":"))
        file = Path(folder / "scratch.mp3")
        file.write_bytes(body)
        probed = float(
            subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(file)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        assert abs(hours * 3600 + minutes * 60 + seconds - probed) <= 1.0
        image = item.find(f"{ITUNES}image")
        assert (
            image is not None and server.get(image.get("href", "").split(str(server.port), 1)[1]).body[:4] == b"\x89PNG"
        )
        chapters = item.find(f"{PODCAST}chapters")
        assert chapters is not None and chapters.get("type") == "application/json+chapters"
        got = server.get((chapters.get("url") or "").split(str(server.port), 1)[1])
        assert got.headers["content-type"] == "application/json+chapters"
        document = json.loads(got.body)
        assert document["version"] == "1.2.0"
        frames = sorted(ID3(file).getall("CHAP"), key=lambda c: c.start_time)
        assert [(c["startTime"], c["endTime"], c["title"]) for c in document["chapters"]] == [
            (f.start_time / 1000, f.end_time / 1000, str(f.sub_frames["TIT2"])) for f in frames
        ]
    shoulder = next(item for item in items if item.findtext("title") == "Shoulder rolls")
    assert int(shoulder.find("enclosure").get("length")) == len(mp3)


def test_the_guid_is_stable_across_restarts(server: Server, folder: Path, speech_cache: Path, mp3: bytes) -> None:
    def guids(running: Server) -> dict[str, str]:
        root = ET.fromstring(running.get(running.path("feed.xml")).body)
        return {i.findtext("title") or "": i.findtext("guid") or "" for i in root.iter("item")}

    before = guids(server)
    again = start(folder, speech_cache)
    try:
        assert guids(again)["Shoulder rolls"] == before["Shoulder rolls"]
    finally:
        again.stop()


def test_lan_prints_the_lan_url_and_its_qr_code(folder: Path, speech_cache: Path) -> None:
    address = lan_address()
    assert not address.startswith("127.") and address != "0.0.0.0"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))  # it is one of this machine's own addresses (nothing is sent)
    running = start(folder, speech_cache, "--lan", "--host", "0.0.0.0")
    try:
        assert running.url == f"http://{address}:{running.port}/{running.token}/"
        assert "localhost" not in running.url and "127.0.0.1" not in running.url
        until = time.monotonic() + 30
        while not any(line.startswith("podcast feed:") for line in running.lines) and time.monotonic() < until:
            time.sleep(0.05)
        printed = "".join(running.lines)
        qr = printed[: printed.index("podcast feed:")]
        expected = _terminal_qr(running.url)
        assert qr == expected and len(qr.splitlines()) > 10
        assert f"podcast feed: {running.url}feed.xml" in printed
        # Bound to every interface, reached through the loopback address only.
        assert running.get(running.path()).status == 200
        feed = ET.fromstring(running.get(running.path("feed.xml")).body)
        assert feed.find("channel/link").text == running.local_url()
    finally:
        running.stop()


def _terminal_qr(url: str) -> str:
    import io

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def _plan_home(home: Path) -> tuple[dict[str, str], str, str]:
    """A library of one technique; a plan with it today and on the day before, and a note on
    it. Returns the environment that holds them, today and the day before.

    Its zone is one where today is not a Monday and midnight is not near, so that the day
    before comes first in the plan's own (weekly) order and today's session has to be moved."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from voiceguide.practice.plan import DAYS

    now = dt.datetime.now(dt.UTC)
    for zone in ("UTC", "Pacific/Kiritimati", "Etc/GMT+12"):  # UTC, +14 h and -12 h
        local = now.astimezone(ZoneInfo(zone))
        if local.weekday() != 0 and dt.time(0, 10) < local.time() < dt.time(23, 50):
            break
    else:
        raise AssertionError("no zone fits")  # cannot happen: the three span 26 hours
    today, before = DAYS[local.weekday()], DAYS[local.weekday() - 1]
    (home / "library").mkdir(parents=True)
    (home / "library" / "quiet-breath.yaml").write_text(
        "title: Quiet breath\nsteps:\n  - say: Sit comfortably.\n  - hold: 2s to 8s\n"
    )
    env = {"VOICEGUIDE_HOME": str(home), "VOICEGUIDE_LIBRARY": str(home / "library")}
    (home / "plan.yaml").write_text(
        f'goal: stress-relief\nminutes: 1\ntime: "20:00"\nzone: {zone}\ndays:\n  {before}:\n    - quiet-breath: 10s\n'
        f"  {today}:\n    - quiet-breath: 12s\n"
    )
    result = CliRunner().invoke(app, ["note", "add", "Breathe low", "--technique", "quiet-breath"], env=env)
    assert result.exit_code == 0, result.output
    return env, today, before


def test_a_plan_is_served_with_today_first(tmp_path: Path, speech_cache: Path) -> None:
    from voiceguide.practice.plan import DAY_NAMES

    env, today, other = _plan_home(tmp_path / "home")
    first, second = f"plan-{DAY_NAMES[today].lower()}", f"plan-{DAY_NAMES[other].lower()}"
    env["VOICEGUIDE_CACHE_DIR"] = str(speech_cache)
    running = Server(["--plan", "--voice", "system", "--music", "none", "--cache-dir", str(tmp_path / "cache")], env)
    try:
        page = running.get(running.path()).body.decode()
        order = re.findall(r'<article class="session( today)?" id="s-([a-z-]+)"', page)
        assert order == [(" today", first), ("", second)], order  # in the plan, the day before comes first
        assert page.count('class="badge">Today<') == 1
        reply = running.get(running.path(f"sessions/{first}.mp3"))
        assert reply.status == 200, reply.body[:300]
        folder = cached(tmp_path / "cache", first, "mp3").parent
        assert "Breathe low" in (folder / f"{first}.vtt").read_text(), "the therapist's note is spoken"
        assert str(ID3(folder / f"{first}.mp3")["TIT2"]).startswith(f"{DAY_NAMES[today]} practice")
        until = time.monotonic() + 300
        while (state := json.loads(running.get(running.path(f"status/{second}.json")).body))["state"] != "ready":
            assert state["state"] != "failed" and time.monotonic() < until, state
            time.sleep(0.1)
        channel = ET.fromstring(running.get(running.path("feed.xml")).body).find("channel")
        assert channel is not None
        titles = [item.findtext("title") or "" for item in channel.iter("item")]
        assert [t.split(" ")[0] for t in titles] == [DAY_NAMES[today], DAY_NAMES[other]], titles
    finally:
        running.stop()


def test_today_is_a_target_and_no_plan_is_one_line(tmp_path: Path, speech_cache: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--plan"], env={"VOICEGUIDE_HOME": str(tmp_path / "none")})
    assert result.exit_code == 2 and "there is no plan yet" in result.output and "Traceback" not in result.output
    env, today, _other = _plan_home(tmp_path / "home")
    env["VOICEGUIDE_CACHE_DIR"] = str(speech_cache)
    running = Server(["today", "--no-notes", "--voice", "system", "--cache-dir", str(tmp_path / "cache")], env)
    try:
        page = running.get(running.path()).body.decode()
        from voiceguide.practice.plan import DAY_NAMES

        assert re.findall(r'id="s-([a-z-]+)"', page) == [f"plan-{DAY_NAMES[today].lower()}"]
        assert 'class="badge">Today<' in page
    finally:
        running.stop()


def test_bad_input_and_a_busy_port(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"VOICEGUIDE_HOME": str(tmp_path / "home")}
    result = runner.invoke(app, ["serve"], env=env)
    assert result.exit_code == 2 and "name at least one technique" in result.output
    result = runner.invoke(app, ["serve", "no-such-session"], env=env)
    assert result.exit_code == 2 and "no technique or routine named 'no-such-session'" in result.output
    result = runner.invoke(app, ["serve", "childs-pose", "--voice", "robot"], env=env)
    assert result.exit_code == 2 and "unknown voice 'robot'" in result.output
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["serve", str(tmp_path / "empty")], env=env)
    assert result.exit_code == 2 and "no .yaml scripts" in result.output
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "childs-pose", "--port", str(port)], env=env)
    assert result.exit_code == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "Traceback" not in result.output
    assert os.path.exists(tmp_path / "home" / "serve-token")
