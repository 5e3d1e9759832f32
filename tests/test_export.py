"""Export for phones: tags, chapters, captions, playlist, loudness, and files written safely."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mutagen.id3 import ID3, CTOCFlags
from typer.testing import CliRunner

from voiceguide import levels
from voiceguide.cli import app
from voiceguide.errors import RenderError
from voiceguide.export import ExportRequest, export

from .support.audio import SR, decode, ebur128, joined
from .support.sessions import BREATH, STRETCH

runner = CliRunner()


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scripts")
    (folder / "shoulder-rolls.yaml").write_text(STRETCH)
    (folder / "calm-breaths.yaml").write_text(BREATH)
    return {"stretch": folder / "shoulder-rolls.yaml", "breath": folder / "calm-breaths.yaml"}


def run_export(*args: str) -> object:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def exported(scripts: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> Path:
    os.environ["VOICEGUIDE_CACHE_DIR"] = str(speech_cache)
    out = tmp_path_factory.mktemp("export") / "out"
    run_export(str(scripts["stretch"]), str(scripts["breath"]), "-o", str(out), "--jobs", "1")
    return out


def cue_sheet(script: Path, tmp_path: Path) -> dict:
    sheet = tmp_path / f"{script.stem}.json"
    result = runner.invoke(
        app, ["render", str(script), "-o", str(tmp_path / f"{script.stem}.wav"), "--cues", str(sheet)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(sheet.read_text())


def test_files_tags_and_chapters(exported: Path, scripts: dict[str, Path], tmp_path: Path) -> None:
    names = sorted(p.name for p in exported.iterdir())
    assert names == sorted(
        [
            "shoulder-rolls.mp3",
            "shoulder-rolls.lrc",
            "shoulder-rolls.vtt",
            "calm-breaths.mp3",
            "calm-breaths.lrc",
            "calm-breaths.vtt",
            "voiceguide.m3u8",
        ]
    )
    tag = ID3(exported / "shoulder-rolls.mp3")
    assert tag.version == (2, 3, 0)
    assert str(tag["TIT2"]) == "Shoulder rolls" and str(tag["TPE1"]) == "voiceguide"
    assert str(tag["TALB"]) == "voiceguide library" and str(tag["TRCK"]) == "1/2" and str(tag["TCON"]) == "Spoken Word"
    assert tag.getall("COMM")[0].text == ["Loosen the shoulders with slow rolls."]
    assert tag.getall("APIC")[0].data.startswith(b"\x89PNG")
    assert str(ID3(exported / "calm-breaths.mp3")["TRCK"]) == "2/2"

    sheet = cue_sheet(scripts["stretch"], tmp_path)
    chapters = {c.element_id: c for c in tag.getall("CHAP")}
    assert len(chapters) == len(sheet["sections"]) == 3
    (toc,) = tag.getall("CTOC")
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert sorted(toc.child_element_ids) == sorted(chapters)
    for element, section in zip(toc.child_element_ids, sheet["sections"], strict=True):
        chapter = chapters[element]
        assert str(chapter.sub_frames["TIT2"]) == section["title"]
        assert (
            abs(chapter.start_time - section["start"] * 1000) <= 1
            and abs(chapter.end_time - section["end"] * 1000) <= 1
        )

    probe = json.loads(
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-of",
                "json",
                "-show_chapters",
                "-show_streams",
                str(exported / "shoulder-rolls.mp3"),
            ],
            capture_output=True,
            check=True,
        ).stdout
    )
    # In time order as stored, for players that list the CHAP frames as they come (ffmpeg's reader, so mpv and VLC).
    assert [c["tags"]["title"] for c in probe["chapters"]] == [s["title"] for s in sheet["sections"]]
    starts = [float(c["start_time"]) for c in probe["chapters"]]
    assert all(abs(t - s["start"]) <= 0.002 for t, s in zip(starts, sheet["sections"], strict=True)), starts
    stream = probe["streams"][0]
    assert (stream["sample_rate"], stream["channels"], stream["bit_rate"]) == ("44100", 2, "128000")
    assert abs(len(decode(exported / "shoulder-rolls.mp3")) - sheet["duration"] * SR) < 0.03 * SR


def test_playlist_lists_the_tracks_in_order(exported: Path) -> None:
    text = (exported / "voiceguide.m3u8").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    entries = list(zip(lines[1::2], lines[2::2], strict=True))
    assert [path for _, path in entries] == ["shoulder-rolls.mp3", "calm-breaths.mp3"]
    for info, path in entries:
        seconds, title = re.fullmatch(r"#EXTINF:(\d+),(.+)", info).groups()
        assert (exported / path).is_file() and not Path(path).is_absolute()
        assert abs(int(seconds) - len(decode(exported / path)) / SR) <= 1
        assert title == str(ID3(exported / path)["TIT2"])


def test_captions_match_the_cue_sheet(exported: Path, scripts: dict[str, Path], tmp_path: Path) -> None:
    sheet = cue_sheet(scripts["breath"], tmp_path)
    speech = [e for e in sheet["events"] if e["kind"] == "speech"]
    lrc = (exported / "calm-breaths.lrc").read_text(encoding="utf-8")
    timed = [(int(m) * 60 + float(s), t) for m, s, t in re.findall(r"^\[(\d\d):(\d\d\.\d\d)\](.*)$", lrc, re.M)]
    spoken = [(t, text) for t, text in timed if text]
    assert [text for _, text in spoken] == [e["text"] for e in speech]
    assert all(abs(t - e["start"]) <= 0.005 for (t, _), e in zip(spoken, speech, strict=True))
    assert "[ti:Two calm breaths]" in lrc
    vtt = (exported / "calm-breaths.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    cues = vtt_cues(vtt)
    assert [text for _, _, text in cues] == [e["text"] for e in speech]
    for (start, end, _), event in zip(cues, speech, strict=True):
        assert abs(start - event["start"]) <= 0.001 and abs(end - event["end"]) <= 0.001


def vtt_cues(vtt: str) -> list[tuple[float, float, str]]:
    """(start, end in seconds, text) of each cue of a WebVTT file."""
    found = re.findall(r"^(\d\d):(\d\d):(\d\d\.\d{3}) --> (\d\d):(\d\d):(\d\d\.\d{3})\n(.+)$", vtt, re.M)
    return [
        (int(a) * 3600 + int(b) * 60 + float(c), int(d) * 3600 + int(e) * 60 + float(f), text)
        for a, b, c, d, e, f, text in found
    ]


def test_loudness_and_true_peak_of_the_mp3(exported: Path) -> None:
    for track in ("shoulder-rolls.mp3", "calm-breaths.mp3"):
        integrated, peak = ebur128(exported / track)
        assert abs(integrated - levels.TARGET_LUFS) <= 1.0, (track, integrated)
        assert peak <= levels.TRUE_PEAK_LIMIT, (track, peak)


def test_the_summary_gives_the_loudness_of_the_speech_and_of_the_whole(
    scripts: dict[str, Path], tmp_path: Path, speech_cache: Path
) -> None:
    """With the music raised, each track's two loudnesses, as ffmpeg measures the MP3: over the
    sentences its captions time, and over the whole."""
    os.environ["VOICEGUIDE_CACHE_DIR"] = str(speech_cache)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["export", str(scripts["stretch"]), "-o", str(out), "--music-level", "6"], env={"VOICEGUIDE_PLAIN": "1"}
    )
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("file: "))
    said = dict(field.split(": ", 1) for field in line.split("; "))
    assert said["file"] == str(out / "shoulder-rolls.mp3") and said["chapters"] == "3", line
    sentences = [(start, end) for start, end, _ in vtt_cues((out / "shoulder-rolls.vtt").read_text(encoding="utf-8"))]
    assert len(sentences) >= 3
    speech, _ = ebur128(joined(decode(out / "shoulder-rolls.mp3"), sentences))
    whole, _ = ebur128(out / "shoulder-rolls.mp3")
    assert said["speech loudness"] == f"{float(said['speech loudness'].split()[0]):.1f} LUFS"
    assert abs(float(said["speech loudness"].split()[0]) - speech) <= 0.5, (line, speech)
    assert abs(float(said["whole loudness"].split()[0]) - whole) <= 0.3, (line, whole)
    assert abs(speech - levels.TARGET_LUFS) <= 1.0, speech


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_refuses_without_force_and_changes_nothing(exported: Path, scripts: dict[str, Path]) -> None:
    before = snapshot(exported)
    result = runner.invoke(app, ["export", str(scripts["stretch"]), str(scripts["breath"]), "-o", str(exported)])
    assert result.exit_code == 1
    assert "exist already; nothing was written (use --force" in result.stderr
    assert str(exported / "calm-breaths.vtt") in result.stderr
    assert snapshot(exported) == before


def test_one_conflict_blocks_every_track(scripts: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "calm-breaths.vtt").write_text("mine")
    result = runner.invoke(app, ["export", str(scripts["stretch"]), str(scripts["breath"]), "-o", str(out)])
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["calm-breaths.vtt"], "not even the other track is written"
    assert (out / "calm-breaths.vtt").read_text() == "mine"
    run_export(str(scripts["stretch"]), str(scripts["breath"]), "-o", str(out), "--force")
    assert (out / "calm-breaths.vtt").read_text().startswith("WEBVTT")


def test_a_failure_midway_leaves_earlier_files_whole(
    scripts: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceguide import tags

    real = tags.write
    calls = []

    def failing(path: Path, value: tags.TrackTags) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise RenderError("injected failure while tagging")
        real(path, value)

    monkeypatch.setattr(tags, "write", failing)
    out = tmp_path / "out"
    request = ExportRequest((str(scripts["stretch"]), str(scripts["breath"])), out, jobs=1)
    with pytest.raises(RenderError, match="injected"):
        export(request)
    assert ID3(out / "shoulder-rolls.mp3")["TIT2"], "the first track is whole and tagged"
    assert len(decode(out / "shoulder-rolls.mp3")) > SR
    assert not (out / "calm-breaths.mp3").exists(), "nothing half-written under the second track's name"
    assert not [p for p in out.rglob(".*")], "no temporary files are left"


def test_hostile_titles_and_names_stay_inside(tmp_path: Path) -> None:
    folder = tmp_path / "scripts"
    folder.mkdir()
    hostile = folder / "..\x01 evil $(rm) name.yaml"
    hostile.write_text(
        'title: "../../../etc/passwd"\nsteps:\n  - section: "/absolute/../escape"\n  - say: Hello.\n'
        '  - section: "..\\\\..\\\\windows"\n  - say: Again.\n'
    )
    out = tmp_path / "out"
    run_export(str(hostile), "-o", str(out), "--split")
    written = [p for p in tmp_path.rglob("*") if p.is_file() and folder not in p.parents]
    assert written and all(out in p.parents for p in written)
    for path in written:
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*", path.name), path.name
    assert (out / "evil-rm-name.mp3").is_file()
    assert str(ID3(out / "evil-rm-name.mp3")["TIT2"]) == "../../../etc/passwd", "the title itself is kept in the tag"


def test_split_writes_a_file_per_chapter(scripts: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_export(str(scripts["stretch"]), "-o", str(out), "--split")
    folder = out / "shoulder-rolls"
    mp3s = sorted(folder.glob("*.mp3"))
    assert [p.name for p in mp3s] == ["01-forward-rolls.mp3", "02-backward-rolls.mp3", "03-rest.mp3"]
    lines = (folder / "shoulder-rolls.m3u8").read_text().splitlines()
    assert lines[0] == "#EXTM3U" and lines[2::2] == [p.name for p in mp3s]
    total = sum(len(decode(p)) for p in mp3s)
    assert abs(total - len(decode(out / "shoulder-rolls.mp3"))) < 0.08 * SR
    assert [str(ID3(p)["TRCK"]) for p in mp3s] == ["1/3", "2/3", "3/3"]
    assert str(ID3(mp3s[1])["TALB"]) == "Shoulder rolls"
    for p in mp3s:
        assert p.with_suffix(".lrc").is_file() and p.with_suffix(".vtt").is_file()


def test_jobs_do_not_change_the_bytes(scripts: dict[str, Path], tmp_path: Path) -> None:
    run_export(
        str(scripts["stretch"]), str(scripts["breath"]), "-o", str(tmp_path / "one"), "--jobs", "1", "--seed", "5"
    )
    run_export(
        str(scripts["stretch"]), str(scripts["breath"]), "-o", str(tmp_path / "two"), "--jobs", "2", "--seed", "5"
    )
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


def test_ctrl_c_exits_130_and_removes_temporary_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voiceguide",
            "export",
            "partner-back-massage",
            "daily-routine",
            "-o",
            str(out),
            "--voice",
            "system",
            "--jobs",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not list(out.glob(".*voiceguide-tmp*.mp3")):
        assert process.poll() is None, process.communicate()[1]
        time.sleep(0.02)
    assert list(out.glob(".*voiceguide-tmp*.mp3")), "the export had started writing"
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert not list(out.rglob(".*voiceguide-tmp*"))
    for done in out.glob("*.mp3"):
        assert len(decode(done)) > SR, "a finished track is whole"
