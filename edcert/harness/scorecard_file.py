"""Reading scorecard.json files written by earlier runs (for compare and diff), with one-line errors."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edcert.harness.errors import ConfigError
from edcert.harness.scorecard import SCHEMA_VERSION, Scorecard


def _read_raw(path: Path) -> tuple[Path, dict[str, Any]]:
    if path.is_dir():
        path = path / "scorecard.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not an edcert scorecard (not UTF-8 text)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not an edcert scorecard (not JSON: {exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or "schema_version" not in data or "checks" not in data:
        raise ConfigError(f"{path}: not an edcert scorecard (no schema_version and checks)")
    return path, data


def _validate(path: Path, data: dict[str, Any]) -> Scorecard:
    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        raise ConfigError(f"{path}: scorecard schema_version {version!r}; this edcert reads version {SCHEMA_VERSION}")
    try:
        return Scorecard.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path}: not a valid edcert scorecard ('{where}': {first['msg']})") from None


def load_scorecard(path: str | Path) -> Scorecard:
    """Read and validate one ``scorecard.json`` (or the report folder holding it).

    Raises:
        ConfigError: The file is missing, not a scorecard, or of another schema version.
    """
    return _validate(*_read_raw(Path(path)))


def load_scorecards(paths: list[str | Path] | list[Path]) -> list[tuple[Path, Scorecard]]:
    """Read several scorecards that are to be set side by side; they must share one schema version.

    Raises:
        ConfigError: One file is not a scorecard, or the files have different schema versions.
    """
    raw = [_read_raw(Path(p)) for p in paths]
    versions = {repr(data["schema_version"]) for _, data in raw}
    if len(versions) > 1:
        listing = ", ".join(f"{path} has {data['schema_version']!r}" for path, data in raw)
        raise ConfigError(f"scorecards of different schema_version cannot be set side by side ({listing})")
    return [(path, _validate(path, data)) for path, data in raw]
