"""How fast `batch` makes per-team files, and how much memory it takes.

    PYTHONPATH=src python3 benchmarks/batch.py [--files 1000] [--memory-rows 10000]

In one run on one machine, for 1,000 OKR workbooks and 1,000 MBO trackers (and the
same as Word documents), it times: `batch` with one worker and with all workers; a
loop calling `render` once per team in one process; and what users script today,
openpyxl loading the blank workbook, filling the team's cells and saving a copy.
Each contender runs as its own process, so start-up counts and peak memory (the
proportional set size of all its processes together, sampled every 100 ms) is its
own. Last, `batch` with all workers on 10,000-row OKR and MBO rosters measures peak
memory.
A benchmark, not a test: it prints numbers and the targets, and fails nothing.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-07-01"
SAMPLE_SECONDS = 0.1
TARGETS = {"openpyxl loop": 5.0, "render loop": 3.0}
MEMORY_TARGET_MB = 200

ROSTERS = {
    "okr": (["Team", "Owner"], lambda n: [f"Team {n:05d}", f"Owner {n}"]),
    "mbo": (
        ["Employee", "Role", "Manager", "Base Salary", "Target Bonus Pct"],
        lambda n: [f"Employee {n:05d}", "Analyst", "Mia Example", str(50000 + n), "10"],
    ),
}
# What a user's script fills: the defined name of each roster column's cell.
FILLED_NAMES = {
    "okr": {"team": 0, "owner": 1},
    "mbo": {"employee": 0, "role": 1, "manager": 2, "base_salary": 3},
}

RENDER_LOOP = """
import csv, datetime as dt, sys
from pathlib import Path
from perftemplates.batch import NAME_COLUMNS
from perftemplates.templates import find_template, render
template_id, roster, out, fmt = sys.argv[1:5]
template = find_template(template_id)
as_of = dt.date.fromisoformat(sys.argv[5])
with open(roster, newline="", encoding="utf-8") as stream:
    rows = csv.reader(stream)
    keys = [h.lower().replace(" ", "_") for h in next(rows)]
    for row in rows:
        values = dict(zip(keys, row))
        if "target_bonus_pct" in values:
            values["target_bonus_pct"] = str(float(values["target_bonus_pct"]) / 100)
        data = render(template, "blank", fmt, as_of, values)
        Path(out, row[0] + "." + fmt).write_bytes(data)
"""

OPENPYXL_LOOP = """
import csv, sys, warnings
from pathlib import Path
import openpyxl
warnings.simplefilter("ignore")
blank, roster, out, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(roster, newline="", encoding="utf-8") as stream:
    rows = csv.reader(stream)
    next(rows)
    for row in rows:
        book = openpyxl.load_workbook(blank)
        for pair in names:
            name, column = pair.split("=")
            for sheet, cell in book.defined_names[name].destinations:
                book[sheet][cell.replace("$", "")] = row[int(column)]
        book.save(Path(out, row[0] + ".xlsx"))
"""


@dataclass
class Result:
    label: str
    files: int
    seconds: float
    peak_mb: float

    @property
    def rate(self) -> float:
        return self.files / self.seconds

    def line(self) -> str:
        return (
            f"  {self.label:<22} {self.rate:8.1f} files/s  "
            f"{self.seconds:7.1f} s  peak {self.peak_mb:6.0f} MB"
        )


def main() -> None:
    options = _options()
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    print(f"perftemplates batch benchmark: {workers} CPUs, Python {sys.version[:6]}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for template in ("okr", "mbo"):
            roster = write_roster(work, template, options.files)
            compare_workbooks(work, template, roster, workers)
            compare_documents(work, template, roster, workers)
        if options.memory_rows:
            measure_memory(work, options.memory_rows, workers)


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--memory-rows", type=int, default=10000)
    return parser.parse_args()


def write_roster(work: Path, template: str, count: int, name: str = "") -> Path:
    headers, row = ROSTERS[template]
    path = work / f"{name or template}-{count}.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        writer.writerows(row(n) for n in range(1, count + 1))
    return path


def compare_workbooks(work: Path, template: str, roster: Path, workers: int) -> None:
    count = _rows(roster)
    print(f"\n{template}: {count:,} workbooks (xlsx)")
    results = [
        run_batch(work, template, roster, "xlsx", 1),
        run_batch(work, template, roster, "xlsx", workers),
        run_render_loop(work, template, roster, "xlsx"),
        run_openpyxl_loop(work, template, roster),
    ]
    report(results)


def compare_documents(work: Path, template: str, roster: Path, workers: int) -> None:
    print(f"\n{template}: {_rows(roster):,} Word documents (docx)")
    report(
        [
            run_batch(work, template, roster, "docx", workers),
            run_render_loop(work, template, roster, "docx"),
        ]
    )


def measure_memory(work: Path, rows: int, workers: int) -> None:
    for template in ("okr", "mbo"):
        roster = write_roster(work, template, rows, name=f"memory-{template}")
        print(f"\n{template}: peak memory for a {rows:,}-row roster (xlsx)")
        result = run_batch(work, template, roster, "xlsx", workers)
        print(result.line())
        verdict = "met" if result.peak_mb < MEMORY_TARGET_MB else "NOT met"
        print(f"  target: under {MEMORY_TARGET_MB} MB, {verdict}")


def report(results: list[Result]) -> None:
    for result in results:
        print(result.line())
    # The targets are for batch with all workers: the last batch line.
    batch = [result for result in results if result.label.startswith("batch")][-1]
    for result in results:
        target = TARGETS.get(result.label)
        if target:
            ratio = batch.rate / result.rate
            verdict = "met" if ratio >= target else "NOT met"
            print(
                f"  {batch.label} vs {result.label}: {ratio:.2f}x "
                f"(target {target:g}x, {verdict})"
            )


def run_batch(
    work: Path, template: str, roster: Path, fmt: str, workers: int
) -> Result:
    out = _fresh(work, f"batch-{template}-{fmt}-{workers}")
    command = [sys.executable, "-m", "perftemplates", "batch", template]
    command += ["--roster", str(roster), "--out", str(out), "--format", fmt]
    command += ["--workers", str(workers), "--as-of", AS_OF, "--quiet"]
    label = f"batch, {workers} worker" + ("s" if workers > 1 else "")
    return timed(label, command, out, f".{fmt}")


def run_render_loop(work: Path, template: str, roster: Path, fmt: str) -> Result:
    out = _fresh(work, f"render-{template}-{fmt}")
    command = [sys.executable, "-c", textwrap.dedent(RENDER_LOOP)]
    command += [template, str(roster), str(out), fmt, AS_OF]
    return timed("render loop", command, out, f".{fmt}")


def run_openpyxl_loop(work: Path, template: str, roster: Path) -> Result:
    blank = work / f"{template}-blank.xlsx"
    subprocess.run(
        [sys.executable, "-m", "perftemplates", "render", template]
        + ["--format", "xlsx", "--out", str(work), "--as-of", AS_OF],
        check=True,
        capture_output=True,
        env=_environment(),
    )
    (work / f"{template}.xlsx").replace(blank)
    out = _fresh(work, f"openpyxl-{template}")
    names = [f"{name}={col}" for name, col in FILLED_NAMES[template].items()]
    command = [sys.executable, "-c", textwrap.dedent(OPENPYXL_LOOP)]
    command += [str(blank), str(roster), str(out), *names]
    return timed("openpyxl loop", command, out, ".xlsx")


def timed(label: str, command: list[str], out: Path, suffix: str) -> Result:
    """Run `command` to completion; its wall time and peak memory of all processes."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=_environment(), stderr=subprocess.PIPE)
    peak = _PeakMemory(process.pid)
    peak.start()
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    peak.stop()
    if process.returncode != 0:
        sys.exit(f"{label} failed ({process.returncode}): {errors.decode()[-2000:]}")
    files = sum(1 for path in out.iterdir() if path.suffix == suffix)
    return Result(label, files, seconds, peak.megabytes)


class _PeakMemory(threading.Thread):
    """The largest total proportional memory of a process and its children."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.running = True

    @property
    def megabytes(self) -> float:
        return self.peak_kb / 1024

    def stop(self) -> None:
        self.running = False
        self.join()

    def run(self) -> None:
        while self.running:
            total = sum(_pss_kb(pid) for pid in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            time.sleep(SAMPLE_SECONDS)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue += children.get(pid, [])
    return found


def _pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _fresh(work: Path, name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=work))


def _rows(roster: Path) -> int:
    with roster.open(encoding="utf-8") as stream:
        return sum(1 for _ in stream) - 1


def _environment() -> dict[str, str]:
    source = str(ROOT / "src")
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


if __name__ == "__main__":
    main()
