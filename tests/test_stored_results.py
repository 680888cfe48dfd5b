"""Workbooks read right before anyone recalculates: every formula stores its result.

Checked the way previews and scripts see files: the stored results against
LibreOffice's own recalculation, LibreOffice without recalculation (its default for
.xlsx) exported to CSV, and openpyxl with data_only=True.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from pathlib import Path

import openpyxl
import pytest

from office import quiet_openpyxl
from perftemplates.blueprint.load import builtin_ids
from perftemplates.blueprint.resolve import resolve
from perftemplates.company import load_company
from perftemplates.expected import expectations
from perftemplates.render.stamp import Stamper
from perftemplates.templates import (
    VARIANTS,
    Template,
    find_template,
    pack_templates,
    render,
)

ROOT = Path(__file__).resolve().parent.parent
NORTHWIND = ROOT / "examples" / "northwind"
# LibreOffice's TODAY() is the machine's date, so the build date must be too.
TODAY = dt.date.today()
EPOCH = dt.datetime(1899, 12, 30)


def northwind() -> list[Template]:
    """The example company's own templates: its three overrides."""
    folder = NORTHWIND / "blueprints"
    own = {path.stem for path in folder.glob("*.yaml")}
    return [
        t
        for t in pack_templates(folder)
        if t.path.parent == folder and t.path.stem in own
    ]


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, tuple[Path, object]]:
    """Every built-in workbook in both variants, and the example company's."""
    folder = tmp_path_factory.mktemp("stored")
    brand = load_company(NORTHWIND / "company.yaml").brand()
    made = {}
    jobs = [(find_template(i), None, i) for i in builtin_ids()]
    jobs += [(t, brand, f"northwind-{t.id}") for t in northwind()]
    for template, company, name in jobs:
        for variant in VARIANTS:
            path = folder / f"{name}-{variant}.xlsx"
            path.write_bytes(render(template, variant, "xlsx", TODAY, brand=company))
            made[path.stem] = (
                path,
                resolve(template.blueprint, variant, as_of=TODAY, brand=company),
            )
    return made | _stamped_trackers(folder)


def _stamped_trackers(folder: Path) -> dict[str, tuple[Path, object]]:
    """MBO trackers whose salary and bonus percent batch stamped into them."""
    template, stamper = find_template("mbo"), Stamper()
    pay = [("50000", "0.1"), ("61250.5", "0.125"), ("0", "2"), ("1e6", "0.075")]
    made = {}
    for variant in VARIANTS:
        for n, (salary, bonus) in enumerate(pay):
            row = {
                "employee": f"E{n}",
                "base_salary": salary,
                "target_bonus_pct": bonus,
            }
            path = folder / f"stamped-mbo-{n}-{variant}-pay.xlsx"
            path.write_bytes(stamper.render(template, variant, "xlsx", TODAY, row))
            made[path.stem] = (path, None)
    # The first row of each variant is rendered in full; the others are stamped.
    assert stamper.stamped == 2 * (len(pay) - 1)
    return made


def _stored(path: Path) -> tuple[openpyxl.Workbook, openpyxl.Workbook]:
    with quiet_openpyxl():
        return (
            openpyxl.load_workbook(path),
            openpyxl.load_workbook(path, data_only=True),
        )


def _formula_cells(formulas: openpyxl.Workbook):
    for sheet in formulas.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    yield sheet.title, cell.coordinate


def _same(stored: object, computed: object) -> bool:
    if isinstance(stored, dt.datetime):
        stored = (stored - EPOCH).days
    if isinstance(computed, dt.datetime):
        computed = (computed - EPOCH).days
    if stored in (None, "") and computed in (None, ""):
        return True
    numbers = (int, float)
    if isinstance(stored, numbers) and isinstance(computed, numbers):
        return math.isclose(stored, computed, rel_tol=1e-9, abs_tol=1e-12)
    return stored == computed


@pytest.mark.office
def test_stored_results_equal_libreoffice_recalculation(office, workbooks, tmp_path):
    sources = [path for path, _ in workbooks.values()]
    converted = office.recalculate(sources, tmp_path)
    checked, wrong = 0, []
    for source, copy in converted.items():
        formulas, stored = _stored(source)
        with quiet_openpyxl():
            recalculated = openpyxl.load_workbook(copy, data_only=True)
        for sheet, cell in _formula_cells(formulas):
            ours, theirs = stored[sheet][cell].value, recalculated[sheet][cell].value
            checked += 1
            if not _same(ours, theirs):
                wrong.append(f"{source.stem} {sheet}!{cell}: {ours!r} != {theirs!r}")
    assert checked > 5000
    assert wrong == []


@pytest.mark.parametrize("name", [*builtin_ids(), "northwind"])
def test_openpyxl_data_only_reads_the_stated_example_values(name, workbooks):
    stems = [
        s
        for s in workbooks
        if s.endswith("-example")
        and (
            s.startswith("northwind-")
            if name == "northwind"
            else s == f"{name}-example"
        )
    ]
    for stem in stems:
        path, resolved = workbooks[stem]
        _, stored = _stored(path)
        wanted = expectations(resolved)
        wrong = [
            (e.what, e.value, stored[e.sheet][e.cell].value)
            for e in wanted
            if not e.agrees(stored[e.sheet][e.cell].value)
        ]
        assert len(wanted) >= 20
        assert wrong == [], stem


@pytest.mark.office
def test_libreoffice_without_recalculation_shows_the_stated_numbers(
    office, workbooks, tmp_path
):
    checked = 0
    for stem in (
        "okr-example",
        "mbo-example",
        "balanced-scorecard-example",
        "4dx-example",
        "northwind-mbo-example",
    ):
        path, resolved = workbooks[stem]
        sheets = office.to_csv(path, tmp_path / stem, recalc=False)
        grids = {name: _read_csv(file) for name, file in sheets.items()}
        for expectation in expectations(resolved):
            shown = _csv_cell(grids[expectation.sheet], expectation.cell)
            assert _shows(shown, expectation.value), (stem, expectation, shown)
            checked += 1
    assert checked > 300


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def _csv_cell(grid: list[list[str]], cell: str) -> str:
    letters, digits = re.match(r"([A-Z]+)(\d+)", cell).groups()
    col = 0
    for letter in letters:
        col = col * 26 + ord(letter) - 64
    row = grid[int(digits) - 1] if int(digits) <= len(grid) else []
    return row[col - 1] if col <= len(row) else ""


def _shows(text: str, value: object) -> bool:
    """Does the formatted text show `value`, to the decimals it displays?"""
    if isinstance(value, dt.date) or not isinstance(value, int | float):
        return isinstance(value, dt.date) or text == str(value)
    number = re.sub(r"[^0-9.\-]", "", text.replace(",", ""))
    if not number or number in ("-", "."):
        return False
    shown = float(number) / (100 if text.strip().endswith("%") else 1)
    decimals = len(number.split(".")[1]) if "." in number else 0
    scale = 100 if text.strip().endswith("%") else 1
    rounded = abs(shown - value) <= 0.5 * 10**-decimals / scale + 1e-9
    # Blueprints state results to about six decimals, as Expectation.agrees allows.
    return rounded or math.isclose(shown, value, rel_tol=1e-6, abs_tol=5e-7)
