"""Late submissions: nbgrader's timestamp.txt against the manifest's `due`, and the penalty.

The rule (docs/ecosystem.md): a submission later than `due` + `grace_minutes` loses
`percent_per_day` percent of the score it earned for each started day (24 h) of lateness,
capped at `max_percent`. With no `due` in assignment.yaml nothing is late.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from autograder.course import LatePenalty

TIMESTAMP = "timestamp.txt"


@dataclass(frozen=True)
class Lateness:
    timestamp: datetime | None
    days_late: int  # started days after the deadline (0: on time)
    percent: float  # of the earned score
    note: str


def parse_timestamp(text: str) -> datetime:
    """nbgrader writes e.g. `2026-03-01 23:59:00.123456 UTC`; naive times are UTC."""
    raw = text.strip().removesuffix("UTC").strip().replace("Z", "+00:00")
    stamp = datetime.fromisoformat(raw)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def read_timestamp(folder: Path) -> tuple[datetime | None, str]:
    """(timestamp, problem) from folder/timestamp.txt."""
    path = folder / TIMESTAMP
    if not path.is_file():
        return None, f"no {TIMESTAMP}: lateness not checked"
    try:
        return parse_timestamp(path.read_text(encoding="utf-8")[:100]), ""
    except ValueError:
        return None, f"{TIMESTAMP} is not a date ({path.read_text(errors='replace')[:40]!r}): " \
                     "lateness not checked"


def lateness(timestamp: datetime | None, due: datetime | None, rule: LatePenalty,
             problem: str = "") -> Lateness:
    if due is None or timestamp is None:
        return Lateness(timestamp, 0, 0.0, problem if due is not None else "")
    late_s = (timestamp - due).total_seconds() - 60 * rule.grace_minutes
    if late_s <= 0:
        return Lateness(timestamp, 0, 0.0, "")
    days = math.ceil(late_s / 86400)
    percent = min(rule.max_percent, days * rule.percent_per_day)
    hours = (timestamp - due).total_seconds() / 3600
    return Lateness(timestamp, days, percent,
                    f"late by {hours:.1f} h ({days} started day{'s' if days > 1 else ''} after "
                    f"{due.isoformat()}): -{percent:g}% of the score")
