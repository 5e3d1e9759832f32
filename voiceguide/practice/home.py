"""Where the user's practice files live, and the user's time zone.

``VOICEGUIDE_HOME`` holds everything when set; otherwise the plan and the notes go in the
user's config folder and the history in the user's data folder (platformdirs).
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

APP = "voiceguide"


def _home() -> Path | None:
    value = os.environ.get("VOICEGUIDE_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    return _home() or platformdirs.user_config_path(APP)


def data_dir() -> Path:
    return _home() or platformdirs.user_data_path(APP)


def plan_path() -> Path:
    return config_dir() / "plan.yaml"


def notes_path() -> Path:
    return config_dir() / "notes.yaml"


def history_path() -> Path:
    return data_dir() / "history.sqlite"


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_zone() -> str:
    """The IANA name of the machine's zone (``TZ``, ``/etc/timezone``, ``/etc/localtime``), or UTC."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    try:
        candidates.append(Path("/etc/timezone").read_text().strip())
    except OSError:
        pass
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    return next((c for c in candidates if c and valid_zone(c)), "UTC")
