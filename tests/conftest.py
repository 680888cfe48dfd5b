"""Shared fixtures: ``office`` runs LibreOffice on private, session-wide profiles."""

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

import office as lo  # tests/office.py; aliased so the fixture name stays free


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
