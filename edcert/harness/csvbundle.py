"""What ``edcert validate-csv`` needs to know about a OneRoster CSV zip before the run.

Only the manifest's ``oneroster.version`` (the version to validate against when ``--version`` is not
given) and ``source.systemName`` (the name on the scorecard). The bundle itself is judged by the
``oneroster_csv`` suite; this reads at most ``PEEK_BYTES`` of manifest.csv and never fails: whatever it
cannot read, the suite's checks report.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

PEEK_BYTES = 64 * 1024
NAME_CHARS = 80


@dataclass(frozen=True)
class ManifestPeek:
    """The manifest values the command line uses (``None`` when absent or unreadable)."""

    oneroster_version: str | None = None
    system_name: str | None = None


def peek_manifest(path: Path) -> ManifestPeek:
    """Read ``oneroster.version`` and ``source.systemName`` from the zip's manifest.csv, if it can."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = next((i for i in zf.infolist() if i.filename.lower() == "manifest.csv"), None)
            if info is None or info.flag_bits & 0x1:
                return ManifestPeek()
            with zf.open(info) as fh:
                head = fh.read(PEEK_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return ManifestPeek()
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    values: dict[str, str] = {}
    try:
        for row in csv.reader(io.StringIO(text)):
            if len(row) >= 2 and row[0] not in values:
                values[row[0]] = row[1]
    except csv.Error:
        pass
    name = "".join(ch for ch in values.get("source.systemName", "") if ch.isprintable()).strip()[:NAME_CHARS]
    return ManifestPeek(oneroster_version=values.get("oneroster.version") or None, system_name=name or None)
