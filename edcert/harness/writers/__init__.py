"""One writer per output format; checks never format output."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.scorecard import Scorecard
from edcert.harness.writers.html import write_html
from edcert.harness.writers.json import write_json
from edcert.harness.writers.junit import write_junit
from edcert.harness.writers.markdown import write_markdown

WRITERS = {
    "scorecard.json": write_json,
    "scorecard.html": write_html,
    "scorecard.md": write_markdown,
    "junit.xml": write_junit,
}


def write_all(scorecard: Scorecard, out_dir: Path) -> dict[str, Path]:
    """Write every format into ``out_dir``; returns the paths by file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, writer in WRITERS.items():
        path = out_dir / name
        writer(scorecard, path)
        paths[name] = path
    return paths


__all__ = ["WRITERS", "write_all", "write_html", "write_json", "write_junit", "write_markdown"]
