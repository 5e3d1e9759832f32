import pytest

from voiceguide.units import (
    MAX_SESSION_SECONDS,
    Span,
    format_duration,
    parse_count_span,
    parse_duration,
    parse_duration_span,
    parse_pattern,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45s", 45), ("2m", 120), ("1m30s", 90), ("1.5m", 90), ("1h", 3600), ("0.5s", 0.5), (" 2m 5s ", 125)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30", "needs a unit"),
        (30, "needs a unit"),
        ("-5s", "negative"),
        ("0s", "zero"),
        ("5 minutes", "not a duration"),
        ("", "not a duration"),
        ("5h", "4 hour"),
        ("999999h", "4 hour"),
        (True, "expected a duration"),
        (None, "expected a duration"),
    ],
)
def test_bad_durations(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def test_ranges() -> None:
    assert parse_duration_span("30s to 1m") == Span(30, 60)
    assert parse_duration_span("45s") == Span(45, 45)
    assert parse_count_span("2 to 4") == Span(2, 4)
    assert parse_count_span(3) == Span(3, 3)
    with pytest.raises(ValueError, match="reversed"):
        parse_duration_span("1m to 30s")
    with pytest.raises(ValueError, match="reversed"):
        parse_count_span("4 to 2")
    with pytest.raises(ValueError, match="at least 1"):
        parse_count_span(0)
    with pytest.raises(ValueError, match="limit of 100"):
        parse_count_span("2 to 101")
    with pytest.raises(ValueError, match="not a range"):
        parse_duration_span("30s to 1m to 2m")


def test_span_choices() -> None:
    assert Span(30, 60).at(0.5) == 45
    assert Span(2, 4).count_at(0.5) == 3
    assert Span(3, 4).count_at(0.5) == 4  # half rounds up
    assert Span(2, 4).count_at(0.0) == 2 and Span(2, 4).count_at(1.0) == 4


@pytest.mark.parametrize(
    ("text", "phases"),
    [
        ("relax", [("breath-in", 4), ("breath-out", 6)]),
        ("box", [("breath-in", 4), ("breath-hold", 4), ("breath-out", 4), ("breath-hold", 4)]),
        ("4-7-8", [("breath-in", 4), ("breath-hold", 7), ("breath-out", 8)]),
        ("3-5", [("breath-in", 3), ("breath-out", 5)]),
        ("4-4-4-4", [("breath-in", 4), ("breath-hold", 4), ("breath-out", 4), ("breath-hold", 4)]),
    ],
)
def test_patterns(text: str, phases: list[tuple[str, float]]) -> None:
    assert parse_pattern(text).phases() == phases


@pytest.mark.parametrize("text", ["calmish", "4", "4-x", "1-2-3-4-5", "0-6", "4-30", "-4-6", "4--6"])
def test_bad_patterns(text: str) -> None:
    with pytest.raises(ValueError):
        parse_pattern(text)


def test_format() -> None:
    assert [format_duration(s) for s in (45, 120, 90, 3725, 0.4)] == ["45s", "2m", "1m30s", "1h02m05s", "0s"]
    assert MAX_SESSION_SECONDS == 4 * 3600
