"""Rosters as people keep them: CSV or XLSX rows, typed for a blueprint, streamed.

A roster is read one row at a time, never whole, so a long one costs no more memory
than a short one. Headers match blueprint parameters, settings and sheet input fields
ignoring case, spaces, hyphens and underscores (`Owner Email` is `owner_email`).
Values are typed strictly by the field they fill and handed on as the text that
`render --set` would take, so a batch file and a rendered one cannot differ.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from perftemplates.blueprint.model import Blueprint
from perftemplates.blueprint.resolve import check_within
from perftemplates.blueprint.standard import standard_settings
from perftemplates.blueprint.values import ValueProblem, convert
from perftemplates.errors import InputError

DELIMITERS = (",", ";", "\t")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ZIP_SIGNATURE = b"PK\x03\x04"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Whose file it is: a row without one reaches nobody, so it is a bad row.
REQUIRED = ("owner", "employee")
NUMERIC = ("integer", "number", "percent", "currency")
SPACES = " \u00a0\u202f"
# One group of three digits after one separator: 1,234 or 72.000 reads as a
# thousand or as a fraction depending on the country, so it needs --decimal.
AMBIGUOUS = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")


@dataclass(frozen=True)
class RosterOptions:
    """How to read a roster: text encoding, worksheet, decimal separator."""

    encoding: str | None = None
    sheet: str | None = None
    # None: points, refusing numbers that read differently with commas.
    decimal: str | None = None


@dataclass(frozen=True)
class Target:
    """A blueprint parameter, setting or input field that a column can fill."""

    key: str
    kind: str  # parameter, setting or field
    type: str
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Number:
    """A number cell of a workbook roster; `percent` if it is formatted as one."""

    value: Decimal
    percent: bool = False


Cell = str | Number | dt.date | dt.datetime | None


@dataclass
class Row:
    """One roster row: its number as a spreadsheet shows it (the header is row 1)."""

    number: int
    values: dict[str, str]  # every column, by normalised header, as text
    overrides: dict[str, str] = field(default_factory=dict)  # key -> --set text
    problems: list[str] = field(default_factory=list)


def normalise(header: str) -> str:
    """`Owner Email`, `owner-email` and `OWNER_EMAIL` all become `owneremail`."""
    return re.sub(r"[\s_\-]+", "", header).casefold()


def blueprint_targets(blueprint: Blueprint) -> dict[str, Target]:
    """What a roster column may fill, by normalised key, as `render --set` does."""
    targets = {}
    for key, parameter in blueprint.parameters.items():
        choices = tuple(parameter.choices or ())
        targets[key] = Target(
            key, "parameter", parameter.type, choices, parameter.min, parameter.max
        )
    settings = standard_settings(blueprint.period) + list(blueprint.settings)
    fields = [
        item
        for sheet in blueprint.sheets
        for block in sheet.blocks
        for item in block.fields or []
    ]
    for kind, items in (("setting", settings), ("field", fields)):
        for item in items:
            if not item.formula:
                choices = tuple(item.choices or ())
                targets[item.key] = Target(
                    item.key, kind, item.type, choices, item.min, item.max
                )
    return {normalise(key): target for key, target in targets.items()}


class Roster:
    """A roster file whose header has been read and matched to a blueprint."""

    def __init__(
        self, path: Path, blueprint: Blueprint, options: RosterOptions | None = None
    ):
        self.path = path
        self.options = options or RosterOptions()
        self.source = _source(path, self.options)
        self.headers = self.source.headers()
        self.columns = [normalise(header) for header in self.headers]
        self._refuse_repeated_headers()
        targets = blueprint_targets(blueprint)
        self.targets = {
            index: targets[key]
            for index, key in enumerate(self.columns)
            if key in targets
        }

    def has(self, key: str) -> bool:
        return normalise(key) in self.columns

    def header(self, key: str) -> str:
        """The header as the roster spells it, for a normalised key."""
        return self.headers[self.columns.index(normalise(key))]

    def found(self) -> str:
        return ", ".join(header for header in self.headers if header) or "none"

    def rows(self) -> Iterator[Row]:
        """Every row with data, typed; blank rows are skipped but keep their number."""
        for number, cells in self.source.records():
            if any(_text(cell) for cell in cells):
                yield self._row(number, cells)

    def _row(self, number: int, cells: list[Cell]) -> Row:
        row = Row(number, {})
        extra = [cell for cell in cells[len(self.columns) :] if _text(cell)]
        if extra:
            row.problems.append(
                f"{len(self.columns) + len(extra)} values but the header has "
                f"{len(self.columns)} columns"
            )
        for index, key in enumerate(self.columns):
            cell = cells[index] if index < len(cells) else None
            if key:
                row.values.setdefault(key, _text(cell))
            if index in self.targets:
                self._fill(row, self.headers[index], self.targets[index], cell)
        return row

    def _fill(self, row: Row, header: str, target: Target, cell: Cell) -> None:
        if not _text(cell):
            if target.key in REQUIRED:
                row.problems.append(f"{header}: empty; every row needs one")
            return
        try:
            row.overrides[target.key] = typed(cell, target, self.options.decimal)
        except ValueProblem as exc:
            row.problems.append(f"{header}: {exc}")

    def _refuse_repeated_headers(self) -> None:
        seen: dict[str, str] = {}
        for header, key in zip(self.headers, self.columns, strict=True):
            if key and key in seen:
                raise InputError(
                    f"{self.path}: columns '{seen[key]}' and '{header}' both mean "
                    f"'{key}'; keep one of them"
                )
            seen[key] = header


def typed(cell: Cell, target: Target, decimal: str | None) -> str:
    """The cell as the text `--set KEY=TEXT` takes; ValueProblem if it does not fit."""
    if target.type in NUMERIC:
        text = _number_text(cell, target.type, decimal)
    elif target.type == "date":
        text = _date_text(cell)
    elif target.type == "choice" and target.choices:
        text = _choice(_text(cell), target.choices)
    else:
        text = _text(cell)
    kind = _resolved_kind(target)
    value = convert(text, kind)
    check_within(value, list(target.choices), target.min, target.max, kind == "percent")
    return text


def _resolved_kind(target: Target) -> str:
    if target.kind == "parameter":
        return target.type if target.type in ("integer", "yesno") else "text"
    return target.type


def _number_text(cell: Cell, kind: str, decimal: str | None) -> str:
    if isinstance(cell, Number):
        value, written_as_percent = cell.value, cell.percent
    elif isinstance(cell, str):
        text = cell.strip()
        written_as_percent = kind == "percent" and text.endswith("%")
        # Only a percent column takes a % sign; elsewhere it is not a number.
        body = text.removesuffix("%").rstrip(SPACES) if written_as_percent else text
        value = parse_number(body, decimal)
        value = value / 100 if written_as_percent else value
    else:
        raise ValueProblem(f"expected a number; found the date {_text(cell)}")
    if kind == "integer":
        if value != value.to_integral_value():
            raise ValueProblem(f"expected a whole number; found {_text(cell)!r}")
        return str(int(value))
    if kind == "percent" and not written_as_percent:
        value = _percent_points(value)
    return format(value, "f")


def _percent_points(value: Decimal) -> Decimal:
    # A roster's bare 12.5 in a percent column is 12.5 %; 0.15 could be meant as
    # 15 % or as 0.15 %, so it must say which.
    if 0 < abs(value) < 1:
        points = (value * 100).normalize()
        raise ValueProblem(
            f"{value} could mean {points:f} % or {value} %; write it with a % sign"
        )
    return value / 100


def parse_number(text: str, decimal: str | None) -> Decimal:
    """A number written with `decimal` as its decimal separator, strictly.

    Thousands are grouped by threes with the other separator or a space. Without a
    separator chosen, points are decimal and a number that would read differently
    with commas (1,234 or 72.000) is refused rather than guessed.
    """
    compact = _without_space_groups(text.strip())
    if decimal is None and AMBIGUOUS.fullmatch(compact):
        raise ValueProblem(
            f"{text!r} is a thousand or a fraction depending on the country; pass "
            "--decimal , or --decimal ."
        )
    point = decimal or "."
    group = "," if point == "." else "."
    pattern = rf"[+-]?(\d{{1,3}}(\{group}\d{{3}})+|\d+)(\{point}\d+)?|[+-]?\{point}\d+"
    if not re.fullmatch(pattern, compact):
        raise ValueProblem(f"expected a number; found {text!r}{_hint(compact, point)}")
    try:
        return Decimal(compact.replace(group, "").replace(point, "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueProblem(f"expected a number; found {text!r}") from None


def _without_space_groups(text: str) -> str:
    if re.fullmatch(rf"[+-]?\d{{1,3}}([{SPACES}]\d{{3}})+([.,]\d+)?", text):
        return re.sub(f"[{SPACES}]", "", text)
    return text


def _hint(text: str, point: str) -> str:
    if point == "." and re.fullmatch(r"[+-]?[\d.]*\d,\d+", text):
        return " (decimal commas need --decimal ,)"
    return ""


def _date_text(cell: Cell) -> str:
    if isinstance(cell, dt.datetime):
        if cell.time() != dt.time():
            raise ValueProblem(f"expected a date; found {cell.isoformat(' ')}")
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    text = _text(cell)
    convert(text, "date")
    return text


def _choice(text: str, choices: tuple[str, ...]) -> str:
    """The choice as the blueprint spells it; `q3` is `Q3`."""
    for choice in choices:
        if choice.casefold() == text.casefold():
            return choice
    raise ValueProblem(f"expected one of {', '.join(choices)}; found {text!r}")


def _text(cell: Cell) -> str:
    """A cell as a person reads it: numbers without a trailing .0, dates in ISO."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, Number):
        value = cell.value * 100 if cell.percent else cell.value
        text = format(value.normalize(), "f") if value else "0"
        return text + ("%" if cell.percent else "")
    if isinstance(cell, dt.datetime) and cell.time() == dt.time():
        return cell.date().isoformat()
    return cell.isoformat()


# Reading files


class _Source:
    def headers(self) -> list[str]:
        raise NotImplementedError

    def records(self) -> Iterator[tuple[int, list[Cell]]]:
        """(row number, cells) after the header, one at a time."""
        raise NotImplementedError


def _source(path: Path, options: RosterOptions) -> _Source:
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the roster: {exc.strerror}") from None
    if path.suffix.lower() in XLSX_SUFFIXES or head == ZIP_SIGNATURE:
        return _WorkbookSource(path, options.sheet)
    if path.suffix.lower() == ".xls":
        raise InputError(f"{path}: old .xls workbooks are not read; save as .xlsx")
    if options.sheet:
        raise InputError(f"--sheet is for .xlsx rosters; {path.name} is CSV")
    return _CsvSource(path, options.encoding or _encoding(head))


def _encoding(head: bytes) -> str:
    # Excel's "Unicode Text" is UTF-16; its "CSV UTF-8" starts with a BOM.
    return "utf-16" if head.startswith(UTF16_BOMS) else "utf-8-sig"


class _CsvSource(_Source):
    def __init__(self, path: Path, encoding: str):
        self.path = path
        self.encoding = encoding
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"--encoding: unknown encoding {encoding!r}") from None
        self.delimiter = self._delimiter()

    def headers(self) -> list[str]:
        for _, cells in self._records():
            return [cell.strip() for cell in cells]
        raise InputError(f"{self.path}: the roster is empty; expected a header row")

    def records(self) -> Iterator[tuple[int, list[Cell]]]:
        records = self._records()
        next(records, None)
        yield from records

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            with self.path.open(encoding=self.encoding, newline="") as stream:
                for number, cells in enumerate(
                    csv.reader(stream, delimiter=self.delimiter), start=1
                ):
                    yield number, cells
        except UnicodeDecodeError:
            raise InputError(
                f"{self.path}: line {self._undecodable_line()} is not "
                f"{self.encoding} text; save the roster as CSV UTF-8 or pass "
                "--encoding (such as cp1252)"
            ) from None
        except csv.Error as exc:
            raise InputError(f"{self.path}: row {number + 1}: {exc}") from None

    def _undecodable_line(self) -> int:
        # Text is decoded in blocks, so the error itself does not know its line.
        decoder = codecs.getincrementaldecoder(self.encoding)()
        with self.path.open("rb") as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    decoder.decode(line)
                except UnicodeDecodeError:
                    return number
        return 1

    def _delimiter(self) -> str:
        """The separator that splits the header into the most columns."""
        try:
            with self.path.open(encoding=self.encoding, newline="") as stream:
                sample = stream.read(65536)
        except UnicodeDecodeError:
            sample = ""  # reported with its row when the rows are read
        counts = {}
        for delimiter in DELIMITERS:
            first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
            counts[delimiter] = len(first)
        return max(DELIMITERS, key=lambda delimiter: counts[delimiter])


class _WorkbookSource(_Source):
    def __init__(self, path: Path, sheet: str | None):
        self.path = path
        self.sheet = sheet
        with self._worksheet():
            pass  # fail now, with the sheet names, if the sheet is not there

    def headers(self) -> list[str]:
        with self._worksheet() as sheet:
            for cells in sheet.iter_rows(max_row=1):
                return [_text(_cell(cell)) for cell in cells]
        raise InputError(f"{self.path}: the roster sheet is empty; expected a header")

    def records(self) -> Iterator[tuple[int, list[Cell]]]:
        with self._worksheet() as sheet:
            for number, cells in enumerate(sheet.iter_rows(min_row=2), start=2):
                yield number, [_cell(cell) for cell in cells]

    def _worksheet(self) -> _OpenSheet:
        return _OpenSheet(self.path, self.sheet)


class _OpenSheet:
    """A worksheet opened for streaming, closed with its workbook afterwards."""

    def __init__(self, path: Path, sheet: str | None):
        self.path = path
        self.name = sheet

    def __enter__(self) -> Any:
        import openpyxl

        try:
            with warnings.catch_warnings():
                # openpyxl warns about features it skips; rosters need only values.
                warnings.simplefilter("ignore", UserWarning)
                self.book = openpyxl.load_workbook(
                    self.path, read_only=True, data_only=True
                )
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise InputError(f"{self.path}: not a readable .xlsx file: {exc}") from None
        names = self.book.sheetnames
        if self.name is not None and self.name not in names:
            self.book.close()
            raise InputError(
                f"{self.path}: no sheet called {self.name!r}; found {', '.join(names)}"
            )
        return self.book[self.name] if self.name else self.book.worksheets[0]

    def __exit__(self, *exc: object) -> None:
        self.book.close()


def _cell(cell: Any) -> Cell:
    value = cell.value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        percent = "%" in str(getattr(cell, "number_format", "") or "")
        return Number(Decimal(repr(value)), percent)
    if value is None or isinstance(value, str | dt.date):
        return value
    return str(value)
