"""The page's Media Session: what a phone's lock screen, a watch or a headset's buttons see and do.

Whichever session's player plays last owns the media session: its title, "voiceguide" as the
artist, its cover (the one the server makes) and the chapter that plays as the album; play,
pause, seeking back and forward (10 s, or what the system asks), seeking to a time, and the
previous and next track buttons as the previous and next chapter (previous restarts the chapter
when more than 3 s of it have played, as the player's back key does). The position state follows
the audio as it plays, so the lock screen's bar is right. Browsers without the API ignore it all.
"""

from __future__ import annotations

from voiceguide.cover import SIZE

MEDIA_SCRIPT = """
(() => {
  if (!("mediaSession" in navigator)) return;
  const session = navigator.mediaSession;
  const RESTART = 3;  // seconds into a chapter after which "previous" restarts it
  let audio = null, said = "";

  const chapters = (a) => [...a.closest(".session").querySelectorAll(".chapters button")]
    .map((b) => ({ start: parseFloat(b.dataset.start), title: b.firstChild.textContent.trim() }));
  const current = (a) => {
    const list = chapters(a);
    let index = -1;
    list.forEach((c, i) => { if (a.currentTime + 0.05 >= c.start) index = i; });
    return { list, index };
  };

  function show() {
    if (!audio) return;
    const art = audio.closest(".session");
    const { list, index } = current(audio);
    const title = art.querySelector("h2").textContent;
    const chapter = index >= 0 ? list[index].title : "";
    const cover = art.querySelector("img.cover");
    if (title + "\\n" + chapter !== said) {
      said = title + "\\n" + chapter;
      session.metadata = new MediaMetadata({
        title, artist: "voiceguide", album: chapter,
        artwork: cover ? [{ src: cover.src, sizes: "COVER_SIZExCOVER_SIZE", type: "image/png" }] : [],
      });
    }
    session.playbackState = audio.paused ? "paused" : "playing";
    if (Number.isFinite(audio.duration) && audio.duration > 0) {
      session.setPositionState({
        duration: audio.duration, playbackRate: audio.playbackRate || 1,
        position: Math.min(Math.max(audio.currentTime, 0), audio.duration),
      });
    }
  }

  const seek = (to) => {
    if (!audio) return;
    const end = Number.isFinite(audio.duration) ? audio.duration : to;
    audio.currentTime = Math.min(Math.max(to, 0), end);
    show();
  };
  const handlers = {
    play: () => audio && audio.play(),
    pause: () => audio && audio.pause(),
    stop: () => audio && audio.pause(),
    seekbackward: (d) => audio && seek(audio.currentTime - (d.seekOffset || 10)),
    seekforward: (d) => audio && seek(audio.currentTime + (d.seekOffset || 10)),
    seekto: (d) => seek(d.seekTime),
    previoustrack: () => {
      if (!audio) return;
      const { list, index } = current(audio);
      if (index < 0) return seek(0);
      const into = audio.currentTime - list[index].start;
      seek(into > RESTART || index === 0 ? list[index].start : list[index - 1].start);
    },
    nexttrack: () => {
      if (!audio) return;
      const { list, index } = current(audio);
      if (index + 1 < list.length) seek(list[index + 1].start);
    },
  };
  for (const [action, handler] of Object.entries(handlers)) {
    try { session.setActionHandler(action, handler); } catch (e) { /* an action this browser lacks */ }
  }

  // Media events do not bubble: they are caught on their way down, so players put in later count too.
  document.addEventListener("play", (e) => {
    if (e.target instanceof HTMLMediaElement) { audio = e.target; said = ""; show(); }
  }, true);
  for (const kind of ["pause", "timeupdate", "seeked", "ratechange", "durationchange"]) {
    document.addEventListener(kind, (e) => { if (e.target === audio) show(); }, true);
  }
})();
""".replace("COVER_SIZE", str(SIZE))
