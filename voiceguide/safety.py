"""A safety line as a session says it.

Full guidance says the whole line. Brief guidance says its first sentence, which says to stop if
something hurts, and every sentence that names the warning signs to see a doctor for (one that
says "see a doctor"): brief guidance leaves out explanations, never those.
"""

from __future__ import annotations

from voiceguide.text import sentences

WARNING_SIGNS = "see a doctor"  # what a sentence naming warning signs says


def safety_said(text: str, brief: bool) -> str:
    """``text``, a safety line, as it is said at full guidance or under ``brief`` guidance."""
    if not brief:
        return text
    first, *rest = sentences(text)
    return " ".join([first, *(s for s in rest if WARNING_SIGNS in s.lower())])
