"""Check generated files the way a real office suite sees them (LibreOffice, poppler).

Every soffice call gets an explicit user profile (``-env:UserInstallation``).  A
running soffice hands new jobs to any other instance using the same profile, so two
processes sharing one would interfere; ``_run_soffice`` holds a lock per profile.
"""

import fcntl
import os
import re
import shlex
import signal
import subprocess
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from shutil import which
from subprocess import PIPE

import openpyxl

SOFFICE_TIMEOUT = 300  # seconds; a single small file takes about one second
XLSX_FILTER = "xlsx:Calc MS Excel 2007 XML"
# Comma, double quote, UTF-8 (76), values as shown; the sheet token is appended.
CSV_FILTER_PREFIX = (
    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,"
)
EXCEL_ERRORS = ("#NAME?", "#REF!", "#DIV/0!", "#VALUE!", "#N/A", "#NUM!", "#NULL!")
ERROR_PREFIXES = (*EXCEL_ERRORS, "Err:")  # "Err:502" is how Calc shows its own codes

# 0 = always recalculate on load; the default (1) shows the values stored in the file.
_RECALC_XCU = """\
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
# openpyxl drops features it cannot model; harmless here because we only read values.
_IGNORED_OPENPYXL_WARNINGS = (
    r".* extension is not supported",
    r"DrawingML support is incomplete",
)


class OfficeError(RuntimeError):
    """soffice or poppler did not produce the expected output."""


def find_soffice() -> str | None:
    """Path of ``soffice`` or ``libreoffice`` on PATH, if any."""
    return which("soffice") or which("libreoffice")


def missing_tools() -> list[str]:
    """Names of the external tools the office checks need but cannot find."""
    missing = [] if find_soffice() else ["soffice"]
    return missing + [tool for tool in ("pdftoppm", "pdfinfo") if not which(tool)]


def office_available() -> bool:
    """True if soffice, pdftoppm and pdfinfo are all installed."""
    return not missing_tools()


def make_recalc_profile(parent: Path) -> Path:
    """New profile in ``parent`` that recalculates every formula when loading a file."""
    profile = Path(tempfile.mkdtemp(prefix="lo-recalc-", dir=parent))
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_XCU, "utf-8")
    return profile


def make_plain_profile(parent: Path) -> Path:
    """New default profile in ``parent``: cached formula results are shown as stored."""
    # soffice fills an empty folder with defaults on first start.
    return Path(tempfile.mkdtemp(prefix="lo-plain-", dir=parent))


@contextmanager
def _profile_lock(profile: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``profile`` (across threads and processes)."""
    # Not ".lock": soffice itself uses that name in the profile root.
    with open(profile / "office-harness.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_soffice(profile: Path, args: Sequence[str]) -> str:
    """Run headless soffice on ``profile``; return a transcript for error messages."""
    soffice = find_soffice()
    if soffice is None:
        raise OfficeError("soffice/libreoffice not found on PATH")
    profile = Path(profile).resolve()
    profile.mkdir(parents=True, exist_ok=True)
    user_installation = f"-env:UserInstallation={profile.as_uri()}"
    cmd = [soffice, user_installation, "--headless", "--norestore", *args]
    # A new session lets a timeout kill soffice.bin too, not only the wrapper script.
    with (
        _profile_lock(profile),
        subprocess.Popen(
            cmd, stdout=PIPE, stderr=PIPE, text=True, start_new_session=True
        ) as proc,
    ):
        try:
            out, err = proc.communicate(timeout=SOFFICE_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            err += f"\n[killed after {SOFFICE_TIMEOUT}s]"
    transcript = (
        f"$ {shlex.join(cmd)}\nexit code {proc.returncode}\n"
        f"stdout:\n{out}\nstderr:\n{err}"
    )
    if proc.returncode != 0:
        raise OfficeError(f"soffice failed\n{transcript}")
    return transcript


def _soffice_convert(
    sources: Sequence[Path],
    out_dir: Path,
    profile: Path,
    convert_to: str,
    outputs: Iterable[Path],
) -> None:
    """Convert ``sources`` in one soffice call; raise unless all ``outputs`` exist."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = list(outputs)
    for output in outputs:
        output.unlink(missing_ok=True)  # a stale copy must not pass for a new one
    args = ["--convert-to", convert_to, "--outdir", str(out_dir), *map(str, sources)]
    transcript = _run_soffice(profile, args)
    # soffice exits 0 even when it cannot load or write a file, so check the files.
    missing = [str(output) for output in outputs if not output.is_file()]
    if missing:
        raise OfficeError(f"soffice did not write {missing}\n{transcript}")


def _convert(
    paths: Iterable[Path], out_dir: Path, profile: Path, convert_to: str, suffix: str
) -> dict[Path, Path]:
    """Convert all ``paths`` in one soffice call; map each input to its output."""
    sources = [Path(path).resolve() for path in paths]
    out_dir = Path(out_dir).resolve()
    targets = {src: out_dir / (src.stem + suffix) for src in sources}
    for src in sources:
        if not src.is_file():
            raise FileNotFoundError(src)
    if len(set(targets.values())) < len(targets):
        raise ValueError(f"inputs share a file name, outputs would collide: {sources}")
    if set(targets.values()) & set(sources):
        raise ValueError(f"out_dir {out_dir} would overwrite an input")
    _soffice_convert(sources, out_dir, profile, convert_to, targets.values())
    return targets


def recalculate(
    xlsx_paths: Iterable[Path], out_dir: Path, profile_dir: Path
) -> dict[Path, Path]:
    """Open and re-save workbooks in Calc (recalculating if the profile says so)."""
    return _convert(xlsx_paths, out_dir, profile_dir, XLSX_FILTER, ".xlsx")


def to_pdf(paths: Iterable[Path], out_dir: Path, profile_dir: Path) -> dict[Path, Path]:
    """Export documents (.docx, .xlsx, ...) to PDF in one soffice call."""
    return _convert(paths, out_dir, profile_dir, "pdf", ".pdf")


def to_csv(
    xlsx: Path, out_dir: Path, profile_dir: Path, sheet: str | None = None
) -> dict[str, Path]:
    """Export every sheet (or only ``sheet``) to CSV; map sheet name to CSV file.

    LibreOffice 7.4 writes ``<stem>-<sheet name>.csv`` per sheet for the sheet token
    -1 (all sheets) and N (1-based, that sheet only); 0 would write the first sheet
    to ``<stem>.csv``.  Cells are written as shown (number formats applied), UTF-8,
    comma separated, text quoted only when needed; an unknown sheet number makes
    soffice print an error yet exit 0.
    """
    xlsx = Path(xlsx).resolve()
    names = sheet_names(xlsx)
    if sheet is not None and sheet not in names:
        raise KeyError(f"no sheet {sheet!r} in {xlsx.name}; sheets: {names}")
    wanted = names if sheet is None else [sheet]
    token = -1 if sheet is None else names.index(sheet) + 1
    out_dir = Path(out_dir).resolve()
    targets = {name: out_dir / f"{xlsx.stem}-{name}.csv" for name in wanted}
    filter_ = f"{CSV_FILTER_PREFIX}{token}"
    _soffice_convert([xlsx], out_dir, profile_dir, filter_, targets.values())
    return targets


def _poppler(*args: str) -> str:
    """Run a poppler tool and return its stdout."""
    return subprocess.run(
        args, check=True, capture_output=True, text=True, timeout=60
    ).stdout


def pdf_page_count(pdf: Path) -> int:
    """Number of pages, according to pdfinfo."""
    match = re.search(r"^Pages:\s+(\d+)$", _poppler("pdfinfo", str(pdf)), re.M)
    if match is None:
        raise OfficeError(f"pdfinfo reported no page count for {pdf}")
    return int(match.group(1))


def pdf_page_size(pdf: Path) -> tuple[float, float]:
    """Width and height of page 1 in points (A4 is about 595 x 842)."""
    info = _poppler("pdfinfo", "-f", "1", "-l", "1", str(pdf))
    match = re.search(r"^Page\s+1 size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    if match is None:
        raise OfficeError(f"pdfinfo reported no page size for {pdf}")
    return float(match.group(1)), float(match.group(2))


def pdf_to_png(pdf: Path, out_dir: Path, dpi: int = 60) -> list[Path]:
    """Render every page to ``<stem>-<page>.png``; return the files in page order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(pdf).stem
    # pdftoppm zero-pads page numbers to the page count's width: match any padding.
    page_png = re.compile(rf"{re.escape(stem)}-\d+\.png")

    def pages() -> list[Path]:
        found = [p for p in out_dir.iterdir() if page_png.fullmatch(p.name)]
        return sorted(found, key=lambda p: int(p.stem.rsplit("-", 1)[1]))

    for stale in pages():
        stale.unlink()
    _poppler("pdftoppm", "-png", "-r", str(dpi), str(pdf), str(out_dir / stem))
    return pages()


@contextmanager
def quiet_openpyxl() -> Iterator[None]:
    """Silence openpyxl warnings about features it drops; we only read values."""
    with warnings.catch_warnings():
        for message in _IGNORED_OPENPYXL_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        yield


def sheet_names(xlsx: Path) -> list[str]:
    """Sheet names in workbook order (hidden sheets included)."""
    with quiet_openpyxl():
        workbook = openpyxl.load_workbook(xlsx, read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()  # read-only mode keeps the zip open until closed


def error_cells(xlsx_path: Path) -> list[str]:
    """``Sheet!A1: value`` for every cached value that is an Excel/Calc error."""
    with quiet_openpyxl():
        workbook = openpyxl.load_workbook(xlsx_path, data_only=True)
    return [
        f"{sheet.title}!{cell.coordinate}: {cell.value}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith(ERROR_PREFIXES)
    ]
