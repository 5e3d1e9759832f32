"""Figures 13 to 17: spoken commands caught through the virtual microphone (plain, and through
the echo canceller over the session's own voice), a whole session that never obeys its own
voice, noise that is never a command, and what listening costs in CPU. The trials themselves
are in ``listening_trials``."""

from __future__ import annotations

import os

from bench import listening_trials as trials
from bench.common import REPO, Bench, Figures, Row
from tests.support.pulse import Microphone, Pulse

ROWS = (13, 14, 15, 16, 17)

QUICK_LISTENING = """\
title: Listening check
steps:
  - say: Let your shoulders sink a little lower with each slow breath, and feel the floor hold you.
  - hold: 8s
"""

NOTE = (
    "Figures 13 to 16: the commands are the natural voice's and a system voice's own synthesis of ten phrases "
    '("Voice guide, pause.", "Voice guide next.", ...), at the session\'s speaking level. The session\'s '
    "echo is a synthetic room (direct sound after 5 ms, reflections dying by 60 dB in 0.4 s) at the level of "
    "the talker for 14 and 16; for 13 it reaches the microphone through a PulseAudio loopback from the speaker "
    "sink. The listener ignores the microphone while the session's voice speaks and 0.6 s after (in figure 13 "
    "the session plays on a callback stream and its voice is located by the stream's position, frames handed "
    "over less its latency, as the player's will be); figure 13 "
    "keeps 2 s of the session before each command's hold (the end of an instruction) and 2.5 s after it. "
    "Latency runs from the moment the end of the phrase (where the detector found the speech ending) was "
    "captured from the microphone to the command's arrival. Figure 17 says each phrase half a second into "
    "one of the session's sentences (one long enough to hold it) and keeps 2 s before and 2.5 s after; the "
    "session plays into the canceller's sink and the listener hears its source, never muted, as "
    "`play --echo-cancel` does."
)


def _obeyed(voice: str, trial: dict[str, object]) -> tuple[str, int, int, float | None, list[object]]:
    """'VOICE: N/M obeyed within 2 s, median, slowest', and the figures: obeyed, said, the
    median latency, the other commands heard."""
    obeyed, total, median, worst = trials.summary(trial)
    extra = trial["extra"]
    assert isinstance(extra, list)
    cell = f"{voice}: **{obeyed}/{total}** obeyed within 2 s, median {median or 0:.2f} s, slowest {worst or 0:.2f} s"
    return cell, obeyed, total, median, extra


def run(bench: Bench) -> Figures:
    script = REPO / "scripts" / "partner-back-massage.yaml"
    if bench.quick:  # one hold and one long sentence: room for one command each way
        script = bench.work / "listening-check.yaml"
        script.write_text(QUICK_LISTENING)
    count, noise_seconds = (1, 10.0) if bench.quick else (20, 300.0)
    voices = ("system",) if bench.quick else trials.VOICES
    os.environ["VOICEGUIDE_CACHE_DIR"] = str(bench.cache)
    caught, selfs, cancelled = {}, {}, {}
    (bench.work / "listen-pulse").mkdir(exist_ok=True)
    pulse = Pulse(bench.work / "listen-pulse")
    pulse.start()
    try:
        Microphone(pulse, echo=True)
        env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(bench.cache)}
        for voice in voices:
            caught[voice] = trials.caught_in(env, voice, count, script)
            bench.log(f"caught {voice}: {caught[voice]}")
        for voice in voices:
            cancelled[voice] = trials.caught_in(env, voice, count, script, cancelled=True)
            bench.log(f"caught over speech, echo cancelled, {voice}: {cancelled[voice]}")
    finally:
        pulse.stop()
    for voice in voices:
        selfs[voice] = trials.self_trigger(voice, script)
        bench.log(f"self-trigger {voice}: {selfs[voice]}")
    noise = trials.noise(noise_seconds)
    bench.log(f"noise: {noise}")
    rows = []
    parts, met = [], True
    for voice, trial in caught.items():
        cell, obeyed, total, median, extra = _obeyed(voice, trial)
        parts.append(cell + (f", {len(extra)} other commands" if extra else ""))
        met = met and obeyed >= total - total // 20 and not extra and median is not None and median <= 1.2
    rows.append(
        Row(13, f"caught: {count} commands said in holds at speaking level, over the session's music and its echo, "
            "through the virtual microphone (phrase end → command)", "; ".join(parts),
            "≥ 19 of 20 within 2 s; median ≤ 1.2 s", met)
    )  # fmt: skip
    minutes = float(next(iter(selfs.values()))["minutes"])
    rows.append(
        Row(14, f"never self-triggered: the whole {script.stem} ({minutes:.1f} min) and its echo, fed to the "
            "listener faster than real time", "; ".join(
                f"{v}: **{len(t['commands'])}** commands ({t['segments']} segments heard)" for v, t in selfs.items()),
            "0", all(not t["commands"] and not t["failure"] for t in selfs.values()))
    )  # fmt: skip
    rows.append(
        Row(15, f"noise: {noise_seconds / 60:.1f} min of the session's music, breathing sounds and speech-shaped "
            "noise", f"**{len(noise['commands'])}** commands ({noise['segments']} segments heard)", "0",
            not noise["commands"] and not noise["failure"])
    )  # fmt: skip
    session_cpu = {v: float(t["cpu"]) for v, t in selfs.items()}
    mic_cpu = {v: float(t["cpu"]) for v, t in caught.items()}
    rows.append(
        Row(16, "CPU of listening, share of one core", "over the whole session, fed as fast as it goes: "
            + ", ".join(f"{v} {c:.1%}" for v, c in session_cpu.items())
            + "; through the microphone in real time during the caught run (a command every ~6 s): "
            + ", ".join(f"{v} {c:.1%}" for v, c in mic_cpu.items()), "≤ 15%",
            all(c <= 0.15 for c in (*session_cpu.values(), *mic_cpu.values())))
    )  # fmt: skip
    parts, met = [], True
    for voice, trial in cancelled.items():
        cell, obeyed, total, _, extra = _obeyed(voice, trial)
        parts.append(f"{cell}, **{len(extra)}** other commands")
        met = met and obeyed >= total - total // 20 and not extra
    rows.append(
        Row(17, f"echo-cancelled (`play --echo-cancel`): {count} commands said over the session's own voice, "
            "through PulseAudio's module-echo-cancel (WebRTC), the microphone heard all along "
            "(phrase end → command; other commands are the session obeying itself)", "; ".join(parts),
            "reported (the same goals as 13; no other commands)", met)
    )  # fmt: skip
    return Figures(rows, [NOTE])
