"""The pack as an office suite sees it: recalculated, printed to PDF, as PNG."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from office import quiet_openpyxl
from perftemplates.blueprint.load import builtin_ids
from perftemplates.blueprint.resolve import resolve
from perftemplates.expected import expectations
from perftemplates.pack import build_pack
from perftemplates.templates import builtin_templates, find_template

pytestmark = pytest.mark.office
AS_OF = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pack")
    build_pack(builtin_templates(), out, AS_OF)
    return out


@pytest.fixture(scope="module")
def recalculated(office, pack_dir: Path, tmp_path_factory) -> dict[str, Path]:
    """Every workbook of the pack re-saved by LibreOffice after recalculating."""
    converted = office.recalculate(
        sorted(pack_dir.glob("*.xlsx")), tmp_path_factory.mktemp("recalculated")
    )
    return {source.name: copy for source, copy in converted.items()}


@pytest.fixture(scope="module")
def pdfs(office, pack_dir: Path, tmp_path_factory) -> dict[str, Path]:
    """Every file of the pack as PDF (one call per format: okr.docx and okr.xlsx
    would both become okr.pdf)."""
    found = {}
    for fmt in ("docx", "xlsx"):
        files = sorted(pack_dir.glob(f"*.{fmt}"))
        converted = office.to_pdf(files, tmp_path_factory.mktemp(f"pdf-{fmt}"))
        found |= {source.name: pdf for source, pdf in converted.items()}
    return found


def test_no_error_value_in_any_recalculated_workbook(office, recalculated):
    errors = {name: office.error_cells(path) for name, path in recalculated.items()}
    assert len(recalculated) == 2 * len(builtin_ids())
    assert {name: cells for name, cells in errors.items() if cells} == {}


@pytest.mark.parametrize("template_id", builtin_ids())
def test_example_values_equal_what_the_blueprint_states(template_id, recalculated):
    resolved = resolve(find_template(template_id).blueprint, "example", as_of=AS_OF)
    expected = expectations(resolved)
    with quiet_openpyxl():
        book = openpyxl.load_workbook(
            recalculated[f"{template_id}-example.xlsx"], data_only=True
        )
    wrong = [
        (e.what, e.value, book[e.sheet][e.cell].value)
        for e in expected
        if not e.agrees(book[e.sheet][e.cell].value)
    ]
    assert len(expected) >= 20, "an example should state its computed values"
    assert wrong == []


def test_every_file_converts_to_pdf(office, pdfs):
    assert len(pdfs) == 4 * len(builtin_ids()) + 1  # and the framework guide
    assert all(office.pdf_page_count(pdf) >= 1 for pdf in pdfs.values())


@pytest.mark.parametrize("template_id", builtin_ids())
def test_document_pages_have_the_blueprint_orientation(template_id, office, pdfs):
    page = find_template(template_id).blueprint.document.page
    for name in (f"{template_id}.docx", f"{template_id}-example.docx"):
        width, height = office.pdf_page_size(pdfs[name])
        assert (width > height) == (page.orientation == "landscape"), name
        short_side = min(width, height) / 72 * 25.4
        assert short_side == pytest.approx(210 if page.size == "A4" else 215.9, abs=1)


def test_pages_render_to_png(office, pdfs, tmp_path):
    for name, pdf in pdfs.items():
        pages = office.pdf_to_png(pdf, tmp_path / name, dpi=30)
        assert len(pages) == office.pdf_page_count(pdf)
        assert all(page.stat().st_size > 1000 for page in pages), name


# Templates whose design fixes a page count: the canvas fits one landscape page and
# the organizer has its vision on one page and its traction on the next.
DESIGNED_PAGES = {"north-star": 1, "eos-vto": 2}


@pytest.mark.parametrize("template_id", sorted(DESIGNED_PAGES))
def test_documents_have_the_page_count_their_design_intends(template_id, office, pdfs):
    for name in (f"{template_id}.docx", f"{template_id}-example.docx"):
        assert office.pdf_page_count(pdfs[name]) == DESIGNED_PAGES[template_id], name
