"""scorecard.json, validated against its own model before it is written."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.scorecard import Scorecard


def write_json(scorecard: Scorecard, path: Path) -> None:
    path.write_text(scorecard.model_dump_json(indent=2) + "\n", encoding="utf-8")


def read_json(path: Path) -> Scorecard:
    return Scorecard.model_validate_json(path.read_text(encoding="utf-8"))
