"""The web page: one self-contained HTML file (no external resources) that works on a phone,
in light and dark mode. Each session shows its cover, title, length, areas and summary; a
rendered one has a player with its chapters, the current instruction under it (from the
WebVTT captions) and download links; one not rendered yet shows its progress while it is
prepared, or why it could not be, with a button that prepares it (again). A line at the top
says how far the preparation is ("Preparing 3 of 7: Partner back massage"); the page follows
it, and puts each session's player in as soon as the session is ready."""

from __future__ import annotations

from html import escape

from voiceguide.serve.catalog import Listing, Preparation, Rendered, Status
from voiceguide.serve.media import MEDIA_SCRIPT
from voiceguide.units import format_clock

STYLE = """
:root { color-scheme: light dark; --bg: #f7f5f0; --fg: #1d1f21; --muted: #5c6166; --card: #ffffff;
  --line: #d9d4ca; --accent: #2f6f5e; --accent-fg: #ffffff; }
@media (prefers-color-scheme: dark) { :root { --bg: #121416; --fg: #e8e6e1; --muted: #a4a9ad; --card: #1d2023;
  --line: #33383c; --accent: #7cc4ae; --accent-fg: #0d1f1a; } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 17px/1.45 system-ui, sans-serif; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: 0.5rem 0 1rem; }
.preparing { margin: 0 0 1rem; color: var(--muted); }
.session { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 1rem;
  margin: 0 0 1rem; }
.head { display: flex; gap: 0.9rem; align-items: flex-start; }
.cover { width: 84px; height: 84px; border-radius: 8px; flex: none; }
h2 { font-size: 1.15rem; margin: 0 0 0.2rem; }
.meta, .summary { margin: 0.2rem 0; color: var(--muted); }
.summary { color: var(--fg); }
.session.today { border: 2px solid var(--accent); }
.badge { display: inline-block; margin: 0 0 0.3rem; padding: 0.05rem 0.55rem; border-radius: 999px;
  background: var(--accent); color: var(--accent-fg); font-size: 0.85rem; font-weight: 600; }
audio { width: 100%; margin: 0.8rem 0 0.3rem; }
.now { min-height: 2.9em; margin: 0.3rem 0 0.6rem; font-size: 1.1rem; }
.chapters { list-style: none; padding: 0; margin: 0; }
.chapters button, .prepare button { width: 100%; display: flex; justify-content: space-between; gap: 1rem;
  font: inherit; color: inherit; background: none; border: 1px solid var(--line); border-radius: 8px;
  padding: 0.55rem 0.75rem; margin: 0 0 0.4rem; text-align: left; cursor: pointer; }
.chapters button.current { border-color: var(--accent); box-shadow: inset 4px 0 0 var(--accent); }
.chapters .at { color: var(--muted); font-variant-numeric: tabular-nums; }
.prepare button { justify-content: center; background: var(--accent); color: var(--accent-fg); border: none; }
.prepare progress { width: 100%; accent-color: var(--accent); }
a { color: var(--accent); }
.downloads a { margin-right: 1.2rem; }
"""

SCRIPT = """
const WORDS = { speech: "Making the voice", mix: "Mixing" };

function wire(art) {
  const audio = art.querySelector("audio");
  if (audio) {
    const now = art.querySelector(".now");
    const track = audio.querySelector("track");
    const buttons = [...art.querySelectorAll(".chapters button")];
    const show = () => {
      const cues = track && track.track ? [...(track.track.activeCues || [])] : [];
      if (cues.length) now.textContent = cues.map((c) => c.text).join(" ");
    };
    if (track) {
      track.track.mode = "hidden";
      track.addEventListener("cuechange", show);
    }
    audio.addEventListener("timeupdate", () => {
      let current = -1;
      buttons.forEach((b, i) => { if (audio.currentTime + 0.05 >= parseFloat(b.dataset.start)) current = i; });
      buttons.forEach((b, i) => b.classList.toggle("current", i === current));
      show();
    });
    buttons.forEach((b) => b.addEventListener("click", () => {
      audio.currentTime = parseFloat(b.dataset.start);
      audio.play();
    }));
  }
  const prepare = art.querySelector(".prepare button");
  if (prepare) prepare.addEventListener("click", async () => {
    showState(art, { state: "waiting" });
    await fetch("status/" + art.dataset.slug + ".json?start=1");
    follow();
  });
}

function showState(art, status) {
  const bar = art.querySelector(".prepare progress");
  const said = art.querySelector(".prepare .state");
  const button = art.querySelector(".prepare button");
  const busy = status.state === "waiting" || status.state === "rendering";
  button.hidden = busy;
  bar.hidden = !busy;
  if (status.state === "failed") { said.textContent = "Could not prepare it: " + status.error; return; }
  if (!busy) { said.textContent = ""; return; }
  const part = status.total ? status.done / status.total : 0;
  bar.value = status.stage === "mix" ? 0.5 + part / 2 : part / 2;
  said.textContent = status.state === "waiting" ? "Waiting for another session"
    : (WORDS[status.stage] || "Preparing") + " " + Math.round(part * 100) + "%";
}

let following = false;

async function follow() {
  if (following) return;
  following = true;
  try {
    for (;;) {
      const now = await (await fetch("status.json")).json();
      const line = document.querySelector(".preparing");
      line.textContent = now.preparing;
      line.hidden = !now.preparing;
      let busy = false, done = [];
      document.querySelectorAll(".session").forEach((art) => {
        const status = now.sessions[art.dataset.slug];
        if (!status || art.querySelector("audio")) return;
        if (status.state === "ready") done.push(art);
        else showState(art, status);
        busy = busy || status.state === "waiting" || status.state === "rendering";
      });
      if (done.length) {
        const fresh = new DOMParser().parseFromString(await (await fetch(".")).text(), "text/html");
        done.forEach((art) => {
          const replacement = fresh.getElementById(art.id);
          art.replaceWith(replacement);
          wire(replacement);
        });
      }
      if (!busy) break;
      await new Promise((wake) => setTimeout(wake, 700));
    }
  } finally {
    following = false;
  }
}

document.querySelectorAll(".session").forEach(wire);
if (document.querySelector(".preparing").textContent) follow();
"""


def progress_line(preparation: Preparation) -> str:
    """How far the preparation is, in words: "" when nothing is being prepared and nothing failed."""
    p = preparation
    if p.current:
        return f"Preparing {p.number} of {p.total}: {p.current}"
    if p.failed:
        return f"{p.ready} of {p.total} sessions ready; {p.failed} could not be prepared"
    return ""


def page(
    items: list[tuple[Listing, Rendered | None, Status]], preparation: Preparation, today: str | None = None
) -> str:
    """The whole page, in the order given; the session whose slug is ``today`` is marked as
    today's. URLs in it are relative to the page, which lives at ``/TOKEN/``."""
    articles = "\n".join(
        _session(listing, rendered, status, listing.slug == today) for listing, rendered, status in items
    )
    line = progress_line(preparation)
    empty = "" if items else "<p>No sessions are being served.</p>"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>voiceguide</title>
<link rel="alternate" type="application/rss+xml" title="voiceguide" href="feed.xml">
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>voiceguide</h1>
<p class="preparing" aria-live="polite"{"" if line else " hidden"}>{escape(line)}</p>
{articles}{empty}
<p class="meta">Podcast feed: <a href="feed.xml">feed.xml</a></p>
</main>
<script>{SCRIPT}{MEDIA_SCRIPT}</script>
</body>
</html>
"""


def _session(listing: Listing, rendered: Rendered | None, status: Status, today: bool = False) -> str:
    slug = escape(listing.slug)
    lo, hi = listing.minutes
    estimate = f"about {lo:g} to {hi:g} min" if lo != hi else f"about {lo:g} min"
    length = format_clock(rendered.duration_ms / 1000) if rendered else estimate
    meta = " · ".join([length] + ([", ".join(listing.areas)] if listing.areas else []))
    head = f"""<div class="head"><img class="cover" src="sessions/{slug}.png" alt="" width="84" height="84">
<div>{'<p class="badge">Today</p>' if today else ""}<h2>{escape(listing.title)}</h2>
<p class="meta">{escape(meta)}</p></div></div>
<p class="summary">{escape(listing.summary)}</p>"""
    if rendered is None:
        body = _prepare(status)
    else:
        chapters = "\n".join(
            f'<li><button type="button" data-start="{c.start_ms / 1000:.3f}">{escape(c.title)}'
            f'<span class="at">{format_clock(c.start_ms / 1000)}</span></button></li>'
            for c in rendered.chapters
        )
        body = f"""<audio controls preload="metadata" src="sessions/{slug}.mp3">
<track kind="captions" src="sessions/{slug}.vtt" srclang="en" label="Instructions" default></audio>
<p class="now" aria-live="polite"></p>
<ol class="chapters">{chapters}</ol>
<p class="downloads"><a href="sessions/{slug}.mp3" download>MP3</a><a href="sessions/{slug}.m4b" download>M4B</a></p>"""
    marked = " today" if today else ""
    return f'<article class="session{marked}" id="s-{slug}" data-slug="{slug}">\n{head}\n{body}\n</article>'


def _prepare(status: Status) -> str:
    """A session not ready yet: its progress while it is prepared, else a button that prepares it."""
    busy = status.state in ("waiting", "rendering")
    label = "Try again" if status.state == "failed" else "Prepare this session"
    said = f"Could not prepare it: {status.error}" if status.state == "failed" else ""
    if busy:
        said = "Waiting for another session" if status.state == "waiting" else "Preparing"
    bar = f'<progress max="1" value="0"{"" if busy else " hidden"}></progress>'
    return f"""<div class="prepare"><button type="button"{" hidden" if busy else ""}>{label}</button>
{bar} <span class="state" aria-live="polite">{escape(said)}</span></div>"""
