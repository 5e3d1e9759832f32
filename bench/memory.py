"""Figure 4: peak memory of a render to MP3, for the session and for a long one (100 minutes)."""

from __future__ import annotations

from bench.common import Bench, Figures, Row, median_of, peak_rss, session_seconds, voiceguide

ROWS = (4,)

NOTES = [
    "Figure 4 is the Python process's own peak; the ffmpeg encoder it pipes to is a separate process of constant size.",
]


def run(bench: Bench) -> Figures:
    out = str(bench.work / "mem.mp3")
    results = {}
    for label, target in (("session", bench.session), ("long", bench.long)):
        voiceguide("render", target, "-o", out, "--force", env=bench.env)  # warm the cache
        results[label], values = median_of(
            max(1, bench.repeat - 1), lambda t=target: peak_rss(["render", t, "-o", out, "--force"], bench.env)
        )
        bench.log(f"memory {label}: {values}")
    seconds = bench.session_seconds()
    long_seconds = session_seconds(bench.long, bench.env, bench.work)
    growth = results["long"] / results["session"]
    row = Row(
        4,
        "peak memory (RSS) of a render to MP3",
        f"{seconds / 60:.0f} min: {results['session']:.0f} MB; {long_seconds / 60:.0f} min: {results['long']:.0f} MB; growth **{growth:.2f}x**",
        "≤ 250 MB; growth ≤ 1.2x",
        results["long"] <= 250 and growth <= 1.2,
    )
    return Figures([row])
