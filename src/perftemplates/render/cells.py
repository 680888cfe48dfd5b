"""Worksheet cells rewritten in a finished workbook, as XlsxWriter writes them.

Stamping a number into a workbook changes its input cell and the stored result of
every formula that depends on it. Rendering the workbook again would write the same
package with those cells different; here only those `<c>` elements are written
again, from the start tag and formula text already in the sheet, so every other
byte stays as XlsxWriter left it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import unescape

from xlsxwriter.utility import xl_cell_to_rowcol

from perftemplates.evaluate import CellError

# (sheet title, row, column), 0-based: how evaluate keys its results.
Cell = tuple[str, int, int]

SHEET_NAME = re.compile(rb'<sheet name="([^"]*)"')
CHART_RANGE = re.compile(rb"<c:f>(.*?)</c:f>")
STYLE = re.compile(rb' s="(\d+)"')
FORMULA = re.compile(rb"<f>(.*?)</f>", re.DOTALL)
# The error values XlsxWriter stores with t="e" (worksheet._write_cell).
ERROR_CODES = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"}


class Unpatchable(ValueError):
    """A cell this module cannot write as XlsxWriter would: render in full."""


def sheet_parts(workbook_xml: bytes) -> dict[str, str]:
    """Each sheet's title and its part: XlsxWriter numbers them in sheet order."""
    names = SHEET_NAME.findall(workbook_xml)
    return {
        _unescape(name): f"xl/worksheets/sheet{index}.xml"
        for index, name in enumerate(names, start=1)
    }


def chart_cells(chart_xml: bytes) -> set[Cell]:
    """Every cell a chart plots or names: XlsxWriter caches their values in it."""
    cells: set[Cell] = set()
    for reference in CHART_RANGE.findall(chart_xml):
        cells.update(_range_cells(_unescape(reference)))
    return cells


def _range_cells(reference: str) -> Iterator[Cell]:
    sheet, bang, area = reference.rpartition("!")
    if not bang:
        raise Unpatchable(f"chart range without a sheet: {reference}")
    if sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    first, _, last = area.partition(":")
    top, left = xl_cell_to_rowcol(first)
    bottom, right = xl_cell_to_rowcol(last or first)
    for row in range(top, bottom + 1):
        for col in range(left, right + 1):
            yield sheet, row, col


def _unescape(text: bytes) -> str:
    return unescape(text.decode(), {"&quot;": '"', "&apos;": "'"})


def patch(sheet_xml: bytes, cells: dict[str, Any]) -> bytes:
    """The sheet with each cell (A1 reference: new content) written again.

    A content is `Input(value)` for a typed value, or a formula's new result.
    """
    pieces = []
    for ref, content in cells.items():
        start, end = _element(sheet_xml, ref)
        element = sheet_xml[start:end]
        pieces.append((start, end, _rewritten(ref, element, content)))
    pieces.sort()
    out, done = [], 0
    for start, end, element in pieces:
        out += [sheet_xml[done:start], element]
        done = end
    out.append(sheet_xml[done:])
    return b"".join(out)


@dataclass(frozen=True, slots=True)
class Input:
    """The value typed into an input cell (as opposed to a formula's result)."""

    value: Any


def _element(sheet_xml: bytes, ref: str) -> tuple[int, int]:
    """Where the `<c>` element of cell `ref` starts and ends."""
    start = sheet_xml.find(b'<c r="' + ref.encode() + b'"')
    if start < 0:
        raise Unpatchable(f"no cell {ref} in the sheet")
    tag_end = sheet_xml.index(b">", start) + 1
    if sheet_xml[tag_end - 2 : tag_end] == b"/>":
        return start, tag_end
    return start, sheet_xml.index(b"</c>", tag_end) + len(b"</c>")


def _rewritten(ref: str, element: bytes, content: Any) -> bytes:
    style = STYLE.search(element[: element.index(b">")])
    attributes = f' r="{ref}"' + (f' s="{style[1].decode()}"' if style else "")
    if isinstance(content, Input):
        return _input_cell(attributes, content.value)
    formula = FORMULA.search(element)
    if formula is None:
        raise Unpatchable(f"cell {ref} holds no formula")
    return _formula_cell(attributes, formula[1], content)


def _input_cell(attributes: str, value: Any) -> bytes:
    """Worksheet.write_number or write_blank, as the renderer's write_value calls."""
    if value is None or value == "":
        return f"<c{attributes}/>".encode()
    if isinstance(value, bool | dt.date) or not isinstance(value, int | float):
        raise Unpatchable(f"not a number: {value!r}")
    if not math.isfinite(value):
        raise Unpatchable(f"not a finite number: {value!r}")
    return f"<c{attributes}><v>{value:.16G}</v></c>".encode()


def _formula_cell(attributes: str, formula: bytes, result: Any) -> bytes:
    """The cell Worksheet.write_formula writes with `result` stored."""
    # The renderer stores no result for an error: XlsxWriter then writes 0.
    value = 0 if result is None or isinstance(result, CellError) else result
    if isinstance(value, bool):
        attributes += ' t="b"'
        value = int(value)
    elif isinstance(value, str):
        if value in ERROR_CODES:
            attributes += ' t="e"'
        elif value:
            attributes += ' t="str"'
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = f"<c{attributes}><f>".encode() + formula
    return text + f"</f><v>{value}</v></c>".encode()
