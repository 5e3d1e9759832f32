"""Figure 18: how fast the loader refuses a YAML alias bomb (ten levels of ten aliases each:
10^10 values, were they expanded). The loader's test checks that it is refused; this, how fast."""

from __future__ import annotations

import time

from bench.common import Bench, Figures, Row, median_of
from tests.support.sessions import ALIAS_BOMB

ROWS = (18,)


def run(bench: Bench) -> Figures:
    from voiceguide.errors import ScriptError
    from voiceguide.library import Resolver
    from voiceguide.loader import load_session

    path = bench.work / "alias-bomb.yaml"
    path.write_text(ALIAS_BOMB)

    def refuse() -> float:
        started = time.perf_counter()
        try:
            load_session(path, Resolver())
        except ScriptError as error:
            took = time.perf_counter() - started
            if "an alias bomb?" not in str(error):
                raise RuntimeError(f"refused for another reason: {error}") from None
            return took
        raise RuntimeError("the alias bomb was loaded")

    took, all_ = median_of(bench.repeat + 4, refuse)
    bench.log(f"alias bomb refused in {all_}")
    row = Row(
        18,
        "a YAML alias bomb refused by the loader (ten levels of ten aliases: 10^10 values, were they expanded)",
        f"{took * 1000:.1f} ms (one clear line: more than 20,000 values)",
        "≤ 1 s",
        took <= 1.0,
    )
    return Figures([row])
