"""P4 CSV: ``edcert validate-csv`` on a bundle of 1,000,000 users (and a role and an enrollment each).

``python -m bench.csv_stream [USERS]`` (default 1,000,000). The bundle is written to a temporary folder
(never committed): the small district's orgs, sessions, courses and classes, then USERS users, USERS
roles and USERS enrollments, deflated like a SIS export. The floor opens the same zip and only reads
every row of every member with ``csv.reader``. edcert runs as a child process (``bench._child``), so
its peak memory (VmHWM) is its own.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from bench._support import ROOT, Timer, median_pair, ratio, save
from edcert.fixtures.csv_bundles import _ALL_FILES, HEADERS, district_tables
from edcert.fixtures.districts import generate_district

CHUNK = 10_000


def _rows(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def write_bundle(path: Path, users: int) -> dict[str, int]:
    """The bundle at ``path``; returns the data rows of each member."""
    small = district_tables(generate_district("small"), "1.2", "bulk")
    classes = [(row[0], row[9]) for row in small["classes"][1:]]  # (class, its school)
    school = classes[0][1]
    present = ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments")
    manifest = [["propertyName", "value"], ["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
    manifest += [[f"file.{stem}", "bulk" if stem in present else "absent"] for stem in _ALL_FILES["1.2"]]
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("manifest.csv", _rows(manifest))
        for stem in ("orgs", "academicSessions", "courses", "classes"):
            zf.writestr(f"{stem}.csv", _rows(small[stem]))
            counts[stem] = len(small[stem]) - 1

        def member(stem: str, line: Any) -> None:
            with zf.open(f"{stem}.csv", "w", force_zip64=True) as fh:
                fh.write(_rows([list(HEADERS["1.2"][stem])]))
                for start in range(0, users, CHUNK):
                    fh.write("".join(line(i) for i in range(start, min(users, start + CHUNK))).encode())
            counts[stem] = users

        def uid(i: int, kind: int = 0) -> str:  # UUID-shaped, as a SIS exports them
            return f"{i:08x}-{kind:04d}-4000-8000-{i:012d}"

        member("users", lambda i: f"{uid(i)},,,true,given{i}.family{i},{{studentNumber:S{i:08d}}},Given{i},"
                                  f"Family{i},,S{i:08d},given{i}.family{i}@example.edu,,,,09,,,,,,{school},\r\n")
        member("roles", lambda i: f"{uid(i, 1)},,,{uid(i)},primary,student,,,{school},\r\n")

        def enrollment(i: int) -> str:
            cid, sid = classes[i % len(classes)]
            return f"{uid(i, 2)},,,{cid},{sid},{uid(i)},student,,2026-08-17,2027-06-11\r\n"

        member("enrollments", enrollment)
    return counts


def read_floor(path: Path) -> int:
    rows = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            with zf.open(info) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
                for _ in csv.reader(text):
                    rows += 1
    return rows


REPEATS = 3  # edcert and the floor, alternately: P4 is the median pair (median_pair), as P1


def _edcert(bundle: Path, tmp: Path) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    stats = tmp / "stats.json"
    proc = subprocess.run(  # noqa: S603 - our own module and the edcert CLI, fixed arguments
        [sys.executable, "-m", "bench._child", str(stats), "validate-csv", str(bundle), "--out",
         str(tmp / "report"), "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, check=False)
    return json.loads(stats.read_text()), proc


def main(users: int = 1_000_000, repeats: int = REPEATS) -> dict[str, Any]:
    """P4 on a bundle of ``users`` users: edcert's run and the floor's, ``repeats`` times each, alternately.

    This machine's speed drifts within minutes, so the figure is the median of the side-by-side pairs' ratios
    (as P1's; each side's fastest run is shown too); every pair is kept in ``samples``. Peak memory is the
    largest of edcert's runs.
    """
    with tempfile.TemporaryDirectory(prefix="edcert-bench-csv-") as tmp:
        bundle = Path(tmp) / "bundle.zip"
        with Timer() as made:
            counts = write_bundle(bundle, users)
        rows = read_floor(bundle)  # warms the page cache for both sides
        floors: list[Timer] = []
        runs: list[dict[str, Any]] = []
        for _ in range(repeats):
            child, proc = _edcert(bundle, Path(tmp))
            runs.append(child)
            if proc.returncode != 0:
                break
            with Timer() as floor:
                read_floor(bundle)
            floors.append(floor)
        scorecard = json.loads((Path(tmp) / "report" / "scorecard.json").read_text())
        failed = sorted(c["id"] for c in scorecard["checks"] if c["outcome"] in ("failed", "error"))
        size = bundle.stat().st_size
    best = min(runs, key=lambda run: run["wall_s"])
    floor_s = min((floor.wall for floor in floors), default=float("nan"))
    floor_cpu = min((floor.cpu for floor in floors), default=float("nan"))
    edcert_cpu = min(run["cpu_s"] for run in runs)
    pairs = list(zip(runs, floors, strict=False))  # edcert's last run has no floor after it if it failed
    pair_ratios = sorted(ratio(run["wall_s"], floor.wall) for run, floor in pairs)
    figures = {
        "users": users, "rows": rows, "zip_bytes": size, "generate_s": round(made.wall, 1), "rows_by_file": counts,
        "floor_read_s": round(floor_s, 3), "floor_read_cpu_s": round(floor_cpu, 3),
        "edcert_s": round(best["wall_s"], 3), "edcert_cpu_s": round(edcert_cpu, 3),
        "vs_read": median_pair(pair_ratios), "vs_read_fastest": ratio(best["wall_s"], floor_s),
        "vs_read_cpu": ratio(edcert_cpu, floor_cpu),
        "vs_read_target": 3.0,
        "samples": [{"edcert_s": round(run["wall_s"], 3), "edcert_cpu_s": round(run["cpu_s"], 3),
                     "floor_read_s": round(floor.wall, 3), "floor_read_cpu_s": round(floor.cpu, 3)}
                    for run, floor in pairs],
        "pair_ratios": pair_ratios,
        "peak_rss_mb": round(max(run["peak_rss_mb"] for run in runs), 1), "peak_rss_target_mb": 300,
        "exit_code": runs[-1]["exit_code"], "failed_checks": failed,
    }
    figures["met"] = figures["vs_read"] <= 3.0 and figures["peak_rss_mb"] <= 300 and proc.returncode == 0
    save("csv", figures)
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
    return figures


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
