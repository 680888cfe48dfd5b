"""Shared fixtures: ``office`` runs LibreOffice on private, session-wide profiles."""

import datetime as dt
import io
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import docx
import docx.document
import openpyxl
import pytest

import office as lo  # tests/office.py; aliased so the fixture name stays free
from perftemplates.blueprint import load
from perftemplates.blueprint.load import builtin_path
from perftemplates.cli import main
from perftemplates.templates import find_template, render


@dataclass(frozen=True)
class Office:
    """LibreOffice helpers bound to a recalculating and a plain (default) profile."""

    recalc_profile: Path
    plain_profile: Path

    # Profile-independent helpers, so tests need nothing but the fixture.
    error_cells = staticmethod(lo.error_cells)
    pdf_page_count = staticmethod(lo.pdf_page_count)
    pdf_page_size = staticmethod(lo.pdf_page_size)
    pdf_to_png = staticmethod(lo.pdf_to_png)

    def profile(self, recalc: bool) -> Path:
        return self.recalc_profile if recalc else self.plain_profile

    def recalculate(self, xlsx: Iterable[Path], out_dir: Path) -> dict[Path, Path]:
        """Re-save through Calc with every formula recalculated, as Excel would."""
        return lo.recalculate(xlsx, out_dir, self.recalc_profile)

    def resave(self, xlsx: Iterable[Path], out_dir: Path) -> dict[Path, Path]:
        """Re-save through Calc keeping the cached formula results stored in files."""
        return lo.recalculate(xlsx, out_dir, self.plain_profile)

    def to_pdf(
        self, paths: Iterable[Path], out_dir: Path, *, recalc: bool = True
    ) -> dict[Path, Path]:
        return lo.to_pdf(paths, out_dir, self.profile(recalc))

    def to_csv(
        self,
        xlsx: Path,
        out_dir: Path,
        sheet: str | None = None,
        *,
        recalc: bool = True,
    ) -> dict[str, Path]:
        return lo.to_csv(xlsx, out_dir, self.profile(recalc), sheet)


def _missing_reason() -> str | None:
    missing = ", ".join(lo.missing_tools())
    if not missing:
        return None
    return f"LibreOffice (soffice) or poppler not installed: missing {missing}"


@pytest.fixture(scope="session")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    """LibreOffice with fresh profiles; skips locally, fails in CI, if not installed."""
    reason = _missing_reason()
    if reason is not None:
        if "CI" in os.environ:  # CI must exercise the office checks, never skip them
            pytest.fail(f"{reason} (CI is set, so this is an error)", pytrace=False)
        pytest.skip(reason)
    # Session-scoped dirs are per pytest process, so xdist workers never share one.
    root = tmp_path_factory.mktemp("office")
    return Office(lo.make_recalc_profile(root), lo.make_plain_profile(root))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the missing tools even under -q, which hides skip reasons."""
    reason = _missing_reason()
    if reason is not None and terminalreporter.stats.get("skipped"):
        terminalreporter.write_line(f"office tests skipped: {reason}", yellow=True)


# Fixtures for the unit and CLI tests: small blueprints written next to the tests,
# rendered in memory and read back the way a spreadsheet or word processor would.

AS_OF = dt.date(2026, 12, 3)
OKR_PATH = builtin_path("okr")  # resolved now, before any test moves BUILTIN_DIR

MINI_BLUEPRINT = """\
id: mini
title: Mini plan
summary: A small template for tests.
period: quarter
parameters:
  goal_rows: {type: integer, label: Rows for goals, default: 4, min: 2, max: 10}
settings:
  - {key: country, label: Country, type: text, default: NO}
  - {key: limit, label: Largest gap, type: number, default: 5, min: 0, max: 100}
sheets:
  - key: goals_sheet
    title: Goals
    guide: One row per goal.
    blocks:
      - table:
          key: goals
          rows: goal_rows
          columns:
            - {key: name, header: Name, type: text, width: 20}
            - {key: state, header: State, type: choice, choices: [Open, Done]}
            - {key: target, header: Target, type: number}
            - {key: actual, header: Actual, type: number}
            - {key: gap, header: Gap, type: number, formula: "[target]-[actual]"}
          example:
            - {name: Ship it, state: Open, target: 10, actual: 4, gap: 6}
document:
  sections:
    - heading: Goals
      prompts: ["What matters most this quarter?"]
      answers: ["Shipping the new plan."]
      table: goals
    - heading: Details
      level: 2
      fields: [country, limit]
"""
# XlsxWriter writes data bars with an Excel 2010 extension that openpyxl drops.
_OPENPYXL_EXTENSION_WARNINGS = (
    "Unknown extension is not supported",
    "Conditional Formatting extension is not supported",
    "Data Validation extension is not supported",
)


@pytest.fixture
def mini_text() -> str:
    """A small valid blueprint; tests vary it with str.replace."""
    return MINI_BLUEPRINT


@pytest.fixture
def write_blueprint(tmp_path: Path) -> Callable[..., Path]:
    """Write blueprint text to `tmp_path` and return the file."""

    def write(text: str, name: str = "mini.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def locate() -> Callable[[str, str], tuple[int, int]]:
    """The 1-based (line, column) where `needle` first starts in `text`."""

    def find(text: str, needle: str) -> tuple[int, int]:
        index = text.index(needle)
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        return line, column

    return find


@pytest.fixture
def render_blueprint(
    write_blueprint: Callable[..., Path],
) -> Callable[..., bytes]:
    """Render blueprint text as one file, through the same path as the CLI."""

    def render_file(
        text: str,
        variant: str = "blank",
        fmt: str = "xlsx",
        overrides: dict[str, str] | None = None,
    ) -> bytes:
        template = find_template(str(write_blueprint(text)))
        return render(template, variant, fmt, AS_OF, overrides)

    return render_file


@pytest.fixture(scope="session")
def okr_file() -> Callable[[str, str], bytes]:
    """The built-in OKR template rendered once per (variant, format)."""
    cache: dict[tuple[str, str], bytes] = {}

    def get(variant: str, fmt: str) -> bytes:
        if (variant, fmt) not in cache:
            template = find_template(str(OKR_PATH))
            cache[variant, fmt] = render(template, variant, fmt, AS_OF)
        return cache[variant, fmt]

    return get


@pytest.fixture(scope="session")
def read_workbook() -> Callable[..., openpyxl.Workbook]:
    """Open .xlsx bytes with openpyxl, ignoring only the extensions it cannot read."""

    def read(data: bytes, data_only: bool = False) -> openpyxl.Workbook:
        with warnings.catch_warnings():
            for message in _OPENPYXL_EXTENSION_WARNINGS:
                warnings.filterwarnings(
                    "ignore", message=re.escape(message), category=UserWarning
                )
            return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)

    return read


@pytest.fixture(scope="session")
def read_document() -> Callable[[bytes], docx.document.Document]:
    """Open .docx bytes with python-docx."""

    def read(data: bytes) -> docx.document.Document:
        return docx.Document(io.BytesIO(data))

    return read


@pytest.fixture
def builtin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that stands in for the built-in blueprints."""
    folder = tmp_path / "builtin"
    folder.mkdir()
    monkeypatch.setattr(load, "BUILTIN_DIR", folder)
    return folder


@pytest.fixture
def okr_only(builtin_dir: Path) -> Path:
    """The built-ins are exactly a copy of okr.yaml (colleagues' files stay out)."""
    shutil.copyfile(OKR_PATH, builtin_dir / "okr.yaml")
    return builtin_dir


@pytest.fixture
def run(capsys) -> Callable[..., tuple[int, str, str]]:
    """Run the console script in-process: (exit code, stdout, stderr)."""

    def run_main(*argv: str) -> tuple[int, str, str]:
        try:
            main(list(argv))
        except SystemExit as exit_:
            code = exit_.code
        else:
            code = 0
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run_main
