"""One file per roster row or team: the roster in, a process pool, files and a manifest.

Orchestration only. Each row's values reach the template through the same
`overrides` that `render --set` uses (and a team's members through the profile's
people), so a batch file is byte-identical to the one `render` makes for the same
values. Results come back in roster order whatever the pool's order, which makes
names, the manifest and the zip the same on every run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import re
import signal
import zipfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import IO, Any

from perftemplates.blueprint.brand import Brand
from perftemplates.errors import InputError, PerftemplatesError
from perftemplates.naming import UniqueNames, safe_name
from perftemplates.output import atomic_stream, sha256, write_atomic
from perftemplates.render.package import FIXED_TIME
from perftemplates.render.stamp import Stamper
from perftemplates.roster import Roster, RosterOptions, Row, normalise
from perftemplates.templates import Format, Template, find_template

MANIFEST_NAME = "manifest.json"
# The columns whose value names a file by default, first found wins.
NAME_COLUMNS = ("team", "employee", "name")
# With --group-by, each row is a person: their name and email fill the People table.
MEMBER_NAME_COLUMNS = ("name", "employee", "person")
MEMBER_EMAIL_COLUMN = "email"
# python-docx keeps memory per document; a fresh worker now and then returns it.
TASKS_PER_WORKER = 100
# Rows handed to the pool ahead of the one being written: enough to keep every
# worker busy, few enough that a long roster never sits in memory.
AHEAD_PER_WORKER = 4
KEPT = "differs from what this run makes (edited since?): kept; --force replaces it"
# write_atomic's temporary names: `.NAME.XXXXXXXX.part`.
LEFTOVER = re.compile(r"^\..+\.(\w+)\.[A-Za-z0-9_]{8}\.part$")
WORKER_FILES = ("xlsx", "docx")
RUN_FILES = (*WORKER_FILES, "json", "zip")


@dataclass(frozen=True)
class Request:
    """Everything a batch run is asked to do."""

    template: str
    roster: Path
    out: Path
    as_of: dt.date
    formats: tuple[Format, ...] = ("xlsx",)
    brand: Brand | None = None
    workers: int | None = None
    group_by: str | None = None
    name: str | None = None
    zip: bool = False
    force: bool = False
    strict: bool = False
    roster_options: RosterOptions = RosterOptions()


@dataclass(frozen=True)
class Job:
    """One file's worth of work per format: a row, or a team with --group-by."""

    row: int
    name: str
    overrides: dict[str, str]
    people: tuple[tuple[str, str, str], ...] | None = None
    error: str | None = None
    # The row's other columns, for blueprint text such as {{ row.notes }}.
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """One file of the run as the manifest lists it."""

    row: int
    name: str
    file: str
    status: str  # written, unchanged or failed
    # Of the file in the folder: none for a row that failed to render.
    bytes: int | None = None
    sha256: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Work:
    """What every worker needs, sent once rather than with every row."""

    template: Template
    brand: Brand | None
    as_of: dt.date
    formats: tuple[Format, ...]
    out: Path
    force: bool


class Batch:
    """A checked batch run: the roster's header, names and (with --strict) rows."""

    def __init__(self, request: Request):
        self.request = request
        self.template = find_template(request.template)
        self.roster = Roster(
            request.roster, self.template.blueprint, request.roster_options
        )
        self.names = NamePattern(request.name, self.roster)
        self.groups = (
            Grouping(request.group_by, self.roster) if request.group_by else None
        )
        self.rows, problems = self._survey()
        if request.strict and problems:
            raise InputError("\n".join(problems))
        self.total = self.rows * len(request.formats)
        self.leftovers_removed = 0
        self.kept = 0
        self.earlier_as_of = _earlier_as_of(request.out / MANIFEST_NAME)

    def jobs(self) -> Iterator[Job]:
        """The work in roster order, a row (or a team) at a time."""
        unique = UniqueNames()
        if self.groups is None:
            for row in self.roster.rows():
                name = unique.claim(safe_name(self.names.text(row), row.number))
                error = _error(row.problems)
                yield Job(row.number, name, row.overrides, None, error, row.values)
            return
        for group in self.groups.collect():
            name = unique.claim(safe_name(self.names.text(group.first), group.row))
            yield group.job(name)

    def run(self) -> Iterator[Entry]:
        """Write every file and the manifest (and zip), yielding entries in order."""
        out = self.request.out
        out.mkdir(parents=True, exist_ok=True)
        self.leftovers_removed = remove_leftovers(out)
        zip_path = out / self.zip_name if self.zip_name else None
        with _zip_stream(zip_path) as archive:
            with _manifest_stream(out / MANIFEST_NAME, self._heading()) as manifest:
                for entries in self._results():
                    for entry in entries:
                        # A failed entry with a checksum is a file kept as edited.
                        if entry.status == "failed" and entry.sha256:
                            self.kept += 1
                        manifest.add(entry)
                        _add_to_zip(archive, out, entry)
                        yield entry
            _add_file_to_zip(archive, out, MANIFEST_NAME)

    def date_note(self) -> str | None:
        """After a run: why its kept files may differ, if the folder was made
        for another date."""
        earlier, now = self.earlier_as_of, self.request.as_of
        if not self.kept or earlier in (None, now):
            return None
        return (
            f"{self.request.out}: its files were made with --as-of {earlier}, this "
            f"run with {now}; dates and stored results differ, so rerun with "
            f"--as-of {earlier} to compare like with like"
        )

    @property
    def zip_name(self) -> str | None:
        return f"{self.template.id}-batch.zip" if self.request.zip else None

    def _survey(self) -> tuple[int, list[str]]:
        """Count the jobs and list what is wrong with them, reading the roster once."""
        count, problems = 0, []
        for job in self.jobs():
            count += 1
            if job.error:
                problems.append(f"{self.roster.path}: row {job.row}: {job.error}")
        return count, problems

    def _heading(self) -> dict[str, Any]:
        return {
            "generator": "perftemplates",
            "template": self.template.id,
            "roster": self.request.roster.name,
            "as_of": self.request.as_of.isoformat(),
        }

    def _results(self) -> Iterator[list[Entry]]:
        request = self.request
        work = Work(
            self.template,
            request.brand,
            request.as_of,
            request.formats,
            request.out,
            request.force,
        )
        workers = request.workers or cpu_count()
        _prime(work, self._first_job())
        pool = multiprocessing.get_context().Pool(
            workers, _start_worker, (work,), maxtasksperchild=TASKS_PER_WORKER
        )
        try:
            pending: deque[AsyncResult | list[Entry]] = deque()
            for job in self.jobs():
                pending.append(_submit(pool, work, job))
                if len(pending) >= workers * AHEAD_PER_WORKER:
                    yield _wait(pending.popleft())
            while pending:
                yield _wait(pending.popleft())
            pool.close()
            pool.join()
        except BaseException:
            pool.terminate()
            pool.join()
            # A worker ended mid-file leaves its temporary file behind.
            remove_leftovers(request.out, WORKER_FILES)
            raise

    def _first_job(self) -> Job | None:
        """The first row's job; None with --group-by, where each team differs."""
        return None if self.groups is not None else next(self.jobs(), None)


class NamePattern:
    """File names from `--name` such as `{team} {quarter}`, or the default column."""

    PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

    def __init__(self, pattern: str | None, roster: Roster):
        self.pattern = pattern or self._default(roster)
        for key in self.PLACEHOLDER.findall(self.pattern):
            if normalise(key) != "row" and not roster.has(key):
                raise InputError(
                    f"--name: {roster.path} has no column {key!r}; found "
                    f"{roster.found()} (and {{row}}, the row number)"
                )

    def text(self, row: Row) -> str:
        def value(match: re.Match[str]) -> str:
            key = normalise(match.group(1))
            return str(row.number) if key == "row" else row.values.get(key, "")

        return self.PLACEHOLDER.sub(value, self.pattern)

    @staticmethod
    def _default(roster: Roster) -> str:
        for key in NAME_COLUMNS:
            if roster.has(key):
                return "{" + key + "}"
        raise InputError(
            f"{roster.path}: no column to name the files after: expected Team, "
            f"Employee or Name; found {roster.found()}; add one or pass --name"
        )


@dataclass
class Group:
    """The rows of one team: the first row's values, everyone as a person."""

    row: int
    first: Row
    overrides: dict[str, str]
    people: list[tuple[str, str, str]]
    problems: list[str]

    def job(self, name: str) -> Job:
        people = tuple(self.people)
        error = _error(self.problems)
        return Job(self.row, name, self.overrides, people, error, self.first.values)


def _error(problems: list[str]) -> str | None:
    return "; ".join(problems) or None


class Grouping:
    """`--group-by team`: a per-person roster becomes one file per team."""

    def __init__(self, column: str, roster: Roster):
        self.roster = roster
        self.key = normalise(column)
        if not roster.has(column):
            raise InputError(
                f"--group-by: {roster.path} has no column {column!r}; found "
                f"{roster.found()}"
            )
        found = [key for key in MEMBER_NAME_COLUMNS if roster.has(key)]
        if not found:
            raise InputError(
                f"--group-by: {roster.path} needs a column with each person's name "
                f"(Name or Employee); found {roster.found()}"
            )
        self.member_name = found[0]
        self.headers = {
            target.key: roster.headers[index]
            for index, target in roster.targets.items()
        }
        # Columns about the person, not the team: never one value for the file.
        self.personal = {
            target.key
            for index, target in roster.targets.items()
            if roster.columns[index] in (self.member_name, MEMBER_EMAIL_COLUMN)
        }

    def collect(self) -> list[Group]:
        """Every team in order of first appearance; the whole roster is read once."""
        groups: dict[str, Group] = {}
        strays: list[Group] = []
        for row in self.roster.rows():
            team = row.values.get(self.key, "")
            if not team:
                strays.append(self._stray(row))
                continue
            group = groups.get(team)
            if group is None:
                groups[team] = self._start(row)
            else:
                self._join(group, row)
        return sorted([*groups.values(), *strays], key=lambda group: group.row)

    def _start(self, row: Row) -> Group:
        overrides = {k: v for k, v in row.overrides.items() if k not in self.personal}
        return Group(row.number, row, overrides, [self._person(row)], row.problems)

    def _join(self, group: Group, row: Row) -> None:
        group.people.append(self._person(row))
        group.problems += [f"in row {row.number}, {p}" for p in row.problems]
        for key, value in row.overrides.items():
            if key in self.personal:
                continue
            known = group.overrides.setdefault(key, value)
            if known != value:
                group.problems.append(
                    f"in row {row.number}, {self.headers[key]}: {value!r} differs "
                    f"from {known!r} in row {group.row} of the same {self.key}"
                )

    def _stray(self, row: Row) -> Group:
        header = self.roster.header(self.key)
        problem = f"{header}: empty; --group-by needs one in every row"
        return Group(row.number, row, {}, [], [problem])

    def _person(self, row: Row) -> tuple[str, str, str]:
        values = row.values
        name = values.get(self.member_name, "")
        return (name, values.get(self.key, ""), values.get(MEMBER_EMAIL_COLUMN, ""))


# Workers


_work: Work | None = None
# Each worker renders a template once and stamps rows into it where it safely can.
_stamper = Stamper()


def _start_worker(work: Work) -> None:
    global _work
    _work = work
    # Ctrl-C reaches the whole process group; the main process alone decides to
    # stop, ends the pool and removes what a worker left half-written. A Python
    # handler for SIGTERM inherited from it could leave a blocked worker unkillable.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _prime(work: Work, job: Job | None) -> None:
    """Prepare the first row's template before the pool forks, so that every
    worker (and each one replacing a retired worker) starts with it."""
    if job is None or job.error:
        return
    for fmt in work.formats:
        _stamper.prime(
            work.template, "blank", fmt, work.as_of, job.overrides, work.brand
        )


def _run_job(job: Job) -> list[Entry]:
    assert _work is not None, "the pool's initializer sets the work"
    try:
        return produce(_work, job)
    except Exception as exc:  # noqa: BLE001 - one row's failure must not stop the rest
        return _failed(_work, job, f"unexpected {type(exc).__name__}: {exc}")


def _submit(pool: Any, work: Work, job: Job) -> AsyncResult | list[Entry]:
    if job.error:
        return _failed(work, job, job.error)
    return pool.apply_async(_run_job, (job,))


def _wait(pending: AsyncResult | list[Entry]) -> list[Entry]:
    return pending if isinstance(pending, list) else pending.get()


def produce(work: Work, job: Job) -> list[Entry]:
    """Render and store every format of one job; a failure stays with its row."""
    brand = work.brand
    if job.people is not None:
        brand = dataclasses.replace(brand or Brand(), people=job.people)
    entries = []
    for fmt in work.formats:
        file = f"{job.name}.{fmt}"
        try:
            data = _stamper.render(
                work.template,
                "blank",
                fmt,
                work.as_of,
                job.overrides,
                brand,
                job.values,
            )
        except PerftemplatesError as exc:
            entries.append(Entry(job.row, job.name, file, "failed", error=str(exc)))
            continue
        entries.append(store(work.out, job, file, data, work.force))
    return entries


def store(out: Path, job: Job, file: str, data: bytes, force: bool) -> Entry:
    """Write `data` unless the same bytes are there, or different ones without force.

    A different file may be a team's filled-in copy: it is never replaced unasked.
    """
    path = out / file
    try:
        existing = path.read_bytes() if path.exists() else None
        if existing == data:
            return Entry(job.row, job.name, file, "unchanged", len(data), sha256(data))
        if existing is not None and not force:
            # Listed as the folder holds it, so the manifest and zip stay whole.
            kept = len(existing), sha256(existing)
            return Entry(job.row, job.name, file, "failed", *kept, f"{file} {KEPT}")
        write_atomic(path, data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Entry(job.row, job.name, file, "failed", error=f"{file}: {reason}")
    return Entry(job.row, job.name, file, "written", len(data), sha256(data))


def _earlier_as_of(manifest: Path) -> dt.date | None:
    """The build date of the run that wrote `manifest`, if one did."""
    try:
        heading = json.loads(manifest.read_text(encoding="utf-8"))
        return dt.date.fromisoformat(heading["as_of"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _failed(work: Work, job: Job, error: str) -> list[Entry]:
    return [
        Entry(job.row, job.name, f"{job.name}.{fmt}", "failed", error=error)
        for fmt in work.formats
    ]


def cpu_count() -> int:
    """The CPUs this process may use (a container may have fewer than the host)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def remove_leftovers(out: Path, kinds: tuple[str, ...] = RUN_FILES) -> int:
    """Delete temporary files an interrupted run left; return how many."""
    removed = 0
    for path in out.iterdir():
        match = LEFTOVER.match(path.name)
        if match and match.group(1) in kinds and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# The manifest and the zip, written as results arrive so memory stays flat


class _Manifest:
    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.count = 0

    def add(self, entry: Entry) -> None:
        line = json.dumps(dataclasses.asdict(entry), ensure_ascii=False)
        self.stream.write(((",\n" if self.count else "\n") + "    " + line).encode())
        self.count += 1


@contextlib.contextmanager
def _manifest_stream(path: Path, heading: dict[str, Any]) -> Iterator[_Manifest]:
    with atomic_stream(path) as stream:
        opening = json.dumps(heading, indent=2, ensure_ascii=False)[:-2]
        stream.write((opening + ',\n  "files": [').encode())
        manifest = _Manifest(stream)
        yield manifest
        stream.write(("\n  ]\n}\n" if manifest.count else "]\n}\n").encode())


@contextlib.contextmanager
def _zip_stream(path: Path | None) -> Iterator[zipfile.ZipFile | None]:
    if path is None:
        yield None
        return
    with (
        atomic_stream(path) as stream,
        zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        yield archive


def _add_to_zip(archive: zipfile.ZipFile | None, out: Path, entry: Entry) -> None:
    # A checksum means a file in the folder: made, unchanged, or kept as edited.
    if archive is not None and entry.sha256 is not None:
        _add_file_to_zip(archive, out, entry.file)


def _add_file_to_zip(archive: zipfile.ZipFile | None, out: Path, name: str) -> None:
    if archive is None:
        return
    # The same member settings as the pack's zip: fixed times, UTF-8 names.
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, (out / name).read_bytes())
