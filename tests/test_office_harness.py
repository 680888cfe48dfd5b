"""Tests of the LibreOffice harness itself (tests/office.py and the office fixture)."""

import csv
import struct
from pathlib import Path

import docx
import openpyxl
import pytest
import xlsxwriter
from docx.shared import Mm

import office as lo

A4_POINTS = (595.3, 841.9)


def make_workbook(path: Path, a1: float = 21, notes: str | None = None) -> Path:
    """Sheet Calc: A1=a1, B1 =A1*2, C1 =1/0 (XlsxWriter caches 0 for both)."""
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Calc")
    sheet.write_number("A1", a1)
    sheet.write_formula("B1", "=A1*2")
    sheet.write_formula("C1", "=1/0")
    if notes is not None:
        workbook.add_worksheet("Notes & more").write_string("A1", notes)
    workbook.close()
    return path


def cached_value(xlsx: Path, cell: str, sheet: str = "Calc") -> object:
    return openpyxl.load_workbook(xlsx, data_only=True)[sheet][cell].value


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk that follows the PNG signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.office
def test_recalculate_computes_formulas_and_error_cells_finds_errors(office, tmp_path):
    first = make_workbook(tmp_path / "first.xlsx", a1=21)
    second = make_workbook(tmp_path / "second.xlsx", a1=5)
    assert cached_value(first, "B1") == 0  # what XlsxWriter stores
    assert office.error_cells(first) == []

    converted = office.recalculate([first, second], tmp_path / "out")

    out = (tmp_path / "out").resolve()
    assert converted == {
        first.resolve(): out / "first.xlsx",
        second.resolve(): out / "second.xlsx",
    }
    assert cached_value(converted[first.resolve()], "B1") == 42
    assert cached_value(converted[second.resolve()], "B1") == 10
    assert office.error_cells(converted[first.resolve()]) == ["Calc!C1: #DIV/0!"]


@pytest.mark.office
def test_plain_profile_shows_stored_values(office, tmp_path):
    source = make_workbook(tmp_path / "stored.xlsx")

    resaved = office.resave([source], tmp_path / "out")[source.resolve()]

    assert cached_value(resaved, "B1") == 0
    assert office.error_cells(resaved) == []


@pytest.mark.office
def test_to_csv_writes_one_file_per_sheet(office, tmp_path):
    source = make_workbook(tmp_path / "book.xlsx", notes='hello, "world"')

    every = office.to_csv(source, tmp_path / "all")
    only = office.to_csv(source, tmp_path / "one", sheet="Notes & more")

    assert list(every) == ["Calc", "Notes & more"]
    assert every["Notes & more"].name == "book-Notes & more.csv"
    assert read_csv(every["Calc"]) == [["21", "42", "#DIV/0!"]]
    assert read_csv(every["Notes & more"]) == [['hello, "world"']]
    assert list(only) == ["Notes & more"]
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["book-Notes & more.csv"]


@pytest.mark.office
def test_to_pdf_converts_docx_and_xlsx_in_one_call(office, tmp_path):
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    document.add_paragraph("One short paragraph.")
    document.save(tmp_path / "letter.docx")
    workbook = make_workbook(tmp_path / "sheet.xlsx")

    pdfs = office.to_pdf([tmp_path / "letter.docx", workbook], tmp_path / "pdf")

    letter_pdf = pdfs[(tmp_path / "letter.docx").resolve()]
    assert office.pdf_page_count(letter_pdf) == 1
    assert office.pdf_page_size(letter_pdf) == pytest.approx(A4_POINTS, abs=0.5)
    assert office.pdf_page_count(pdfs[workbook.resolve()]) >= 1
    pngs = office.pdf_to_png(letter_pdf, tmp_path / "png", dpi=60)
    assert [p.name for p in pngs] == ["letter-1.png"]
    # A4 is 8.27 x 11.69 in; pdftoppm rounds the pixel size (up, in poppler 22).
    assert png_size(pngs[0]) == pytest.approx((496.1, 701.6), abs=1)


def test_error_cells_reports_excel_and_calc_errors(tmp_path):
    workbook = xlsxwriter.Workbook(tmp_path / "errors.xlsx")
    sheet = workbook.add_worksheet("Data")
    sheet.write_string("A1", "#N/A")
    sheet.write_string("A2", "Err:502")
    sheet.write_string("A3", "# of goals")  # starts with '#' but is no error code
    sheet.write_formula("A4", "=1/0", None, "#DIV/0!")  # cached error result
    sheet.write_number("A5", 3)
    workbook.close()

    assert lo.error_cells(tmp_path / "errors.xlsx") == [
        "Data!A1: #N/A",
        "Data!A2: Err:502",
        "Data!A4: #DIV/0!",
    ]


def test_convert_refuses_colliding_outputs(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    sources = [make_workbook(tmp_path / d / "same.xlsx") for d in ("a", "b")]

    with pytest.raises(ValueError, match="collide"):
        lo.recalculate(sources, tmp_path / "out", tmp_path / "profile")
    with pytest.raises(ValueError, match="overwrite an input"):
        lo.recalculate(sources[:1], tmp_path / "a", tmp_path / "profile")


def test_to_csv_rejects_unknown_sheet(tmp_path):
    source = make_workbook(tmp_path / "book.xlsx")

    with pytest.raises(KeyError, match="Missing"):
        lo.to_csv(source, tmp_path / "csv", tmp_path / "profile", sheet="Missing")
