"""Reading TOML files (vendor configuration, profile, waivers, attestations) with one-line errors.

Shared by ``profile.py``, ``waivers.py`` and ``attestations.py`` so that every
bad file ends in the same kind of one-line :class:`ConfigError`.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edcert.harness.errors import ConfigError


@dataclass(frozen=True)
class TomlFile:
    """A parsed TOML file and what identifies it."""

    path: Path
    data: dict[str, Any]
    sha256: str


def read_toml(path: str | Path, what: str) -> TomlFile:
    """Read a TOML file; every problem is a one-line ``ConfigError`` naming the option.

    Args:
        path: The file.
        what: The option that named it, e.g. ``--profile``.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {p}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {p}: is a folder, not a file") from None
    except OSError as exc:
        raise ConfigError(f"{what} {p}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {p}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {p}: not valid TOML ({exc})") from None
    return TomlFile(path=p, data=data, sha256=hashlib.sha256(raw).hexdigest())


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(exc: ValidationError, source: str) -> ConfigError:
    """The first validation problem as one line (and how many more there are)."""
    first = exc.errors()[0]
    where = _where(tuple(first["loc"]))
    kind = first["type"]
    if kind == "missing":
        text = f"missing key '{where}'"
    elif kind == "extra_forbidden":
        text = f"unknown key '{where}'"
    else:
        msg = str(first["msg"]).removeprefix("Value error, ")
        text = f"'{where}': {msg}"
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    return ConfigError(f"{source}: {text}{more}")
