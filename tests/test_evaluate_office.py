"""Formula results computed in Python equal LibreOffice's, cell for cell."""

from __future__ import annotations

import datetime as dt
import math

import openpyxl
import pytest
from xlsxwriter.utility import xl_rowcol_to_cell

from evaluate_probe import COLUMN_CASES, FIELD_CASES, SAME, as_text, probe_blueprint
from office import ERROR_PREFIXES, quiet_openpyxl
from perftemplates.blueprint.load import builtin_ids
from perftemplates.blueprint.resolve import resolve
from perftemplates.evaluate import CellError, formula_values
from perftemplates.layout import plan
from perftemplates.templates import VARIANTS, Template, find_template, render

pytestmark = pytest.mark.office
# LibreOffice's TODAY() is the machine's date, so the build date must be too.
AS_OF = dt.date.today()
EPOCH = dt.datetime(1899, 12, 30)


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Template:
    path = tmp_path_factory.mktemp("probe") / "probe.yaml"
    path.write_text(as_text(probe_blueprint()), encoding="utf-8")
    return find_template(str(path))


@pytest.fixture(scope="module")
def recalculated(
    office, probe: Template, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, openpyxl.Workbook]:
    """Every built-in workbook in both variants and the probe, recalculated by
    LibreOffice in one run, opened for their stored results."""
    folder = tmp_path_factory.mktemp("workbooks")
    sources = []
    templates = [find_template(template_id) for template_id in builtin_ids()]
    for template in templates:
        for variant in VARIANTS:
            path = folder / f"{template.id}-{variant}.xlsx"
            path.write_bytes(render(template, variant, "xlsx", AS_OF))
            sources.append(path)
    sources.append(folder / "probe-example.xlsx")
    sources[-1].write_bytes(render(probe, "example", "xlsx", AS_OF))
    converted = office.recalculate(sources, tmp_path_factory.mktemp("recalculated"))
    with quiet_openpyxl():
        return {
            source.stem: openpyxl.load_workbook(copy, data_only=True)
            for source, copy in converted.items()
        }


@pytest.mark.parametrize("template_id", builtin_ids())
def test_every_formula_cell_equals_libreoffice(template_id, recalculated):
    mismatches = []
    for variant in VARIANTS:
        resolved = resolve(find_template(template_id).blueprint, variant, as_of=AS_OF)
        book = recalculated[f"{template_id}-{variant}"]
        for (sheet, row, col), ours in formula_values(resolved, plan(resolved)).items():
            theirs = book[sheet].cell(row + 1, col + 1).value
            if not same_result(ours, theirs):
                cell = xl_rowcol_to_cell(row, col)
                mismatches.append(f"{variant} {sheet}!{cell}: {ours!r} != {theirs!r}")
    assert mismatches == [], f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)


def test_probe_cases_equal_libreoffice_except_where_excel_differs(probe, recalculated):
    resolved = resolve(probe.blueprint, "example", as_of=AS_OF)
    layout = plan(resolved)
    ours = formula_values(resolved, layout)
    sheet = recalculated["probe-example"]["Data"]
    mismatches = []
    for index, case in enumerate(FIELD_CASES):
        place = layout.fields[f"case_{index:03d}"]
        wanted = ours[place.sheet, place.row, place.col]
        wanted = wanted if case.libreoffice is SAME else case.libreoffice
        theirs = sheet.cell(place.row + 1, place.col + 1).value
        if not same_result(wanted, theirs, exact_errors=True):
            mismatches.append(f"{case.formula}: {wanted!r} != {theirs!r}")
    table = layout.tables["t"]
    for index, case in enumerate(COLUMN_CASES):
        col = table.columns[f"row_{index:02d}"]
        for row in range(table.first_row, table.last_row + 1):
            wanted, theirs = ours["Data", row, col], sheet.cell(row + 1, col + 1).value
            if not same_result(wanted, theirs, exact_errors=True):
                mismatches.append(f"{case.formula} row {row}: {wanted!r} != {theirs!r}")
    assert mismatches == []


def same_result(ours: object, theirs: object, exact_errors: bool = False) -> bool:
    """Our value against what LibreOffice stored, read back with openpyxl."""
    if isinstance(theirs, dt.datetime):
        theirs = (theirs - EPOCH) / dt.timedelta(days=1)
    if isinstance(ours, CellError):
        if exact_errors:
            return theirs == ours.code
        return isinstance(theirs, str) and theirs.startswith(ERROR_PREFIXES)
    if theirs is None:
        return ours == ""  # LibreOffice's empty text can read back as an empty cell
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return type(ours) is type(theirs) and ours == theirs
    if isinstance(ours, int | float) and isinstance(theirs, int | float):
        return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)
    return ours == theirs
