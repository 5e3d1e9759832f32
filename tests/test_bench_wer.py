"""The word error rate benchmark counts what a listener would count as misheard, and nothing else."""

from __future__ import annotations

from bench.wer import edits, joined, words


def test_words_are_compared_as_heard_not_as_spelt() -> None:
    assert words("Ten seconds.") == words("10 seconds") == ["ten", "seconds"]
    assert words("for 2-3 minutes") == words("for two to three minutes")
    assert words("Twenty-five, feather-light!") == ["twenty", "five", "feather", "light"]
    assert words("a little moisturiser") == words("A little moisturizer.")
    assert words("you are sitting toward it") == words("You're sitting towards it.")
    assert words("Your partner\u2019s back") == ["your", "partner's", "back"]


def test_edits_count_substitutions_deletions_and_insertions() -> None:
    said = words("one stroke on each click")
    assert edits(said, said) == 0
    assert edits(said, words("one stroke on each take")) == 1
    assert edits(said, words("one stroke each click")) == 1
    assert edits(said, words("one stroke on each soft click")) == 1
    assert edits(said, []) == 5


def test_a_word_written_in_two_parts_is_one_word_heard() -> None:
    said = words("Place a fingertip on each side")
    assert edits(said, joined(said, words("Place a finger tip on each side"))) == 0
    assert joined(said, words("on each side")) == ["on", "each", "side"], "known words stay apart"
