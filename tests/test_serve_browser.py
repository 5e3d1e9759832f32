"""The page in a real browser: Debian's chromium, driven by playwright (which never downloads
a browser here). It follows the preparation that starts with the server, then plays, jumps to a
chapter, shows the instruction being spoken, and can seek anywhere in the file. Every request
goes to 127.0.0.1."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from .support.browser import ARGS, CHROMIUM, needs_chromium, start_server
from .support.served import Server, cached, probe_mp3

pytestmark = needs_chromium


def test_follow_the_preparation_then_play_jump_to_a_chapter_and_seek(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(dir=tmp_path) as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=ARGS,
            viewport={"width": 390, "height": 844},  # a phone's screen
            color_scheme="dark",
        )
        server: Server | None = None
        try:
            outside: list[str] = []
            page = browser.new_page()
            page.on("request", lambda r: None if r.url.startswith("http://127.0.0.1:") else outside.append(r.url))
            page.set_default_timeout(300_000)
            server = start_server(tmp_path)  # the browser is open: the page is asked for at once
            page.goto(server.local_url())

            # Being prepared: the page says how far it is, and puts the player in when it is ready.
            line = page.locator(".preparing")
            assert re.fullmatch(r"Preparing [12] of 2: (Two calm breaths|Shoulder rolls)", line.text_content() or "")
            article = page.locator("#s-shoulder-rolls")
            expect(article.locator("audio")).to_have_count(1, timeout=300_000)
            expect(page.locator("#s-calm-breaths audio")).to_have_count(1)
            expect(line).to_be_hidden()
            assert page.get_by_role("button", name="Prepare this session").count() == 0
            audio = article.locator("audio")
            page.wait_for_function("document.querySelector('#s-shoulder-rolls audio').readyState >= 1")
            duration = audio.evaluate("a => a.duration")
            length, chapters = probe_mp3(server.get(server.path("sessions/shoulder-rolls.mp3")).body)
            rest = chapters["Rest"]
            assert abs(duration - length) < 0.6, (duration, length)

            # Play: the first chapter's button starts it from the top.
            article.get_by_role("button", name="Forward rolls").click()
            page.wait_for_function("document.querySelector('#s-shoulder-rolls audio').currentTime > 0.5")
            assert audio.evaluate("a => !a.paused")

            # Jump to the last chapter: the time moves to its start, and its instruction shows.
            article.get_by_role("button", name="Rest").click()
            page.wait_for_function(f"document.querySelector('#s-shoulder-rolls audio').currentTime >= {rest}")
            at = audio.evaluate("a => a.currentTime")
            assert rest <= at < rest + 5, (at, rest)
            expect(article.locator(".now")).to_have_text("Let your arms hang and rest.")
            expect(article.locator("button.current")).to_have_text(f"Rest0:{int(rest):02d}")

            # The whole file can be sought: the server answers ranges.
            seekable = audio.evaluate("a => [a.seekable.length, a.seekable.start(0), a.seekable.end(0)]")
            assert seekable[0] == 1 and seekable[1] == 0 and abs(seekable[2] - duration) < 0.05, seekable
            audio.evaluate("a => { a.currentTime = a.duration - 2; }")
            page.wait_for_function(f"document.querySelector('#s-shoulder-rolls audio').currentTime >= {duration - 2.5}")

            page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
            assert (tmp_path / "page.png").stat().st_size > 10_000
            assert outside == []  # the page asks for nothing from anywhere else
        finally:
            if server is not None:
                server.stop()
            browser.close()
    assert cached(tmp_path / "cache", "shoulder-rolls", "mp3").is_file()
    print(f"screenshot: {tmp_path / 'page.png'}")
