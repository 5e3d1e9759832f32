"""The page's Media Session in a real browser (Debian's chromium through playwright): what a
lock screen shows while a session plays, and what its buttons do. The browser keeps the handlers
the page registers to itself; a script run before the page's own notes each one as it is
registered (and each position state set), so the test calls exactly what a lock screen would."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from .support.browser import ARGS, CHROMIUM, needs_chromium, start_server

pytestmark = needs_chromium

RECORD_HANDLERS = """
window.__media = { handlers: {}, positions: [] };
const mediaSession = navigator.mediaSession;
const register = mediaSession.setActionHandler.bind(mediaSession);
const position = mediaSession.setPositionState.bind(mediaSession);
mediaSession.setActionHandler = (action, handler) => { window.__media.handlers[action] = handler; register(action, handler); };
mediaSession.setPositionState = (state) => { window.__media.positions.push(state); position(state); };
"""

AUDIO = "document.querySelector('#s-shoulder-rolls audio')"


def test_the_lock_screen_shows_the_session_and_its_buttons_move_through_it(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    executable = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(dir=tmp_path) as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=ARGS, viewport={"width": 390, "height": 844}
        )
        server = None
        try:
            page = browser.new_page()
            page.add_init_script(RECORD_HANDLERS)
            page.set_default_timeout(300_000)
            server = start_server(tmp_path)
            page.goto(server.local_url())
            page.wait_for_function(f"{AUDIO} && {AUDIO}.readyState >= 1")
            handlers = page.evaluate("Object.keys(window.__media.handlers).sort()")
            assert handlers == sorted(
                ["play", "pause", "stop", "seekbackward", "seekforward", "seekto", "previoustrack", "nexttrack"]
            )
            starts = page.evaluate(
                "[...document.querySelectorAll('#s-shoulder-rolls .chapters button')].map(b => parseFloat(b.dataset.start))"
            )
            assert len(starts) == 3

            def metadata() -> dict[str, Any]:
                return page.evaluate(
                    """() => { const m = navigator.mediaSession.metadata;
                    return m && { title: m.title, artist: m.artist, album: m.album, art: m.artwork.map(a => a.src) }; }"""
                )

            def act(action: str, details: str = "{}") -> None:
                page.evaluate(f"window.__media.handlers[{action!r}]({{action: {action!r}, ...{details}}})")

            def at() -> float:
                return float(page.evaluate(f"{AUDIO}.currentTime"))

            # Playing: the lock screen shows the session, the chapter and the cover.
            page.locator("#s-shoulder-rolls").get_by_role("button", name="Forward rolls").click()
            page.wait_for_function("navigator.mediaSession.playbackState === 'playing'")
            shown = metadata()
            assert shown["title"] == "Shoulder rolls" and shown["artist"] == "voiceguide"
            assert shown["album"] == "Forward rolls"
            assert len(shown["art"]) == 1 and shown["art"][0].endswith("/sessions/shoulder-rolls.png")
            # The position state follows the sound as it plays.
            page.wait_for_function(f"{AUDIO}.currentTime > 1")
            page.wait_for_function("window.__media.positions.length && window.__media.positions.at(-1).position > 0.8")
            last = page.evaluate("window.__media.positions.at(-1)")
            assert abs(last["duration"] - page.evaluate(f"{AUDIO}.duration")) < 0.01 and last["playbackRate"] == 1

            # Next track: the next chapter, on the lock screen too.
            act("nexttrack")
            assert starts[1] <= at() < starts[1] + 1
            page.wait_for_function("navigator.mediaSession.metadata.album === 'Backward rolls'")
            # Previous track at the start of a chapter: the one before; well into it: its start.
            act("previoustrack")
            assert at() < starts[0] + 1
            page.wait_for_function("navigator.mediaSession.metadata.album === 'Forward rolls'")
            act("seekto", f"{{seekTime: {starts[1] + 4}}}")
            assert abs(at() - (starts[1] + 4)) < 0.5
            act("previoustrack")
            assert starts[1] <= at() < starts[1] + 1
            # Seeking forward and back by what the system asks (10 s when it does not say).
            act("seekforward", "{seekOffset: 3}")
            forward = at()
            assert starts[1] + 2.5 <= forward < starts[1] + 4
            act("seekbackward")
            assert abs(at() - max(0.0, forward - 10)) < 0.5
            # Pause and play, from the headset or the lock screen.
            act("pause")
            page.wait_for_function(f"{AUDIO}.paused && navigator.mediaSession.playbackState === 'paused'")
            act("play")
            page.wait_for_function(f"!{AUDIO}.paused && navigator.mediaSession.playbackState === 'playing'")
        finally:
            if server is not None:
                server.stop()
            browser.close()
