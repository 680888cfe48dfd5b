"""Formula results computed in Python: semantics, built-in examples, speed."""

from __future__ import annotations

import datetime as dt
import io
import math
import time
from pathlib import Path

import openpyxl
import pytest
from xlsxwriter.utility import xl_cell_to_rowcol

from evaluate_probe import (
    AS_OF,
    COLUMN_CASES,
    FIELD_CASES,
    as_text,
    probe_blueprint,
    same_value,
)
from office import quiet_openpyxl
from perftemplates import evaluate
from perftemplates.blueprint import formula as fx
from perftemplates.blueprint.load import builtin_ids, load_blueprint
from perftemplates.blueprint.resolve import Resolved, resolve
from perftemplates.evaluate import (
    Array,
    CellError,
    CircularReferenceError,
    formula_values,
)
from perftemplates.expected import expectations
from perftemplates.layout import Layout, plan
from perftemplates.templates import find_template, render


def resolved_probe(blueprint: dict, folder: Path) -> Resolved:
    """The example variant of a probe blueprint (see evaluate_probe)."""
    path = folder / "probe.yaml"
    path.write_text(as_text(blueprint), encoding="utf-8")
    return resolve(load_blueprint(path), "example", as_of=AS_OF)


def blocks(blueprint: dict) -> list[dict]:
    return blueprint["sheets"][0]["blocks"]


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Layout]:
    """The probe workbook's formula results, and where its cells are."""
    resolved = resolved_probe(probe_blueprint(), tmp_path_factory.mktemp("probe"))
    layout = plan(resolved)
    return formula_values(resolved, layout), layout


@pytest.mark.parametrize(
    ("index", "case"),
    list(enumerate(FIELD_CASES)),
    ids=[c.formula for c in FIELD_CASES],
)
def test_formula_gives_what_excel_gives(probe, index, case):
    values, layout = probe
    place = layout.fields[f"case_{index:03d}"]
    found = values[place.sheet, place.row, place.col]
    assert same_value(found, case.expected), f"{case.formula} gave {found!r}"


@pytest.mark.parametrize(
    ("index", "case"),
    list(enumerate(COLUMN_CASES)),
    ids=[c.formula for c in COLUMN_CASES],
)
def test_row_formula_gives_what_excel_gives_in_every_row(probe, index, case):
    values, layout = probe
    place = layout.tables["t"]
    col = place.columns[f"row_{index:02d}"]
    rows = range(place.first_row, place.last_row + 1)
    found = [values[place.sheet, row, col] for row in rows]
    assert len(found) == len(case.expected)
    assert all(map(same_value, found, case.expected)), f"{case.formula}: {found}"


def test_every_portable_function_is_implemented_and_probed():
    implemented = set(evaluate.FUNCTIONS) | set(evaluate.SPECIAL)
    probed = set()
    for case in FIELD_CASES + COLUMN_CASES:
        probed |= set(called(fx.parse(case.formula)))
    assert implemented >= fx.PORTABLE_FUNCTIONS
    assert fx.PORTABLE_FUNCTIONS - probed == set()


def called(node: fx.Node) -> list[str]:
    if isinstance(node, fx.Call):
        return [node.name] + [name for arg in node.args for name in called(arg)]
    if isinstance(node, fx.Unary | fx.Percent):
        return called(node.operand)
    if isinstance(node, fx.Binary):
        return called(node.left) + called(node.right)
    return []


# Results as a workbook stores them


def test_whole_numbers_are_ints_and_dates_are_serials(probe):
    values, layout = probe
    today = layout.fields[f"case_{formula_index('TODAY()'):03d}"]
    assert values[today.sheet, today.row, today.col] == 46359
    assert type(values[today.sheet, today.row, today.col]) is int


def formula_index(formula: str) -> int:
    return next(i for i, case in enumerate(FIELD_CASES) if case.formula == formula)


def test_checks_say_met_or_not(tmp_path):
    blueprint = probe_blueprint()
    checks = [
        {"when": "COUNT(t.n)>3", "message": "More than three numbers"},
        {"when": "COUNT(t.n)>9", "message": "More than nine numbers"},
    ]
    blocks(blueprint).append({"heading": "Checks", "checks": checks})
    resolved = resolved_probe(blueprint, tmp_path)
    layout = plan(resolved)
    values = formula_values(resolved, layout)
    row = layout.block_row(resolved.blueprint.sheets[0].blocks[-1]) + 1
    assert values["Data", row, 2] == "⚠ Not met"
    assert values["Data", row + 1, 2] == "✓ Met"


def test_a_label_column_is_text_also_past_its_labels(tmp_path):
    blueprint = probe_blueprint()
    columns = blocks(blueprint)[0]["table"]["columns"]
    columns.insert(0, {"key": "label", "header": "L", "values": ["1", "Two"]})
    columns.append(
        {"key": "kind", "header": "K", "type": "text", "formula": "ISTEXT([label])"}
    )
    resolved = resolved_probe(blueprint, tmp_path)
    layout = plan(resolved)
    values = formula_values(resolved, layout)
    place = layout.tables["t"]
    rows = range(place.first_row, place.first_row + 3)
    found = [values["Data", row, place.columns["kind"]] for row in rows]
    assert found == [True, True, True]


def test_a_circular_reference_names_its_cells(tmp_path):
    blueprint = probe_blueprint()
    fields = blocks(blueprint)[1]["fields"]
    fields[0]["formula"] = "case_001+1"
    fields[1]["formula"] = "case_000*2"
    resolved = resolved_probe(blueprint, tmp_path)
    layout = plan(resolved)
    first, second = layout.fields["case_000"], layout.fields["case_001"]
    with pytest.raises(CircularReferenceError) as caught:
        formula_values(resolved, layout)
    assert str(caught.value) == (
        f"circular reference: 'Data'!C{first.row + 1} -> 'Data'!C{second.row + 1}"
        f" -> 'Data'!C{first.row + 1}"
    )


def test_a_call_with_the_wrong_number_of_arguments_is_named():
    with pytest.raises(fx.FormulaError, match="ROUND takes 2 arguments; found 1"):
        evaluate._compile(fx.parse("ROUND(1)"), False)


def test_index_and_vlookup_on_two_dimensional_arrays():
    # Blueprints only reach one column or one row; arrays can be wider.
    table = Array(3, 2, [1.0, "one", 2.0, "two", 4.0, "four"])
    assert evaluate._index(table, 2.0, 2.0) == "two"
    assert evaluate._index(table, 0.0, 1.0).items == [1.0, 2.0, 4.0]
    with pytest.raises(evaluate._Failure):
        evaluate._index(table, 2.0)  # one index into a 2-D range
    assert evaluate._vlookup(3.0, table, 2.0) == "two"
    assert evaluate._vlookup(4.0, table, 2.0, False) == "four"


def test_unsupported_text_format_stores_no_value():
    assert evaluate._formatter("0;(0)") is None
    with pytest.raises(evaluate._Failure):
        evaluate._text_function(1.0, "0;(0)")


# The built-in blueprints


@pytest.mark.parametrize("template_id", builtin_ids())
def test_builtin_example_values_are_what_the_blueprint_states(template_id):
    resolved = resolve(find_template(template_id).blueprint, "example", as_of=AS_OF)
    layout = plan(resolved)
    values = formula_values(resolved, layout)
    wrong = []
    for expectation in expectations(resolved, layout):
        row, col = xl_cell_to_rowcol(expectation.cell)
        found = values[expectation.sheet, row, col]
        if not stated_value_matches(expectation.value, found):
            wrong.append((expectation.what, expectation.value, found))
    assert wrong == []


def stated_value_matches(wanted: object, found: object) -> bool:
    """As the blueprints state values: numbers to about six significant digits."""
    if isinstance(wanted, dt.date):
        wanted = (wanted - dt.date(1899, 12, 30)).days
    if isinstance(wanted, int | float) and not isinstance(wanted, bool):
        return isinstance(found, int | float) and math.isclose(
            found, wanted, rel_tol=1e-6, abs_tol=5e-7
        )
    return str(found) == str(wanted)


@pytest.mark.parametrize("template_id", builtin_ids())
@pytest.mark.parametrize("variant", ["blank", "example"])
def test_builtin_workbooks_compute_no_error_value(template_id, variant):
    resolved = resolve(find_template(template_id).blueprint, variant, as_of=AS_OF)
    values = formula_values(resolved, plan(resolved))
    assert {key: v for key, v in values.items() if isinstance(v, CellError)} == {}


def test_okr_workbook_computes_in_milliseconds():
    # Measured about 2 ms (blank) and 4 ms (example); a generous bound for slow CI.
    resolved = resolve(find_template("okr").blueprint, "example", as_of=AS_OF)
    layout = plan(resolved)
    formula_values(resolved, layout)
    start = time.perf_counter()
    for _ in range(10):
        formula_values(resolved, layout)
    assert (time.perf_counter() - start) / 10 < 0.05


@pytest.mark.parametrize("template_id", builtin_ids())
def test_every_formula_the_renderer_writes_has_a_result(template_id):
    template = find_template(template_id)
    resolved = resolve(template.blueprint, "example", as_of=AS_OF)
    computed = set(formula_values(resolved, plan(resolved)))
    data = render(template, "example", "xlsx", AS_OF)
    with quiet_openpyxl():
        book = openpyxl.load_workbook(io.BytesIO(data))
    written = {
        (sheet.title, cell.row - 1, cell.column - 1)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    }
    assert computed == written
