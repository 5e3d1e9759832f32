"""M4B audiobooks: AAC in MP4 with chapters (Nero and QuickTime lists), cover and tags, at the
same loudness as the MP3; ``--format mp3,m4b`` writes both, and the playlist lists what exists."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from typer.testing import CliRunner

from voiceguide import levels
from voiceguide.cli import app

from .support.audio import ebur128
from .support.sessions import STRETCH

runner = CliRunner()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> Path:
    os.environ["VOICEGUIDE_CACHE_DIR"] = str(speech_cache)
    folder = tmp_path_factory.mktemp("m4b")
    script = folder / "shoulder-rolls.yaml"
    script.write_text(STRETCH)
    out = folder / "out"
    result = runner.invoke(app, ["export", str(script), "-o", str(out), "--format", "mp3,m4b", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return out


def ffprobe(path: Path) -> dict:
    command = ["ffprobe", "-v", "error", "-of", "json", "-show_chapters", "-show_streams", "-show_format", str(path)]
    return json.loads(subprocess.run(command, capture_output=True, check=True).stdout)


def test_both_formats_with_the_same_chapters(both: Path) -> None:
    names = sorted(p.name for p in both.iterdir())
    assert names == sorted(
        ["shoulder-rolls.mp3", "shoulder-rolls.m4b", "shoulder-rolls.lrc", "shoulder-rolls.vtt", "voiceguide.m3u8"]
    )
    seconds = float(ffprobe(both / "shoulder-rolls.mp3")["format"]["duration"])
    entry, name = (both / "voiceguide.m3u8").read_text().splitlines()[1:]
    assert name == "shoulder-rolls.mp3" and entry.endswith(",Shoulder rolls")
    assert abs(int(entry.removeprefix("#EXTINF:").split(",")[0]) - seconds) <= 1, (entry, seconds)

    info = ffprobe(both / "shoulder-rolls.m4b")
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    assert [(s["codec_name"], s["sample_rate"], s["channels"]) for s in audio] == [("aac", "44100", 2)]
    covers = [s for s in info["streams"] if s.get("disposition", {}).get("attached_pic") == 1]
    assert [s["codec_name"] for s in covers] == ["png"]
    tags = info["format"]["tags"]
    assert (tags["title"], tags["artist"], tags["album"], tags["track"]) == (
        "Shoulder rolls", "voiceguide", "voiceguide library", "1/1"
    )  # fmt: skip

    # The chapters are the MP3's ID3 chapters, to the millisecond, with the same titles.
    id3 = ID3(both / "shoulder-rolls.mp3")
    expected = sorted((c.start_time, c.end_time, str(c.sub_frames["TIT2"])) for c in id3.getall("CHAP"))
    assert [title for _s, _e, title in expected] == ["Forward rolls", "Backward rolls", "Rest"]
    found = [
        (round(float(c["start_time"]) * 1000), round(float(c["end_time"]) * 1000), c["tags"]["title"])
        for c in info["chapters"]
    ]
    assert found == expected

    # Both chapter lists are in the file: Nero's chpl atom and a QuickTime chapter text track.
    mp4 = MP4(both / "shoulder-rolls.m4b")
    assert [(round(c.start * 1000), c.title) for c in mp4.chapters] == [(s, t) for s, _e, t in expected]
    assert any(s["codec_type"] == "data" and s.get("codec_tag_string") == "text" for s in info["streams"])
    assert bytes(mp4["covr"][0]).startswith(b"\x89PNG")


def test_loudness_of_the_m4b_matches_the_mp3(both: Path) -> None:
    integrated, peak = ebur128(both / "shoulder-rolls.m4b")
    assert abs(integrated - levels.TARGET_LUFS) <= 1.0, integrated
    assert peak <= levels.TRUE_PEAK_LIMIT, peak
    mp3, _ = ebur128(both / "shoulder-rolls.mp3")
    assert abs(integrated - mp3) <= 0.3, (integrated, mp3)


def test_m4b_alone_is_what_the_playlist_lists(tmp_path: Path) -> None:
    script = tmp_path / "shoulder-rolls.yaml"
    script.write_text(STRETCH)
    result = runner.invoke(app, ["export", str(script), "-o", str(tmp_path / "out"), "--format", "m4b"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "shoulder-rolls.lrc", "shoulder-rolls.m4b", "shoulder-rolls.vtt", "voiceguide.m3u8"
    ]  # fmt: skip
    assert (tmp_path / "out" / "voiceguide.m3u8").read_text().splitlines()[-1] == "shoulder-rolls.m4b"


def test_an_unknown_format_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "childs-pose", "-o", str(tmp_path), "--format", "mp3,ogg"])
    assert result.exit_code == 2
    assert "--format takes mp3, m4b or wav" in result.output
    assert list(tmp_path.iterdir()) == []
