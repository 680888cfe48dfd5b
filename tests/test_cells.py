"""Cells written again in a worksheet match what XlsxWriter writes for them."""

import io
import zipfile

import pytest
import xlsxwriter

from perftemplates.evaluate import CellError
from perftemplates.render import cells

SHEET = "xl/worksheets/sheet2.xml"
# Results a formula may store, as evaluate gives them.
RESULTS = [
    3,
    2.5,
    -0.1,
    1e20,
    1 / 3,
    True,
    False,
    "",
    "Met",
    'a & <b> "c"',
    "⚠ See the warnings",
    "#N/A",
]
# Values an input cell may hold, as resolve gives them.
INPUTS = [None, "", 0, 50000, 61250.5, 0.125, 1e-7, 123456789012345.6]


def _workbook(results: list, inputs: list) -> bytes:
    """A workbook as the renderer writes one: formulas with results, inputs."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("Guide")
    sheet = book.add_worksheet("Bonus & pay")
    number = book.add_format({"num_format": "0.00"})
    for row, result in enumerate(results):
        if result is None or isinstance(result, CellError):
            sheet.write_formula(row, 1, f"=A{row + 1}*2", number)
        else:
            sheet.write_formula(row, 1, f"=A{row + 1}*2", number, result)
    for row, value in enumerate(inputs):
        if value is None or value == "":
            sheet.write_blank(row, 3, None, number)
        else:
            sheet.write_number(row, 3, value, number)
    book.close()
    return buffer.getvalue()


def _part(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


@pytest.mark.parametrize("start", [0, "", "x"])
def test_formula_results_are_written_as_xlsxwriter_writes_them(start):
    before = _part(_workbook([start] * len(RESULTS), INPUTS), SHEET)
    after = _part(_workbook(RESULTS, INPUTS), SHEET)

    patched = cells.patch(before, {f"B{row + 1}": r for row, r in enumerate(RESULTS)})

    assert patched == after


def test_an_error_result_is_stored_as_zero():
    before = _part(_workbook([5], []), SHEET)
    after = _part(_workbook([None], []), SHEET)

    assert cells.patch(before, {"B1": CellError("#DIV/0!")}) == after
    assert b"<v>0</v>" in after


def test_input_numbers_and_blanks_are_written_as_xlsxwriter_writes_them():
    before = _part(_workbook([], [None] * len(INPUTS)), SHEET)
    after = _part(_workbook([], INPUTS), SHEET)

    patched = cells.patch(
        before, {f"D{row + 1}": cells.Input(v) for row, v in enumerate(INPUTS)}
    )

    assert patched == after


@pytest.mark.parametrize("value", [True, "text", float("nan"), float("inf")])
def test_an_input_that_is_not_a_finite_number_is_refused(value):
    sheet = _part(_workbook([], [1]), SHEET)

    with pytest.raises(cells.Unpatchable):
        cells.patch(sheet, {"D1": cells.Input(value)})


def test_a_missing_cell_or_a_cell_without_formula_is_refused():
    sheet = _part(_workbook([1], [1]), SHEET)

    with pytest.raises(cells.Unpatchable, match="no cell D9"):
        cells.patch(sheet, {"D9": 1})
    with pytest.raises(cells.Unpatchable, match="no formula"):
        cells.patch(sheet, {"D1": 1})


def test_a_reference_is_not_mistaken_for_a_longer_one():
    sheet = _part(_workbook([1] * 12, []), SHEET)

    patched = cells.patch(sheet, {"B1": 7})

    assert b'<c r="B1" s="1"><f>A1*2</f><v>7</v></c>' in patched
    assert b'<c r="B11" s="1"><f>A11*2</f><v>1</v></c>' in patched


def test_sheet_parts_follow_the_sheet_order_and_unescape_titles():
    workbook = _part(_workbook([1], []), "xl/workbook.xml")

    assert cells.sheet_parts(workbook) == {
        "Guide": "xl/worksheets/sheet1.xml",
        "Bonus & pay": SHEET,
    }


def test_chart_cells_cover_every_plotted_and_named_cell():
    chart = (
        b"<c:tx><c:strRef><c:f>'What-if'!$B$2</c:f></c:strRef></c:tx>"
        b"<c:val><c:numRef><c:f>'Bob''s &amp; co'!$C$3:$D$4</c:f></c:numRef>"
        b"<c:cat><c:numRef><c:f>Summary!$A$1:$A$2</c:f></c:numRef></c:cat>"
    )

    assert cells.chart_cells(chart) == {
        ("What-if", 1, 1),
        ("Bob's & co", 2, 2),
        ("Bob's & co", 2, 3),
        ("Bob's & co", 3, 2),
        ("Bob's & co", 3, 3),
        ("Summary", 0, 0),
        ("Summary", 1, 0),
    }
