"""Every formula cell's result, computed in Python, to store as its cached value.

XlsxWriter stores 0 as a formula's result unless given one, and previewers, Excel's
protected view, LibreOffice with default settings and `openpyxl(data_only=True)` show
that stored result without recalculating. This module evaluates the blueprint formula
language over a resolved template, cell by cell where the layout puts it, with the
semantics on which Excel and LibreOffice agree.

Where they differ, the result is Excel's. LibreOffice treats TRUE and FALSE as the
numbers 1 and 0 (TRUE>"abc" is FALSE there, TRUE&"" is "1", SUMPRODUCT counts TRUE
as 1), writes 1E+20 as 1E+020, and gives 1 for 0^0, "0" for TEXT(-0.4,"0") and
#VALUE! for INDEX past its range (Excel: #NUM!, "-0", #REF!). Text is ordered by code
point after case folding, not by a language's collation, which puts symbols such as
"⚠" before letters. IF, IFERROR and CHOOSE inside SUMPRODUCT work element by element,
as in LibreOffice and Excel 365; Excel 2016 needs an array formula for that.

Values are plain Python: float for numbers (dates are serial numbers), str, bool,
None for an empty cell and CellError for an error value. A reference to more than one
cell is an Area; what an array formula computes from it is an Array. Formulas compile
once per text into closures `run(book, at)`; a workbook's cells are evaluated lazily,
each at most once.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation
from functools import lru_cache
from itertools import repeat
from typing import Any, NamedTuple

from xlsxwriter.utility import xl_rowcol_to_cell

from perftemplates.blueprint import formula as fx
from perftemplates.blueprint.model import Column, Table
from perftemplates.blueprint.resolve import Resolved
from perftemplates.blueprint.values import convert
from perftemplates.layout import FIRST_COL, Layout, quote_sheet
from perftemplates.text import clean

Key = tuple[str, int, int]
# The texts the renderer shows in a check's cell, around the check's condition.
CHECK_NOT_MET = "⚠ Not met"
CHECK_MET = "✓ Met"
EPOCH = dt.date(1899, 12, 30)  # serial 0 in the 1900 date system (from March 1900)
LAST_SERIAL = (dt.date(9999, 12, 31) - EPOCH).days


@dataclass(frozen=True, slots=True)
class CellError:
    """An error value such as #DIV/0!; a workbook stores no cached result for it."""

    code: str

    def __str__(self) -> str:
        return self.code


DIV0 = CellError("#DIV/0!")
NA = CellError("#N/A")
VALUE = CellError("#VALUE!")
REF = CellError("#REF!")
NAME = CellError("#NAME?")
NUM = CellError("#NUM!")


class CircularReferenceError(ValueError):
    """Formula cells that depend on themselves, named in the message."""


class _Failure(Exception):
    """Carries an error value out of a computation to where it becomes the result."""

    def __init__(self, error: CellError) -> None:
        self.error = error


class Area(NamedTuple):
    """Cells from (r1, c1) to (r2, c2) of a sheet, 0-based and inclusive."""

    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int


@dataclass(slots=True, eq=False)
class Array:
    """A rows x cols block of values in reading order, as array formulas compute.

    Arrays compare by identity, so that a computed one can key a remembered result.
    """

    rows: int
    cols: int
    items: list[Any]


class At(NamedTuple):
    """The formula cell being computed, and the table whose row it is in."""

    sheet: str
    row: int
    col: int
    table: str | None


Run = Callable[["_Book", At], Any]
MULTI = frozenset([Area, Array])
CONSTANT = fx.Number | fx.Text | fx.Boolean


def formula_values(resolved: Resolved, layout: Layout) -> dict[Key, Any]:
    """The result of every formula cell, keyed by (sheet title, row, col), 0-based.

    Numbers are int or float (dates as 1900-system serial numbers), text is str
    (empty text is ""), booleans are bool and error values are CellError. Raises
    CircularReferenceError if formulas depend on themselves.
    """
    book = _Book(resolved, layout)
    return {key: _stored(book.value(key)) for key in book.formulas}


def _stored(value: Any) -> Any:
    # Whole numbers as int, the way Excel writes them ("3", not "3.0").
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


# Coercion: what a value means as a number, text or truth value.

NUMBER_TEXT = re.compile(
    r"\s*([+-]?)\s*((?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*(%?)\s*$"
)
ISO_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
RANK = {float: 0, str: 1, bool: 2}  # in comparisons numbers < text < TRUE/FALSE
EMPTY_AS = {float: 0.0, str: "", bool: False, type(None): 0.0}
E48 = 2.0**-48  # LibreOffice's "approximately equal": the last 4-5 bits may differ


def _num(value: Any) -> float:
    if type(value) is float:
        return value
    if value is None:
        return 0.0
    if type(value) is bool:
        return float(value)
    if type(value) is str:
        number = _parse_number(value)
        if number is None:
            raise _Failure(VALUE)
        return number
    raise _Failure(value if type(value) is CellError else VALUE)


def _parse_number(text: str) -> float | None:
    """Text as a number the way both programs read typed text: '1,234', '5%', ISO."""
    match = NUMBER_TEXT.match(text)
    if match and match[2] not in ("", "."):
        number = float(match[2].replace(",", ""))
        number = -number if match[1] == "-" else number
        return number / 100 if match[3] else number
    date = ISO_DATE.match(text)
    if date:
        try:
            return _serial(dt.date(int(date[1]), int(date[2]), int(date[3])))
        except ValueError:
            return None
    return None


def _int(value: Any) -> int:
    """A whole-number argument (a position, a count): truncated like both programs."""
    return int(_num(value))


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if type(value) is float:
        return _general(value)
    if value is None:
        return ""
    if type(value) is bool:
        return "TRUE" if value else "FALSE"
    raise _Failure(value)


def _general(number: float) -> str:
    """A number as text in the General format: up to 15 significant digits."""
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    size = abs(number)
    if 1e-9 <= size < 1e15:
        places = 14 - math.floor(math.log10(size))
        return f"{number:.{places}f}".rstrip("0").rstrip(".")
    mantissa, exponent = f"{number:.14E}".split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"


def _bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    if type(value) is float:
        return value != 0
    if value is None:
        return False
    if type(value) is str and value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    raise _Failure(value if type(value) is CellError else VALUE)


def _approx_equal(a: float, b: float) -> bool:
    if a == b:
        return True
    if a == 0.0 or b == 0.0:
        return False
    difference = abs(a - b)
    return difference <= abs(a) * E48 and difference <= abs(b) * E48


def _compare(a: Any, b: Any) -> int:
    """-1, 0 or 1: empty is 0, "" or FALSE beside its partner; text ignores case."""
    if a is None:
        a = EMPTY_AS.get(type(b), 0.0)
    if b is None:
        b = EMPTY_AS.get(type(a), 0.0)
    kind_a, kind_b = type(a), type(b)
    if kind_a is CellError or kind_b is CellError:
        raise _Failure(a if kind_a is CellError else b)
    if kind_a is not kind_b:
        return -1 if RANK[kind_a] < RANK[kind_b] else 1
    if kind_a is str:
        a, b = a.casefold(), b.casefold()
    elif kind_a is float and _approx_equal(a, b):
        return 0
    return (a > b) - (a < b)


def _equal(a: Any, b: Any) -> bool:
    # The common cases first: [id]="" and key_results.objective=[objective].
    kind = type(a)
    if kind is str and type(b) is str:
        return a == b or (a != "" != b and a.casefold() == b.casefold())
    if kind is float and type(b) is float:
        return a == b or _approx_equal(a, b)
    if a is None and type(b) is not CellError:
        return b in (None, "", 0.0)  # FALSE too, which equals 0.0 in Python
    return _compare(a, b) == 0


# Operators. Sums snap to 0 where the operands cancel, as both programs do, so that
# 0.3-0.2-0.1 is 0 and compares equal to 0.


def _add(a: Any, b: Any) -> float:
    a, b = _num(a), _num(b)
    if (a < 0) != (b < 0) and _approx_equal(a, -b):
        return 0.0
    return a + b


def _subtract(a: Any, b: Any) -> float:
    a, b = _num(a), _num(b)
    if (a < 0) == (b < 0) and _approx_equal(a, b):
        return 0.0
    return a - b


def _multiply(a: Any, b: Any) -> float:
    return _finite(_num(a) * _num(b))


def _divide(a: Any, b: Any) -> float:
    a, b = _num(a), _num(b)
    if b == 0:
        raise _Failure(DIV0)
    return _finite(a / b)


def _power(a: Any, b: Any) -> float:
    a, b = _num(a), _num(b)
    if a == 0 and b <= 0:
        raise _Failure(DIV0 if b < 0 else NUM)  # Excel: 0^0 is #NUM!
    if a < 0 and not b.is_integer():
        raise _Failure(NUM)
    try:
        return _finite(a**b)
    except OverflowError:
        raise _Failure(NUM) from None


def _finite(number: float) -> float:
    if math.isinf(number) or math.isnan(number):
        raise _Failure(NUM)
    return number


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "^": _power,
    "&": lambda a, b: _text(a) + _text(b),
    "=": _equal,
    "<>": lambda a, b: not _equal(a, b),
    "<": lambda a, b: _compare(a, b) < 0,
    ">": lambda a, b: _compare(a, b) > 0,
    "<=": lambda a, b: _compare(a, b) <= 0,
    ">=": lambda a, b: _compare(a, b) >= 0,
}
UNARY: dict[str, Callable[[Any], Any]] = {
    "-": lambda a: -_num(a),
    "+": lambda a: a,
}


# Arrays: element by element, with single rows and columns stretched to fit.


def _broadcast(function: Callable[..., Any], values: list[Any]) -> Any:
    """`function` applied element by element over the Arrays among `values`."""
    shapes = {(v.rows, v.cols) for v in values if type(v) is Array}
    if not shapes:
        return function(*values)
    # A size of 1 stretches to any other; of unequal sizes the larger one wins.
    rows = max(rows for rows, _ in shapes)
    cols = max(cols for _, cols in shapes)
    try:
        columns = [_cells_of(value, rows, cols) for value in values]
        items = list(map(function, *columns))
    except _Failure:
        # Rare: some element is an error; compute again keeping each error in place.
        columns = [_cells_of(value, rows, cols) for value in values]
        items = [
            _guarded(function, elements) for elements in zip(*columns, strict=True)
        ]
    return Array(rows, cols, items)


def _cells_of(value: Any, rows: int, cols: int) -> Iterable[Any]:
    if type(value) is not Array:
        return repeat(value, rows * cols)
    if value.rows == rows and value.cols == cols:
        return value.items
    return [_element(value, row, col) for row in range(rows) for col in range(cols)]


def _element(array: Array, row: int, col: int) -> Any:
    row = 0 if array.rows == 1 else row
    col = 0 if array.cols == 1 else col
    if row >= array.rows or col >= array.cols:
        return NA
    return array.items[row * array.cols + col]


def _guarded(function: Callable[..., Any], elements: Iterable[Any]) -> Any:
    try:
        return function(*elements)
    except _Failure as failure:
        return failure.error


def _as_array(value: Any) -> Array:
    return value if type(value) is Array else Array(1, 1, [value])


# Criteria of COUNTIF, SUMIF, AVERAGEIF and their -IFS forms: "Green", ">=5", "<>",
# "⚠*" (wildcards), a number, an empty cell (matches 0).

CRITERION = re.compile(r"(<>|<=|>=|=|<|>)?(.*)$", re.DOTALL)
WILDCARDS = {"*": ".*", "?": "."}
ORDER = {
    "<": lambda c: c < 0,
    ">": lambda c: c > 0,
    "<=": lambda c: c <= 0,
    ">=": lambda c: c >= 0,
}


@lru_cache(maxsize=1024, typed=True)
def _criterion(value: Any) -> Callable[[Any], bool]:
    """A test of one cell's value for a criterion value."""
    if type(value) is CellError:
        raise _Failure(value)
    if value is None or type(value) is float:
        number = 0.0 if value is None else value
        return lambda item: type(item) is float and _approx_equal(item, number)
    if type(value) is bool:
        return lambda item: item is value
    sign, operand = CRITERION.match(value).groups()
    if sign in ORDER:
        return _ordered(ORDER[sign], operand)
    # "=" and "<>" alone test for a truly empty cell; "" also matches empty text.
    matches = _matches(operand, exact=sign is not None)
    if sign == "<>":
        return lambda item: not matches(item)
    return matches


def _matches(operand: str, exact: bool) -> Callable[[Any], bool]:
    """Equality with `operand`: '' is an empty cell (or empty text unless `exact`)."""
    if operand == "":
        if exact:
            return lambda item: item is None
        return lambda item: item in ("", None)
    if operand.upper() in ("TRUE", "FALSE"):
        truth = operand.upper() == "TRUE"
        return lambda item: item is truth
    text = _wildcard(operand)
    number = _parse_number(operand)
    if number is None:
        return lambda item: type(item) is str and text(item)
    return lambda item: (
        (type(item) is float and _approx_equal(item, number))
        or (type(item) is str and text(item))
    )


def _ordered(test: Callable[[int], bool], operand: str) -> Callable[[Any], bool]:
    number = _parse_number(operand)
    if number is not None:
        return lambda item: type(item) is float and test(_compare(item, number))
    return lambda item: type(item) is str and test(_compare(item, operand))


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> Callable[[str], bool]:
    """A case-insensitive whole-text test; * and ? are wildcards, ~ escapes them."""
    if not any(mark in pattern for mark in "*?~"):
        folded = pattern.casefold()
        return lambda text: text.casefold() == folded
    parts = re.findall(r"~[*?~]|\*|\?|[^*?~]+|~", pattern)
    regex = "".join(
        WILDCARDS.get(part) or re.escape(part[-1:] if part[0] == "~" else part)
        for part in parts
    )
    compiled = re.compile(regex, re.IGNORECASE | re.DOTALL)
    return lambda text: compiled.fullmatch(text) is not None


def _matching(pairs: list[tuple[Array, Any]]) -> list[bool]:
    """For each position, whether every (range, criterion) pair matches there."""
    shape = (pairs[0][0].rows, pairs[0][0].cols)
    if any((array.rows, array.cols) != shape for array, _ in pairs):
        raise _Failure(VALUE)
    hits = [True] * len(pairs[0][0].items)
    for array, value in pairs:
        test = _criterion(value)
        hits = [hit and test(item) for hit, item in zip(hits, array.items, strict=True)]
    return hits


def _criteria_pairs(args: tuple[Any, ...]) -> list[tuple[Array, Any]]:
    if not args or len(args) % 2:
        raise _Failure(VALUE)
    return [(_as_array(args[i]), args[i + 1]) for i in range(0, len(args), 2)]


def _countifs(*args: Any) -> float:
    return float(sum(_matching(_criteria_pairs(args))))


def _sumifs(total: Any, *args: Any) -> float:
    return math.fsum(_picked(_as_array(total), _matching(_criteria_pairs(args))))


def _averageifs(total: Any, *args: Any) -> float:
    numbers = _picked(_as_array(total), _matching(_criteria_pairs(args)))
    if not numbers:
        raise _Failure(DIV0)
    return math.fsum(numbers) / len(numbers)


def _picked(array: Array, hits: list[bool]) -> list[float]:
    """The numbers of `array` where `hits` is true; an error there is the result."""
    if len(array.items) != len(hits):
        raise _Failure(VALUE)  # SUMIFS' range to sum has another size
    found = []
    for hit, item in zip(hits, array.items, strict=True):
        if hit and type(item) is float:
            found.append(item)
        elif hit and type(item) is CellError:
            raise _Failure(item)
    return found


def _countif(area: Any, value: Any) -> float:
    return _countifs(area, value)


def _sumif(area: Any, value: Any, total: Any = None) -> float:
    return _sumifs(area if total is None else total, area, value)


def _averageif(area: Any, value: Any, total: Any = None) -> float:
    return _averageifs(area if total is None else total, area, value)


# Aggregates: numbers typed into the formula count; in ranges and arrays only numbers
# do (text, TRUE/FALSE and empty cells are skipped).


def _numbers(args: tuple[Any, ...]) -> list[float]:
    found: list[float] = []
    for arg in args:
        if type(arg) is Array:
            for item in arg.items:
                if type(item) is float:
                    found.append(item)
                elif type(item) is CellError:
                    raise _Failure(item)
        elif arg is not None:
            found.append(_num(arg))
    return found


def _sum(*args: Any) -> float:
    return math.fsum(_numbers(args))


def _average(*args: Any) -> float:
    numbers = _numbers(args)
    if not numbers:
        raise _Failure(DIV0)
    return math.fsum(numbers) / len(numbers)


def _max(*args: Any) -> float:
    return max(_numbers(args), default=0.0)


def _min(*args: Any) -> float:
    return min(_numbers(args), default=0.0)


def _median(*args: Any) -> float:
    numbers = sorted(_numbers(args))
    if not numbers:
        raise _Failure(NUM)
    middle = len(numbers) // 2
    if len(numbers) % 2:
        return numbers[middle]
    return (numbers[middle - 1] + numbers[middle]) / 2


def _count(*args: Any) -> float:
    count = 0
    for arg in args:
        if type(arg) is Array:
            count += sum(1 for item in arg.items if type(item) is float)
        elif type(arg) in (float, bool) or (
            type(arg) is str and _parse_number(arg) is not None
        ):
            count += 1
    return float(count)


def _counta(*args: Any) -> float:
    count = 0
    for arg in args:
        items = arg.items if type(arg) is Array else [arg]
        count += sum(1 for item in items if item is not None)
    return float(count)


def _countblank(area: Any) -> float:
    return float(sum(1 for item in _as_array(area).items if item in (None, "")))


def _sumproduct(*args: Any) -> float:
    """Sum of products; text, TRUE/FALSE and empty cells count as 0."""
    arrays = [_as_array(arg) for arg in args]
    if any((a.rows, a.cols) != (arrays[0].rows, arrays[0].cols) for a in arrays):
        raise _Failure(VALUE)
    products = _factors(arrays[0].items)
    for array in arrays[1:]:
        products = list(map(operator.mul, products, _factors(array.items)))
    return _finite(math.fsum(products))


def _factors(items: list[Any]) -> list[float]:
    return [item if type(item) is float else _factor(item) for item in items]


def _factor(item: Any) -> float:
    if type(item) is CellError:
        raise _Failure(item)
    return 0.0


def _truths(args: tuple[Any, ...]) -> list[bool]:
    """AND and OR: numbers and TRUE/FALSE in ranges count, text there is skipped."""
    found = []
    for arg in args:
        if type(arg) is not Array:
            found += [_bool(arg)] if arg is not None else []
            continue
        for item in arg.items:
            if type(item) in (float, bool, CellError):
                found.append(_bool(item))
    if not found:
        raise _Failure(VALUE)
    return found


# Lookups.


def _vector(array: Any) -> list[Any]:
    """The items of a single row or column; anything wider is not a lookup range."""
    array = _as_array(array)
    if array.rows > 1 and array.cols > 1:
        raise _Failure(NA)
    return array.items


def _sought(lookup: Any) -> Any:
    """A lookup value; an empty cell or an error finds nothing."""
    if lookup is None or type(lookup) is CellError:
        raise _Failure(NA if lookup is None else lookup)
    return lookup


def _match(lookup: Any, array: Any, kind: Any = 1.0) -> float:
    lookup, items = _sought(lookup), _vector(array)
    kind = _num(kind)
    if kind == 0:
        return float(_exact(lookup, items) + 1)
    return float(_sorted_position(lookup, items, descending=kind < 0) + 1)


def _exact(lookup: Any, items: list[Any]) -> int:
    """The first position holding `lookup` (wildcards in text); #N/A if none."""
    if type(lookup) is str:
        text = _wildcard(lookup)
        found = (i for i, item in enumerate(items) if type(item) is str and text(item))
    else:
        found = (
            i
            for i, item in enumerate(items)
            if type(item) is type(lookup) and _compare(item, lookup) == 0
        )
    position = next(found, None)
    if position is None:
        raise _Failure(NA)
    return position


def _sorted_position(lookup: Any, items: list[Any], descending: bool) -> int:
    """The last position not past `lookup` in sorted data, among values of its type.

    On sorted data this is what both programs' binary searches find; empty cells and
    values of other types are passed over.
    """
    found = None
    for index, item in enumerate(items):
        if type(item) is not type(lookup):
            continue
        order = _compare(item, lookup)
        if (order > 0 and not descending) or (order < 0 and descending):
            break
        found = index
    if found is None:
        raise _Failure(NA)
    return found


def _index(source: Any, row: Any, col: Any = None) -> Any:
    """A cell of a range (a reference, so ROW(INDEX(...)) works) or of an array."""
    rows, cols = _shape(source)
    row = _int(row)
    col = None if col is None else _int(col)
    if col is None and rows == 1:
        row, col = 1, row  # one index into a single row picks a column
    elif col is None and cols == 1:
        col = 1
    elif col is None:
        raise _Failure(REF)
    if row < 0 or col < 0:
        raise _Failure(VALUE)
    if row > rows or col > cols:
        raise _Failure(REF)
    if type(source) is Area:
        return _sub_area(source, row, col)
    return _part(_as_array(source), row, col)


def _shape(value: Any) -> tuple[int, int]:
    if type(value) is Area:
        return value.r2 - value.r1 + 1, value.c2 - value.c1 + 1
    return (value.rows, value.cols) if type(value) is Array else (1, 1)


def _sub_area(area: Area, row: int, col: int) -> Area:
    """One cell, or with 0 for the row or column, the whole column or row."""
    r1, r2 = (area.r1, area.r2) if row == 0 else (area.r1 + row - 1,) * 2
    c1, c2 = (area.c1, area.c2) if col == 0 else (area.c1 + col - 1,) * 2
    return Area(area.sheet, r1, c1, r2, c2)


def _part(array: Array, row: int, col: int) -> Any:
    """One value, or with 0 for the row or column, the whole column or row."""
    rows = range(array.rows) if row == 0 else [row - 1]
    cols = range(array.cols) if col == 0 else [col - 1]
    items = [array.items[r * array.cols + c] for r in rows for c in cols]
    if len(items) == 1:
        return items[0]
    return Array(len(rows), len(cols), items)


def _vlookup(lookup: Any, table: Any, col: Any, approximate: Any = True) -> Any:
    table = _as_array(table)
    col = _int(col)
    if col < 1:
        raise _Failure(VALUE)
    if col > table.cols:
        raise _Failure(REF)
    first, lookup = table.items[:: table.cols], _sought(lookup)
    if _bool(approximate):
        row = _sorted_position(lookup, first, descending=False)
    else:
        row = _exact(lookup, first)
    return table.items[row * table.cols + col - 1]


def _lookup(lookup: Any, keys: Any, answers: Any = None) -> Any:
    """LOOKUP's vector form: the answer beside the last key not past `lookup`."""
    keys = _vector(keys)
    answers = keys if answers is None else _vector(answers)
    position = _sorted_position(_sought(lookup), keys, descending=False)
    if position >= len(answers):
        raise _Failure(NA)
    return answers[position]


def _choose(index: Any, *options: Any) -> Any:
    position = _int(index)
    if not 1 <= position <= len(options):
        raise _Failure(VALUE)
    return options[position - 1]


# Numbers. Rounding works on the value's 15 significant digits, as both programs do,
# so that ROUND(0.285,2) is 0.29 and ROUNDUP(0.1+0.2,1) is 0.3.


def _rounded(number: Any, places: Any, mode: str) -> float:
    number, places = _num(number), _int(places)
    exact = Decimal(f"{number:.15g}")
    step = Decimal(1).scaleb(-places)
    try:
        return float((exact / step).quantize(Decimal(1), rounding=mode) * step)
    except InvalidOperation:
        return number  # more places than the number has digits: nothing to round


def _round(number: Any, places: Any) -> float:
    return _rounded(number, places, ROUND_HALF_UP)


def _roundup(number: Any, places: Any) -> float:
    return _rounded(number, places, ROUND_UP)


def _rounddown(number: Any, places: Any) -> float:
    return _rounded(number, places, ROUND_DOWN)


def _int_function(number: Any) -> float:
    return float(math.floor(float(f"{_num(number):.15g}")))


def _mod(number: Any, divisor: Any) -> float:
    number, divisor = _num(number), _num(divisor)
    if divisor == 0:
        raise _Failure(DIV0)
    return number - divisor * _int_function(number / divisor)


def _sign(number: Any) -> float:
    number = _num(number)
    return float((number > 0) - (number < 0))


def _n(value: Any) -> float:
    if type(value) is CellError:
        raise _Failure(value)
    return _num(value) if type(value) in (float, bool) else 0.0


def _value(value: Any) -> float:
    if type(value) is str:
        number = _parse_number(value)
        if number is None:
            raise _Failure(VALUE)
        return number
    return _num(value)


# Dates: serial numbers of the 1900 date system.


def _serial(day: dt.date) -> float:
    return float((day - EPOCH).days)


def _date_of(value: Any) -> dt.date:
    serial = math.floor(_num(value))
    if not 0 <= serial <= LAST_SERIAL:
        raise _Failure(NUM)
    return EPOCH + dt.timedelta(days=serial)


def _date(year: Any, month: Any, day: Any) -> float:
    year, month, day = _int(year), _int(month), _int(day)
    year += 1900 if 0 <= year < 1900 else 0
    first_year, month_index = divmod(year * 12 + month - 1, 12)
    if not 1 <= first_year <= 9999:
        raise _Failure(NUM)
    serial = _serial(dt.date(first_year, month_index + 1, 1)) + day - 1
    if not 0 <= serial <= LAST_SERIAL:
        raise _Failure(NUM)
    return serial


def _months_later(day: dt.date, months: int) -> tuple[int, int]:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not 1 <= year <= 9999:
        raise _Failure(NUM)
    return year, month + 1


def _edate(start: Any, months: Any) -> float:
    day = _date_of(start)
    year, month = _months_later(day, _int(months))
    last = calendar.monthrange(year, month)[1]
    return _serial(dt.date(year, month, min(day.day, last)))


def _eomonth(start: Any, months: Any) -> float:
    year, month = _months_later(_date_of(start), _int(months))
    return _serial(dt.date(year, month, calendar.monthrange(year, month)[1]))


def _weekday(serial: Any, kind: Any = 1.0) -> float:
    monday_is_0 = _date_of(serial).weekday()
    kind = _int(kind)
    if kind == 1:
        return float((monday_is_0 + 1) % 7 + 1)
    if kind in (2, 3):
        return float(monday_is_0 + (1 if kind == 2 else 0))
    if 11 <= kind <= 17:
        return float((monday_is_0 - (kind - 11)) % 7 + 1)
    raise _Failure(NUM)


def _weeknum(serial: Any, kind: Any = 1.0) -> float:
    day, kind = _date_of(serial), _int(kind)
    if kind == 21:
        return float(day.isocalendar().week)
    first_weekday = {1: 6, 2: 0}.get(kind, kind - 11 if 11 <= kind <= 17 else None)
    if first_weekday is None:
        raise _Failure(NUM)
    january_first = dt.date(day.year, 1, 1)
    offset = (january_first.weekday() - first_weekday) % 7
    return float((day.timetuple().tm_yday - 1 + offset) // 7 + 1)


def _networkdays(start: Any, end: Any, holidays: Any = None) -> float:
    first, last = _date_of(start), _date_of(end)
    sign = 1.0
    if first > last:
        first, last, sign = last, first, -1.0
    days = (last - first).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5 + sum(1 for n in range(rest) if (first.weekday() + n) % 7 < 5)
    off = {_date_of(item) for item in _numbers((holidays,))}
    count -= sum(1 for day in off if first <= day <= last and day.weekday() < 5)
    return sign * count


# Text.


def _left(text: Any, count: Any = 1.0) -> str:
    count = _int(count)
    if count < 0:
        raise _Failure(VALUE)
    return _text(text)[:count]


def _right(text: Any, count: Any = 1.0) -> str:
    text, count = _text(text), _int(count)
    if count < 0:
        raise _Failure(VALUE)
    return text[len(text) - count :] if count else ""


def _mid(text: Any, start: Any, count: Any) -> str:
    text, start, count = _text(text), _int(start), _int(count)
    if start < 1 or count < 0:
        raise _Failure(VALUE)
    return text[start - 1 : start - 1 + count]


def _trim(text: Any) -> str:
    return re.sub(" +", " ", _text(text).strip(" "))


def _rept(text: Any, times: Any) -> str:
    times = _int(times)
    if times < 0:
        raise _Failure(VALUE)
    return _text(text) * times


def _text_function(value: Any, pattern: Any) -> str:
    pattern = _text(pattern)
    if type(value) is bool:
        return _text(value)
    if type(value) is str:
        number = _parse_number(value)
        if number is None:
            return value  # text that is not a number shows as it is
        value = number
    formatter = _formatter(pattern)
    if formatter is None:
        raise _Failure(VALUE)  # a format beyond those supported: no cached value
    return formatter(_num(value))


DATE_PART = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d", re.IGNORECASE)
NUMBER_PART = re.compile(r"([#0,]*[#0])?(\.[#0]*)?")
LITERAL = re.compile(r'"([^"]*)"|\\(.)')
QUOTED = re.compile(r'("[^"]*"|\\.)')


@lru_cache(maxsize=256)
def _formatter(pattern: str) -> Callable[[float], str] | None:
    """A TEXT format: General, numbers (0, 0.0, #,##0, 0.0%) or dates (yyyy-mm-dd)."""
    if pattern.casefold() == "general":
        return _general
    if ";" in pattern or "[" in pattern:
        return None
    bare = LITERAL.sub("", pattern)
    if "0" not in bare and "#" not in bare and DATE_PART.search(bare):
        return lambda number: _date_text(number, pattern)
    return _number_formatter(pattern)


def _date_text(number: float, pattern: str) -> str:
    day = _date_of(number)
    return "".join(_date_piece(day, piece) for piece in QUOTED.split(pattern))


def _date_piece(day: dt.date, piece: str) -> str:
    """A piece of a date format: quoted text, an escaped character or date parts."""
    if piece.startswith('"'):
        return piece[1:-1]
    if piece.startswith("\\"):
        return piece[1:]
    return DATE_PART.sub(lambda part: DATE_PARTS[part[0].lower()](day), piece)


DATE_PARTS: dict[str, Callable[[dt.date], str]] = {
    "yyyy": lambda day: f"{day.year:04d}",
    "yy": lambda day: f"{day.year % 100:02d}",
    "mmmm": lambda day: calendar.month_name[day.month],
    "mmm": lambda day: calendar.month_abbr[day.month],
    "mm": lambda day: f"{day.month:02d}",
    "m": lambda day: str(day.month),
    "dddd": lambda day: calendar.day_name[day.weekday()],
    "ddd": lambda day: calendar.day_abbr[day.weekday()],
    "dd": lambda day: f"{day.day:02d}",
    "d": lambda day: str(day.day),
}


def _number_formatter(pattern: str) -> Callable[[float], str] | None:
    literal = LITERAL.sub(lambda m: m[1] if m[1] is not None else m[2], pattern)
    start = next((i for i, ch in enumerate(literal) if ch in "#0."), None)
    if start is None:
        return None
    core = NUMBER_PART.match(literal, start)
    before, after = literal[:start], literal[core.end() :]
    if any(ch in "#0" for ch in before + after):
        return None
    whole, fraction = core[1] or "", (core[2] or ".")[1:]
    scale = 100 ** (before + after).count("%")

    def format_number(number: float) -> str:
        shown = _fixed(abs(number) * scale, whole, fraction)
        return ("-" if number < 0 else "") + before + shown + after

    return format_number


def _fixed(number: float, whole: str, fraction: str) -> str:
    """`number` with the digits a pattern's whole and fraction parts ask for."""
    try:
        exact = Decimal(f"{number:.15g}").quantize(
            Decimal(1).scaleb(-len(fraction)), rounding=ROUND_HALF_UP
        )
    except InvalidOperation:  # more digits than Decimal's 28: too big to show
        raise _Failure(VALUE) from None
    integer, _, decimals = f"{exact:f}".partition(".")
    optional = fraction.count("#")
    while optional and decimals.endswith("0"):
        decimals, optional = decimals[:-1], optional - 1
    integer = ("" if integer == "0" else integer).zfill(whole.count("0"))
    if "," in whole and integer:
        integer = f"{int(integer):,}"
    return integer + ("." + decimals if decimals else "")


# The function library: each function with how its arguments are read.
# v: a single value (a range meets the formula's row or column, or in an array
# formula is taken element by element); r: a range or array, passed whole as an
# Array; a: a range kept as a reference (INDEX); s: a range sized like the first
# argument (SUMIF's sum range).


@dataclass(frozen=True)
class Function:
    """A spreadsheet function: its Python body and how each argument is read."""

    run: Callable[..., Any]
    kinds: str  # one letter per parameter
    least: int
    repeat: str = ""  # what further arguments are, repeating: "r", or "rv" in pairs

    def kinds_for(self, count: int) -> str:
        return (self.kinds + self.repeat * count)[:count]

    def arity(self) -> str:
        if self.repeat:
            return f"at least {self.least}"
        if len(self.kinds) == self.least:
            return str(self.least)
        return f"{self.least} to {len(self.kinds)}"

    def accepts(self, count: int) -> bool:
        return count >= self.least and (bool(self.repeat) or count <= len(self.kinds))


def _is_error(value: Any) -> bool:
    return type(value) is CellError


FUNCTIONS: dict[str, Function] = {
    "ABS": Function(lambda x: abs(_num(x)), "v", 1),
    "AND": Function(lambda *a: all(_truths(a)), "", 1, "r"),
    "AVERAGE": Function(_average, "", 1, "r"),
    "AVERAGEIF": Function(_averageif, "rvs", 2),
    "AVERAGEIFS": Function(_averageifs, "r", 3, "rv"),
    "COLUMNS": Function(lambda a: float(_as_array(a).cols), "r", 1),
    "CONCATENATE": Function(lambda *a: "".join(map(_text, a)), "", 1, "v"),
    "COUNT": Function(_count, "", 1, "r"),
    "COUNTA": Function(_counta, "", 1, "r"),
    "COUNTBLANK": Function(_countblank, "r", 1),
    "COUNTIF": Function(_countif, "rv", 2),
    "COUNTIFS": Function(_countifs, "", 2, "rv"),
    "DATE": Function(_date, "vvv", 3),
    "DAY": Function(lambda x: float(_date_of(x).day), "v", 1),
    "EDATE": Function(_edate, "vv", 2),
    "EOMONTH": Function(_eomonth, "vv", 2),
    "INDEX": Function(_index, "avv", 2),
    "INT": Function(_int_function, "v", 1),
    "ISBLANK": Function(lambda x: x is None, "v", 1),
    "ISERROR": Function(_is_error, "v", 1),
    "ISNUMBER": Function(lambda x: type(x) is float, "v", 1),
    "ISTEXT": Function(lambda x: type(x) is str, "v", 1),
    "LEFT": Function(_left, "vv", 1),
    "LEN": Function(lambda x: float(len(_text(x))), "v", 1),
    "LOOKUP": Function(_lookup, "vrr", 2),
    "LOWER": Function(lambda x: _text(x).lower(), "v", 1),
    "MATCH": Function(_match, "vrv", 2),
    "MAX": Function(_max, "", 1, "r"),
    "MEDIAN": Function(_median, "", 1, "r"),
    "MID": Function(_mid, "vvv", 3),
    "MIN": Function(_min, "", 1, "r"),
    "MOD": Function(_mod, "vv", 2),
    "MONTH": Function(lambda x: float(_date_of(x).month), "v", 1),
    "N": Function(_n, "v", 1),
    "NETWORKDAYS": Function(_networkdays, "vvr", 2),
    "NOT": Function(lambda x: not _bool(x), "v", 1),
    "OR": Function(lambda *a: any(_truths(a)), "", 1, "r"),
    "REPT": Function(_rept, "vv", 2),
    "RIGHT": Function(_right, "vv", 1),
    "ROUND": Function(_round, "vv", 2),
    "ROUNDDOWN": Function(_rounddown, "vv", 2),
    "ROUNDUP": Function(_roundup, "vv", 2),
    "ROWS": Function(lambda a: float(_as_array(a).rows), "r", 1),
    "SIGN": Function(_sign, "v", 1),
    "SUM": Function(_sum, "", 1, "r"),
    "SUMIF": Function(_sumif, "rvs", 2),
    "SUMIFS": Function(_sumifs, "r", 3, "rv"),
    "TEXT": Function(_text_function, "vv", 2),
    "TRIM": Function(_trim, "v", 1),
    "UPPER": Function(lambda x: _text(x).upper(), "v", 1),
    "VALUE": Function(_value, "v", 1),
    "VLOOKUP": Function(_vlookup, "vrvv", 3),
    "WEEKDAY": Function(_weekday, "vv", 1),
    "WEEKNUM": Function(_weeknum, "vv", 1),
    "YEAR": Function(lambda x: float(_date_of(x).year), "v", 1),
}


# Compiling a tree into closures run(book, at). In an array formula (the arguments
# of SUMPRODUCT) operators and single-value functions work element by element; outside
# one, a range where a single value is expected meets the formula's row or column.


@lru_cache(maxsize=4096)
def _program(text: str) -> Run:
    return _compile(fx.parse(text), False)


@lru_cache(maxsize=8192)
def _compile(node: fx.Node, array: bool) -> Run:
    """A closure for the node; equal parts of formulas get the same closure."""
    run = _compile_node(node, array)
    if _reads_a_column(node) and _same_in_every_cell(node, array):
        return _once_per_workbook(run)
    return run


def _compile_node(node: fx.Node, array: bool) -> Run:
    if isinstance(node, CONSTANT):
        constant = _constant(node)
        return lambda book, at: constant
    if isinstance(node, fx.RowRef):
        return _row_ref(node, whole=False)
    if isinstance(node, fx.ColumnRef):
        return lambda book, at: book.column(node.table, node.key)
    if isinstance(node, fx.NameRef):
        return _name_ref(node.name, whole=False)
    if _is_double_negation(node):
        # --x, how formulas turn TRUE/FALSE into 1/0: one step instead of two.
        return _operator(_num, [node.operand.operand], array)
    if isinstance(node, fx.Unary):
        return _operator(UNARY[node.op], [node.operand], array)
    if isinstance(node, fx.Percent):
        return _operator(lambda a: _num(a) / 100, [node.operand], array)
    if isinstance(node, fx.Binary):
        return _operator(BINARY[node.op], [node.left, node.right], array)
    return _call(node, array)


def _constant(node: fx.Number | fx.Text | fx.Boolean) -> Any:
    return float(node.value) if isinstance(node, fx.Number) else node.value


def _is_double_negation(node: fx.Node) -> bool:
    return (
        isinstance(node, fx.Unary)
        and node.op == "-"
        and isinstance(node.operand, fx.Unary)
        and node.operand.op == "-"
    )


# Work over whole columns is done once per workbook: a part of a formula that reads
# nothing of its own row, such as --(kr_weekly.p_1<>"") in every row's SUMPRODUCT,
# at its first use; a function or array operator over a column once for each set of
# values it is given (key_results.objective=[objective] once per objective).


def _reads_a_column(node: fx.Node) -> bool:
    return not isinstance(node, fx.ColumnRef) and any(
        isinstance(ref, fx.ColumnRef) for ref in fx.references(node)
    )


def _touches_a_column(node: fx.Node) -> bool:
    """SUMPRODUCT, or an operator or function with a whole column as an operand."""
    if isinstance(node, fx.Call):
        parts: tuple[fx.Node, ...] = node.args
        if node.name == "SUMPRODUCT":
            return True
    elif isinstance(node, fx.Binary):
        parts = (node.left, node.right)
    else:
        parts = (node.operand,) if isinstance(node, fx.Unary | fx.Percent) else ()
    return any(isinstance(part, fx.ColumnRef) for part in parts)


def _same_in_every_cell(node: fx.Node, array: bool) -> bool:
    """Whether the value cannot depend on the formula's cell: no [column] of its
    row, no ROW() or COLUMN() of itself, no range meeting its row or column."""
    if isinstance(node, fx.RowRef):
        return False
    if isinstance(node, fx.ColumnRef):
        return array  # outside an array formula a column meets the formula's row
    if isinstance(node, fx.Unary | fx.Percent):
        return _same_in_every_cell(node.operand, array)
    if isinstance(node, fx.Binary):
        return _same_in_every_cell(node.left, array) and _same_in_every_cell(
            node.right, array
        )
    if isinstance(node, fx.Call):
        return _call_same_in_every_cell(node, array)
    return True


def _call_same_in_every_cell(node: fx.Call, array: bool) -> bool:
    if node.name in ("ROW", "COLUMN") and not node.args:
        return False
    if node.name == "INDEX" and not array:
        return False  # a whole row or column of it would meet the formula's row
    array = array or node.name == "SUMPRODUCT"
    function = FUNCTIONS.get(node.name)
    kinds = function.kinds_for(len(node.args)) if function else "v" * len(node.args)
    return all(
        (kind in "ras" and isinstance(arg, fx.ColumnRef))
        or _same_in_every_cell(arg, array)
        for arg, kind in zip(node.args, kinds, strict=True)
    )


def _once_per_workbook(run: Run) -> Run:
    def once(book: _Book, at: At) -> Any:
        found = book.remembered.get(once, MISSING)
        if found is MISSING:
            try:
                found = run(book, at)
            except _Failure as failure:
                found = failure.error
            book.remembered[once] = found
        return found

    return once


@lru_cache(maxsize=64)
def _elementwise(function: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *values: _broadcast(function, list(values))


def _row_ref(ref: fx.RowRef, whole: bool) -> Run:
    """This row of a column; a repeated group is the row's span of its columns."""
    target = (ref.table, ref.key)

    def run(book: _Book, at: At) -> Any:
        sheet, shift, first, last = book.row_place(at.table, target)
        row = at.row + shift
        if first == last and not whole:
            return book.value((sheet, row, first))
        return Area(sheet, row, first, row, last)

    return run


def _name_ref(name: str, whole: bool) -> Run:
    def run(book: _Book, at: At) -> Any:
        key = book.names.get(name.casefold())
        if key is None:
            return NAME
        return (
            Area(key[0], key[1], key[2], key[1], key[2]) if whole else book.value(key)
        )

    return run


def _reference(node: fx.Node, array: bool) -> Run:
    """An argument read whole: a reference stays a range even when it is one cell."""
    if isinstance(node, fx.RowRef):
        return _row_ref(node, whole=True)
    if isinstance(node, fx.NameRef):
        return _name_ref(node.name, whole=True)
    return _compile(node, array)


def _operator(
    function: Callable[..., Any], operands: list[fx.Node], array: bool
) -> Run:
    runs = [_compile(operand, array) for operand in operands]
    if array:
        elementwise = _elementwise(function)
        return lambda book, at: book.call(
            elementwise, tuple([book.whole(run(book, at)) for run in runs])
        )
    if len(runs) == 1:
        (single,) = runs
        return lambda book, at: function(book.single(single(book, at), at))
    left, right = runs
    if isinstance(operands[1], CONSTANT):
        # [id]="" and the like: no call to fetch the constant.
        constant = _constant(operands[1])
        return lambda book, at: function(book.single(left(book, at), at), constant)
    return lambda book, at: function(
        book.single(left(book, at), at), book.single(right(book, at), at)
    )


def _call(node: fx.Call, array: bool) -> Run:
    special = SPECIAL.get(node.name)
    if special is not None:
        return special(node, array)
    function = FUNCTIONS[node.name]
    count = len(node.args)
    if not function.accepts(count):
        raise fx.FormulaError(
            [f"{node.name} takes {function.arity()} arguments; found {count}"]
        )
    kinds = function.kinds_for(count)
    runs = [
        _reference(arg, array) if kind in "ras" else _compile(arg, array)
        for arg, kind in zip(node.args, kinds, strict=True)
    ]
    if array and "v" in kinds:
        return _array_call(function.run, runs, kinds)
    return _value_call(function.run, runs, kinds, _touches_a_column(node))


def _arguments(book: _Book, at: At, runs: list[Run]) -> list[Any]:
    """Each argument's value; an error stays a value for the function to judge."""
    try:
        return [run(book, at) for run in runs]
    except _Failure:
        return [_guarded(run, (book, at)) for run in runs]


def _value_call(
    function: Callable[..., Any], runs: list[Run], kinds: str, remember: bool
) -> Run:
    sized = "s" in kinds

    def run(book: _Book, at: At) -> Any:
        values = _arguments(book, at, runs)
        for index, value in enumerate(values):
            if type(value) in MULTI or (sized and kinds[index] == "s"):
                values[index] = book.read(value, at, kinds[index], values[0])
        return book.call(function, tuple(values)) if remember else function(*values)

    return run


def _array_call(function: Callable[..., Any], runs: list[Run], kinds: str) -> Run:
    lifted = [index for index, kind in enumerate(kinds) if kind == "v"]

    def run(book: _Book, at: At) -> Any:
        values = _arguments(book, at, runs)
        first = book.whole(values[0])
        values = [
            book.read(v, at, k, first, lift=True)
            for v, k in zip(values, kinds, strict=True)
        ]
        if not any(type(values[index]) is Array for index in lifted):
            return function(*values)
        each = _element_by_element(function, values, lifted, book, at)
        return _broadcast(each, [values[index] for index in lifted])

    return run


def _element_by_element(
    function: Callable[..., Any],
    values: list[Any],
    lifted: list[int],
    book: _Book,
    at: At,
) -> Callable[..., Any]:
    """`function` of `values` with the `lifted` ones given one element at a time."""

    def each(*elements: Any) -> Any:
        merged = list(values)
        for index, element in zip(lifted, elements, strict=True):
            merged[index] = element
        result = function(*merged)
        # An element is a value: INDEX's reference to a cell is read.
        return book.single(result, at) if type(result) is Area else result

    return each


# Functions whose arguments are not all read first: IF and IFERROR compute only the
# branch they need, ROW and COLUMN read positions, TODAY the build date.


def _if(node: fx.Call, array: bool) -> Run:
    if not 2 <= len(node.args) <= 3:
        raise fx.FormulaError([f"IF takes 2 to 3 arguments; found {len(node.args)}"])
    condition, *branches = (_compile(arg, array) for arg in node.args)
    then = branches[0]
    other = branches[1] if len(branches) > 1 else (lambda book, at: False)

    def run(book: _Book, at: At) -> Any:
        test = condition(book, at)
        if type(test) in MULTI and array:
            parts = [book.whole(test), book.whole(then(book, at))]
            parts.append(book.whole(other(book, at)))
            return _broadcast(lambda t, a, b: a if _bool(t) else b, parts)
        test = book.single(test, at)
        return then(book, at) if _bool(test) else other(book, at)

    return run


def _iferror(node: fx.Call, array: bool) -> Run:
    if len(node.args) != 2:
        raise fx.FormulaError([f"IFERROR takes 2 arguments; found {len(node.args)}"])
    value, fallback = (_compile(arg, array) for arg in node.args)

    def run(book: _Book, at: At) -> Any:
        try:
            result = value(book, at)
            result = book.whole(result) if array else book.single(result, at)
        except _Failure:
            return fallback(book, at)
        if type(result) is Array:
            other = fallback(book, at)
            return _broadcast(lambda v, f: f if _is_error(v) else v, [result, other])
        return fallback(book, at) if _is_error(result) else result

    return run


def _choose_lazily(node: fx.Call, array: bool) -> Run:
    if len(node.args) < 2:
        raise fx.FormulaError(
            [f"CHOOSE takes at least 2 arguments; found {len(node.args)}"]
        )
    index, *options = (_compile(arg, array) for arg in node.args)
    eager = _array_call(_choose, [index, *options], "v" * len(node.args))

    def run(book: _Book, at: At) -> Any:
        position = index(book, at)
        if type(position) in MULTI and array:
            return eager(book, at)
        position = _int(book.single(position, at))
        if not 1 <= position <= len(options):
            raise _Failure(VALUE)
        return options[position - 1](book, at)

    return run


def _position(axis: int) -> Callable[[fx.Call, bool], Run]:
    """ROW (axis 0) or COLUMN (axis 1) of a reference, or of the formula's cell."""

    def compile_position(node: fx.Call, array: bool) -> Run:
        if len(node.args) > 1:
            raise fx.FormulaError(["ROW and COLUMN take at most 1 argument"])
        target = _reference(node.args[0], array) if node.args else _itself
        return lambda book, at: _positions(target(book, at), axis, array)

    return compile_position


def _itself(book: _Book, at: At) -> Area:
    return Area(at.sheet, at.row, at.col, at.row, at.col)


def _positions(area: Any, axis: int, array: bool) -> Any:
    """1-based row or column numbers: the first, or in an array formula each one."""
    if type(area) is not Area:
        raise _Failure(VALUE)
    first, last = (area.r1, area.r2) if axis == 0 else (area.c1, area.c2)
    if not array or first == last:
        return float(first + 1)
    numbers = [float(n + 1) for n in range(first, last + 1)]
    if axis == 0:
        return Array(len(numbers), 1, numbers)
    return Array(1, len(numbers), numbers)


def _sumproduct_call(node: fx.Call, array: bool) -> Run:
    if not node.args:
        raise fx.FormulaError(["SUMPRODUCT takes at least 1 argument; found 0"])
    runs = [_reference(arg, True) for arg in node.args]

    def run(book: _Book, at: At) -> Any:
        values = [book.whole(value) for value in _arguments(book, at, runs)]
        return book.call(_sumproduct, tuple(values))

    return run


def _today(node: fx.Call, array: bool) -> Run:
    if node.args:
        raise fx.FormulaError(["TODAY takes no arguments"])
    return lambda book, at: book.today


SPECIAL: dict[str, Callable[[fx.Call, bool], Run]] = {
    "IF": _if,
    "IFERROR": _iferror,
    "CHOOSE": _choose_lazily,
    "ROW": _position(0),
    "COLUMN": _position(1),
    "SUMPRODUCT": _sumproduct_call,
    "TODAY": _today,
}


# The workbook: where each value and formula sits, computed on demand.

MISSING = object()


class _Book:
    """The cells of one workbook: typed inputs, labels and formulas, by position."""

    def __init__(self, resolved: Resolved, layout: Layout) -> None:
        self.layout = layout
        self.today = _serial(resolved.as_of)
        self.known: dict[Key, Any] = {}
        self.formulas: dict[Key, tuple[Run, At]] = {}
        self.pending: dict[Key, None] = {}
        self.arrays: dict[Area, Array] = {}
        self.remembered: dict[Any, Any] = {}
        self.places: dict[tuple[str | None, tuple[str | None, str]], tuple] = {}
        self.names = {
            name.casefold(): (place.sheet, place.row, place.col)
            for name, place in layout.fields.items()
        }
        _fill_tables(self, resolved)
        _fill_fields(self, resolved)
        _fill_checks(self, resolved)

    def value(self, key: Key) -> Any:
        """The value of a cell: None if empty, a formula's result once computed."""
        found = self.known.get(key, MISSING)
        if found is not MISSING:
            return found
        formula = self.formulas.get(key)
        return None if formula is None else self._compute(key, *formula)

    def _compute(self, key: Key, run: Run, at: At) -> Any:
        if key in self.pending:
            pending = list(self.pending)
            cycle = [*pending[pending.index(key) :], key]
            raise CircularReferenceError(
                "circular reference: " + " -> ".join(map(_address, cycle))
            )
        self.pending[key] = None
        try:
            result = self.single(run(self, at), at)
            # A cell showing an empty cell's value holds 0, as in Excel.
            result = 0.0 if result is None else result
        except _Failure as failure:
            result = failure.error
        finally:
            del self.pending[key]
        if type(result) is float and result == 0:
            result = 0.0  # never -0
        self.known[key] = result
        return result

    def call(self, function: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """`function(*args)`, computed once per workbook for the same arguments."""
        # The types tell 1.0 from TRUE, which are equal as keys.
        key = (function, args, tuple(map(type, args)))
        found = self.remembered.get(key, MISSING)
        if found is MISSING:
            try:
                found = function(*args)
            except _Failure as failure:
                found = failure.error
            self.remembered[key] = found
        return found

    def single(self, value: Any, at: At) -> Any:
        """A range where one value is expected: the cell in the formula's row or
        column (implicit intersection); an array: its first value."""
        if type(value) not in MULTI:
            return value
        if type(value) is Array:
            return value.items[0]
        if value.r1 == value.r2 and value.c1 == value.c2:
            return self.value((value.sheet, value.r1, value.c1))
        row = _meeting(value.r1, value.r2, at.row)
        col = _meeting(value.c1, value.c2, at.col)
        if row is None or col is None:
            return VALUE
        return self.value((value.sheet, row, col))

    def whole(self, value: Any) -> Any:
        """A range as an Array of its values; other values as they are."""
        if type(value) is not Area:
            return value
        found = self.arrays.get(value)
        if found is None:
            sheet, r1, c1, r2, c2 = value
            items = [
                self.value((sheet, row, col))
                for row in range(r1, r2 + 1)
                for col in range(c1, c2 + 1)
            ]
            found = Array(r2 - r1 + 1, c2 - c1 + 1, items)
            self.arrays[value] = found
        return found

    def read(
        self, value: Any, at: At, kind: str, first: Any, lift: bool = False
    ) -> Any:
        """An argument as its kind of parameter wants it (see FUNCTIONS); `lift`:
        in an array formula, where single values are taken element by element."""
        if kind == "v" and not lift:
            return self.single(value, at)
        if kind == "a":
            return value
        if kind == "s" and type(value) is Area and type(first) is Array:
            # SUMIF's sum range takes the size of its criteria range.
            sheet, r1, c1, _, _ = value
            value = Area(sheet, r1, c1, r1 + first.rows - 1, c1 + first.cols - 1)
        return self.whole(value)

    def row_place(
        self, table: str | None, target: tuple[str | None, str]
    ) -> tuple[str, int, int, int]:
        """Sheet, row shift and first and last column of `[target]` from `table`."""
        found = self.places.get((table, target))
        if found is None:
            if table is None:
                raise _Failure(REF)
            owner = target[0] or table
            place = self.layout.tables[owner]
            keys = self.layout.groups.get((owner, target[1])) or [target[1]]
            shift = place.first_row - self.layout.tables[table].first_row
            first, last = place.columns[keys[0]], place.columns[keys[-1]]
            found = (place.sheet, shift, first, last)
            self.places[(table, target)] = found
        return found

    def column(self, table: str, key: str) -> Area:
        place = self.layout.tables[table]
        col = place.columns[key]
        return Area(place.sheet, place.first_row, col, place.last_row, col)


def _meeting(first: int, last: int, at: int) -> int | None:
    if first == last:
        return first
    return at if first <= at <= last else None


def _address(key: Key) -> str:
    return f"{quote_sheet(key[0])}!{xl_rowcol_to_cell(key[1], key[2])}"


def _input(value: Any) -> Any:
    """A typed value as the renderer writes it: dates as serials, text cleaned."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return _serial(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return clean(str(value))


def _fill_tables(book: _Book, resolved: Resolved) -> None:
    for table in resolved.tables():
        filled = resolved.rows(table)
        for offset in range(table.rows):
            values = filled[offset] if offset < len(filled) else {}
            for column in table.columns:
                _fill_cell(book, table, column, offset, values)


def _fill_cell(
    book: _Book, table: Table, column: Column, offset: int, values: dict[str, Any]
) -> None:
    """A table's cell as the renderer writes it: a formula, a label or an input."""
    place = book.layout.tables[table.key]
    key = (place.sheet, place.first_row + offset, place.columns[column.key])
    if column.formula:
        book.formulas[key] = (_program(column.formula), At(*key, table.key))
    elif column.values is not None:
        labels = column.values  # fixed labels; the rows past them hold ""
        book.known[key] = clean(labels[offset]) if offset < len(labels) else ""
    elif not column.sparkline:
        book.known[key] = _input(values.get(column.key))


def _fill_fields(book: _Book, resolved: Resolved) -> None:
    for item in resolved.fields():
        place = book.layout.fields[item.key]
        key = (place.sheet, place.row, place.col)
        if item.formula:
            book.formulas[key] = (_program(item.formula), At(*key, None))
        elif item.key in resolved.values:
            book.known[key] = _input(resolved.values[item.key])
        else:
            # As the renderer fills a field: the example's value, else the default.
            raw = item.example if resolved.variant == "example" else None
            raw = raw if raw is not None else item.default
            book.known[key] = _input(convert(raw, item.type))


def _fill_checks(book: _Book, resolved: Resolved) -> None:
    for sheet in resolved.blueprint.sheets:
        for block in sheet.blocks:
            first = book.layout.block_row(block) + (1 if block.heading else 0)
            for offset, check in enumerate(block.checks or []):
                key = (sheet.title, first + offset, FIRST_COL + 1)
                text = f'IF({check.when},"{CHECK_NOT_MET}","{CHECK_MET}")'
                book.formulas[key] = (_program(text), At(*key, None))
