"""Readable and machine-readable descriptions of sessions, for ``list`` and ``show``.

Lengths here are estimates: speech time is guessed from word counts at the calm pace,
because listing the library must not wait for a voice.
"""

from __future__ import annotations

from typing import Any

from voiceguide.fit import estimated_lengths, length_range
from voiceguide.pace import DEFAULT_PACE
from voiceguide.script import (
    SHORTEST,
    Breathe,
    Chime,
    Hold,
    Pause,
    Repeat,
    Routine,
    Say,
    Script,
    Section,
    Session,
    Sides,
    Step,
)
from voiceguide.steps import leaves
from voiceguide.timeline import strokes
from voiceguide.units import format_duration, format_span


def minutes(session: Session, guidance: str = "full") -> tuple[float, float]:
    lo, hi = length_range(session, estimated_lengths(DEFAULT_PACE), DEFAULT_PACE, guidance)
    return round(lo / 60, 1), round(hi / 60, 1)


def summary(session: Session) -> dict[str, Any]:
    """One row of ``voiceguide list --json``: ``minutes`` at full guidance, ``minutes_brief`` at brief."""
    lo, hi = minutes(session)
    brief_lo, brief_hi = minutes(session, "brief")
    return {
        "name": session.name,
        "title": session.title,
        "kind": session.kind,
        "audience": session.audience,
        "areas": list(session.areas),
        "minutes": [lo, hi],
        "minutes_brief": [brief_lo, brief_hi],
    }


def step_tree(step: Step) -> dict[str, Any]:
    """A step as plain data, with its timing or range written out."""
    if isinstance(step, Say):
        said: dict[str, Any] = {"action": "say", "text": list(step.texts) if len(step.texts) > 1 else step.texts[0]}
        if step.detail:
            said["detail"] = True
        if step.alone:
            said["alone"] = True
        if step.brief:
            said["brief"] = list(step.brief) if len(step.brief) > 1 else step.brief[0]
        return said
    if isinstance(step, Pause):
        pause = {"action": "pause", "seconds": [step.seconds.lo, step.seconds.hi], "timing": format_span(step.seconds)}
        return pause | ({"detail": True} if step.detail else {})
    if isinstance(step, Hold):
        out: dict[str, Any] = {
            "action": "hold",
            "seconds": [step.seconds.lo, step.seconds.hi],
            "timing": format_span(step.seconds),
        }
        if step.breathe:
            out["breathe"] = step.breathe.name
        if step.countdown:
            out["countdown"] = step.countdown
        if step.pace:
            out["pace"] = step.pace
            out["strokes"] = [strokes(step.seconds.lo, step.pace), strokes(step.seconds.hi, step.pace)]
        return out
    if isinstance(step, Breathe):
        cycles = [int(step.cycles.lo), int(step.cycles.hi)]
        seconds = [c * step.pattern.cycle for c in cycles]
        return {
            "action": "breathe",
            "pattern": step.pattern.name,
            "cycles": cycles,
            "seconds": seconds,
            "timing": _count_text(cycles, "breath") + f" ({format_span_from(seconds)})",
        } | ({"detail": True} if step.detail else {})
    if isinstance(step, Repeat):
        times = [int(step.times.lo), int(step.times.hi)]
        return {
            "action": "repeat",
            "times": times,
            "timing": _count_text(times, "time"),
            "steps": [step_tree(s) for s in step.steps],
        }
    if isinstance(step, Sides):
        sides: dict[str, Any] = {"action": "sides", "sides": list(step.sides)}
        if step.part:
            sides["part"] = step.part
        if step.switch:
            sides["switch"] = step.switch
        return sides | {"steps": [step_tree(s) for s in step.steps]}
    if isinstance(step, Chime):
        return {"action": "chime", "kind": step.kind}
    assert isinstance(step, Section)
    return {"action": "section", "title": step.title}


def format_span_from(seconds: list[float]) -> str:
    lo, hi = seconds
    return format_duration(lo) if lo == hi else f"{format_duration(lo)} to {format_duration(hi)}"


def _count_text(counts: list[int], noun: str) -> str:
    lo, hi = counts
    if lo == hi:
        return f"{lo} {noun}{'s' if lo != 1 else ''}"
    return f"{lo} to {hi} {noun}s"


def detail(session: Session) -> dict[str, Any]:
    """``voiceguide show --json``: the summary plus every technique's steps."""
    out = summary(session)
    out["summary"] = session.summary
    out["equipment"] = list(session.equipment)
    out["prepare"] = [{"item": p.item, "prepare": p.text, "seconds": p.seconds} for p in session.prepare]
    if isinstance(session, Routine) and session.safety:
        out["safety"] = session.safety
    if isinstance(session, Routine):
        techniques = []
        for script, length in leaves(session):
            entry = _technique(script)
            if length is not None:
                entry["length"] = "shortest" if length == SHORTEST else length
            techniques.append(entry)
        out["techniques"] = techniques
    else:
        out.update(_technique(session))
    return out


def _technique(script: Script) -> dict[str, Any]:
    return {
        "name": script.name,
        "title": script.title,
        "safety": script.safety,
        "steps": [step_tree(s) for s in script.steps],
    }


def lines(session: Session) -> list[str]:
    """``voiceguide show``: the steps as indented text a person can read."""
    data = detail(session)
    out = [f"{data['title']}  ({data['kind']}, for {'a partner' if data['audience'] == 'partner' else 'yourself'})"]
    if data["summary"]:
        out.append(data["summary"])
    if "techniques" in data and data.get("safety"):
        out.append("Safety: " + data["safety"])
    if data["equipment"]:
        out.append("You need: " + ", ".join(data["equipment"]))
    for thing in data["prepare"]:
        out.append(f"Prepare first: {thing['item']} ({format_duration(thing['seconds'])}). {thing['prepare']}")
    out.append("")
    techniques = data.get("techniques") or [data]
    for tech in techniques:
        if "techniques" in data:
            fitted = "its shortest" if tech.get("length") == "shortest" else format_duration(tech.get("length", 0))
            suffix = f"  (fitted to {fitted})" if "length" in tech else ""
            out.append(f"== {tech['title']}{suffix}")
        if tech.get("safety"):
            out.append(f"  safety: {tech['safety']}")
        for step in tech["steps"]:
            out.extend(_step_lines(step, 1))
        out.append("")
    full, brief = _about(data["minutes"]), _about(data["minutes_brief"])
    out.append(f"Total: {full}; with brief guidance {brief} (speech time estimated)")
    return out


def _about(span: list[float]) -> str:
    lo, hi = span
    return f"about {lo:g} minutes" if lo == hi else f"about {lo:g} to {hi:g} minutes"


def _step_lines(step: dict[str, Any], depth: int) -> list[str]:
    pad = "  " * depth
    action = step["action"]
    if action == "say":
        text = step["text"] if isinstance(step["text"], str) else " / ".join(step["text"])
        notes = [n for k, n in (("detail", "full guidance only"), ("alone", "on its own only")) if step.get(k)]
        said = [f"{pad}say      {text}" + (f"  ({', '.join(notes)})" if notes else "")]
        if "brief" in step:
            short = step["brief"] if isinstance(step["brief"], str) else " / ".join(step["brief"])
            said.append(f"{pad}  brief  {short}")
        return said
    if action == "section":
        return [f"{pad}-- {step['title']}"]
    if action == "chime":
        return [f"{pad}chime"]
    if action in ("pause", "hold"):
        extras = [
            f"{k} {step[k] if k == 'breathe' else format_duration(step[k])}"
            for k in ("breathe", "countdown", "pace")
            if k in step
        ]
        if "strokes" in step:
            extras.append(_count_text(step["strokes"], "stroke"))
        more = f"  ({', '.join(extras)})" if extras else ""
        brief = "  (full guidance only)" if step.get("detail") else ""
        return [f"{pad}{action:<8} {step['timing']}{more}{brief}"]
    if action == "breathe":
        brief = "  (full guidance only)" if step.get("detail") else ""
        return [f"{pad}breathe  {step['pattern']}, {step['timing']}{brief}"]
    named = f" ({step['part']})" if "part" in step else ""
    if action == "repeat":
        header = f"{pad}repeat   {step['timing']}:"
    else:
        header = f"{pad}sides    {', '.join(step['sides'])}{named}:"
    out = [header]
    for child in step["steps"]:
        out.extend(_step_lines(child, depth + 1))
    return out


def transcript(
    session: Session, pace: str = "normal", guidance: str = "full", length: float | None = None
) -> list[tuple[float, str]]:
    """Every sentence the session will say, in order, with the second it starts at, and each
    part's title where it begins (``Part 2 of 5: Low back``). Speech lengths are estimated from
    word counts, as in ``list``: the times are close to the real ones, without waiting for a voice."""
    from voiceguide.fit import settle
    from voiceguide.pace import get_pace
    from voiceguide.steps import build
    from voiceguide.timeline import build as lay_out

    chosen = get_pace(pace)
    lengths = estimated_lengths(chosen)
    timeline = lay_out(build(session, settle(session, lengths, chosen, length, guidance), guidance), lengths, chosen)
    rate = timeline.sample_rate
    items = [(e.start / rate, 1, e.text) for e in timeline.speech()]
    parts = len(timeline.sections)
    if parts > 1:
        items += [(m.start / rate, 0, f"Part {m.index + 1} of {parts}: {m.title}") for m in timeline.sections]
    items.append((timeline.duration, 2, "The end."))
    return [(seconds, text) for seconds, _order, text in sorted(items)]
