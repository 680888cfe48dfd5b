"""The example company (examples/northwind): its profile, overrides and pack."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import subprocess
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pytest
from PIL import Image

from office import quiet_openpyxl
from perftemplates.blueprint.load import builtin_ids
from perftemplates.blueprint.resolve import Resolved, resolve
from perftemplates.cli import main
from perftemplates.company import load_company
from perftemplates.expected import expectations
from perftemplates.layout import plan
from perftemplates.templates import Template, pack_templates

NORTHWIND = Path(__file__).resolve().parent.parent / "examples" / "northwind"
PROFILE = NORTHWIND / "company.yaml"
OVERRIDES = NORTHWIND / "blueprints"
OVERRIDDEN = ["balanced-scorecard", "mbo", "okr"]
AS_OF = dt.date(2026, 12, 3)
COMPANY = "Northwind Regional Services Agency"
PERSPECTIVES = [
    "Citizens and service users",
    "Stewardship of public funds",
    "Service delivery",
    "Partnerships",
    "People and learning",
]


@pytest.fixture(scope="module")
def brand():
    return load_company(PROFILE).brand()


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return {template.id: template for template in pack_templates(OVERRIDES)}


def resolved_example(templates, brand, template_id: str) -> Resolved:
    return resolve(
        templates[template_id].blueprint, "example", as_of=AS_OF, brand=brand
    )


def field_cell(book, resolved: Resolved, key: str):
    place = plan(resolved).fields[key]
    return book[place.sheet].cell(place.row + 1, place.col + 1).value


def column_cells(book, resolved: Resolved, table: str, key: str) -> list:
    place = plan(resolved).tables[table]
    sheet = book[place.sheet]
    col = place.columns[key] + 1
    return [
        sheet.cell(row + 1, col).value
        for row in range(place.first_row, place.last_row + 1)
    ]


def pack_cli(out: Path) -> None:
    main(
        ["pack", "--company", str(PROFILE), "--blueprints", str(OVERRIDES)]
        + ["--out", str(out), "--as-of", AS_OF.isoformat()]
    )


# The profile and the overrides, checked without an office suite


def test_profile_and_overrides_validate(run):
    files = [str(OVERRIDES / f"{name}.yaml") for name in OVERRIDDEN]

    code, stdout, stderr = run("validate", "--company", str(PROFILE), *files)

    assert (code, stderr) == (0, "")
    assert stdout.splitlines() == [f"{PROFILE}: OK"] + [f"{f}: OK" for f in files]


def test_profile_is_a_public_agency_in_euros_from_july():
    profile = load_company(PROFILE)

    assert profile.name == COMPANY
    assert (profile.fiscal_year_start, profile.currency) == (7, "EUR")
    assert (profile.date_format, profile.page_size) == ("dd/mm/yyyy", "A4")
    assert 6 <= len(profile.people) <= 10
    assert profile.logo.stat().st_size < 20 * 1024
    with Image.open(profile.logo) as logo:
        assert logo.format == "PNG"


def test_pack_replaces_the_three_built_ins_and_keeps_the_rest(run, tmp_path):
    out = tmp_path / "pack"

    code, _, stderr = run(
        "pack",
        *("--company", str(PROFILE), "--blueprints", str(OVERRIDES)),
        *("--out", str(out), "--as-of", AS_OF.isoformat()),
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    with quiet_openpyxl():
        titles = {
            name: openpyxl.load_workbook(out / f"{name}.xlsx")["Guide"]["B1"].value
            for name in ("okr", "mbo", "balanced-scorecard", "kpi-dashboard")
        }

    assert code == 0, stderr
    assert len(manifest["files"]) == 4 * len(builtin_ids()) + 1
    assert sorted({e["template"] for e in manifest["files"]}) == sorted(
        [*builtin_ids(), "guide"]
    )
    assert (out / "perftemplates-pack.zip").is_file()
    assert titles == {
        "okr": f"{COMPANY}: Quarterly OKRs",
        "mbo": f"{COMPANY}: Performance award agreement",
        "balanced-scorecard": f"{COMPANY}: Agency scorecard",
        "kpi-dashboard": f"{COMPANY}: KPI dashboard",
    }


def test_okr_checks_in_for_twelve_weeks_with_four_objectives(templates, brand):
    resolved = resolved_example(templates, brand, "okr")
    objectives = resolved.rows(resolved.table("objectives"))

    assert resolved.groups["checkins", "week"] == [f"week_{n}" for n in range(1, 13)]
    assert [c.header for c in resolved.table("checkins").columns][1:14] == [
        *(f"W{n}" for n in range(1, 13)),
        "Latest",
    ]
    assert [row["id"] for row in objectives] == ["O1", "O2", "O3", "O4"]
    assert (resolved.values["grade_red"], resolved.values["grade_green"]) == (0.3, 0.6)
    assert resolved.period_label == "FY2027 Q1"


@pytest.mark.parametrize("variant", ["blank", "example"])
def test_scorecard_has_five_perspectives_weighted_to_100(variant, templates, brand):
    blueprint = templates["balanced-scorecard"].blueprint
    resolved = resolve(blueprint, variant, as_of=AS_OF, brand=brand)
    rows = resolved.rows(resolved.table("perspectives"))
    sections = [s.heading for s in blueprint.document.sections if s.level == 2]
    tables = [s.table for s in blueprint.document.sections if s.level == 2]

    assert [row["name"] for row in rows] == PERSPECTIVES
    assert math.isclose(sum(row["weight"] for row in rows), 1)
    assert sections[:5] == PERSPECTIVES
    assert tables[:5] == ["by_p1", "by_p2", "by_p3", "by_p4", "by_p5"]


def test_mbo_pays_in_steps_up_to_200_percent(templates, brand):
    resolved = resolved_example(templates, brand, "mbo")
    curve = resolved.rows(resolved.table("payout_curve"))

    assert resolved.values["curve_shape"] == "Stepped"
    assert resolved.values["achievement_cap"] == 2
    assert [row["attainment"] for row in curve] == [0.8, 0.9, 1, 1.2, 1.5, 2]
    assert [row["payout"] for row in curve] == [0.5, 0.75, 1, 1.4, 1.7, 2]
    assert resolved.table("what_if").rows == 21


@pytest.mark.parametrize("template_id", OVERRIDDEN)
def test_override_documents_carry_the_logo_and_the_name(template_id, templates, brand):
    from perftemplates.templates import render

    data = render(templates[template_id], "example", "docx", AS_OF, brand=brand)
    header = docx.Document(io.BytesIO(data)).sections[0].header

    assert len(header._element.xpath(".//wp:inline")) == 1
    assert COMPANY in header.paragraphs[0].text


# The pack in LibreOffice: recalculated, stated values checked, printed to PDF


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("northwind-pack")
    pack_cli(out)
    return out


@pytest.fixture(scope="module")
def recalculated(office, pack_dir, tmp_path_factory) -> dict[str, Path]:
    converted = office.recalculate(
        sorted(pack_dir.glob("*.xlsx")), tmp_path_factory.mktemp("northwind-recalc")
    )
    return {source.name: copy for source, copy in converted.items()}


@pytest.fixture(scope="module")
def books(recalculated) -> Callable[[str], openpyxl.Workbook]:
    cache: dict[str, openpyxl.Workbook] = {}

    def open_book(name: str) -> openpyxl.Workbook:
        if name not in cache:
            with quiet_openpyxl():
                cache[name] = openpyxl.load_workbook(recalculated[name], data_only=True)
        return cache[name]

    return open_book


def _wrong(template_id, templates, brand, books) -> tuple[int, list]:
    resolved = resolved_example(templates, brand, template_id)
    book = books(f"{template_id}-example.xlsx")
    expected = expectations(resolved)
    wrong = [
        (e.what, e.value, book[e.sheet][e.cell].value)
        for e in expected
        if not e.agrees(book[e.sheet][e.cell].value)
    ]
    return len(expected), wrong


@pytest.mark.office
def test_no_error_value_in_any_workbook_of_the_pack(office, recalculated):
    errors = {name: office.error_cells(path) for name, path in recalculated.items()}

    assert len(recalculated) == 2 * len(builtin_ids())
    assert {name: cells for name, cells in errors.items() if cells} == {}


@pytest.mark.office
@pytest.mark.parametrize(
    ("template_id", "at_least"),
    [("okr", 120), ("mbo", 130), ("balanced-scorecard", 340)],
)
def test_override_example_computes_its_stated_values(
    template_id, at_least, templates, brand, books
):
    count, wrong = _wrong(template_id, templates, brand, books)

    assert count >= at_least
    assert wrong == []


@pytest.mark.office
@pytest.mark.parametrize(
    "template_id", [i for i in builtin_ids() if i not in OVERRIDDEN]
)
def test_built_in_example_keeps_its_stated_values_in_the_company_pack(
    template_id, templates, brand, books
):
    count, wrong = _wrong(template_id, templates, brand, books)

    assert count >= 20
    assert wrong == []


@pytest.mark.office
def test_stepped_payout_pays_the_step_reached(templates, brand, books):
    resolved = resolved_example(templates, brand, "mbo")
    book = books("mbo-example.xlsx")
    what_if = dict(
        zip(
            column_cells(book, resolved, "what_if", "attainment"),
            column_cells(book, resolved, "what_if", "payout"),
            strict=True,
        )
    )
    result = {
        key: field_cell(book, resolved, key)
        for key in ("total_achievement", "curve_segment", "payout_pct", "bonus_amount")
    }

    # A straight line between the 100 % and 120 % points would pay 137 %.
    assert result == {
        "total_achievement": pytest.approx(1.185),
        "curve_segment": 3,
        "payout_pct": pytest.approx(1.0),
        "bonus_amount": pytest.approx(5440),
    }
    steps = {0.7: 0, 0.8: 0.5, 1.1: 1.0, 1.3: 1.4, 1.9: 1.7, 2.0: 2.0}
    assert {a: pytest.approx(what_if[a]) for a in steps} == steps


@pytest.mark.office
def test_overall_score_weighs_all_five_perspectives(templates, brand, books):
    resolved = resolved_example(templates, brand, "balanced-scorecard")
    book = books("balanced-scorecard-example.xlsx")
    names = column_cells(book, resolved, "perspectives", "name")[:5]
    scores = column_cells(book, resolved, "perspectives", "score")[:5]
    weights = column_cells(book, resolved, "perspectives", "weight")[:5]
    four = [
        (score, weight)
        for name, score, weight in zip(names, scores, weights, strict=True)
        if name != "Partnerships"
    ]

    assert names == PERSPECTIVES
    assert scores == pytest.approx([0.875, 0.8, 0.5, 2 / 3, 0.85])
    assert field_cell(book, resolved, "overall_score") == pytest.approx(0.75)
    assert field_cell(book, resolved, "overall_status") == "Amber"
    # Without the fifth perspective the same scores would give 76.5 %.
    assert sum(s * w for s, w in four) / sum(w for _, w in four) == pytest.approx(
        0.764706, abs=1e-6
    )


@pytest.mark.office
def test_okr_grades_with_the_agency_bands_over_twelve_weeks(templates, brand, books):
    resolved = resolved_example(templates, brand, "okr")
    book = books("okr-example.xlsx")
    place = plan(resolved).tables["checkins"]
    header_row = book[place.sheet].iter_rows(
        min_row=place.header_row + 1, max_row=place.header_row + 1, values_only=True
    )
    headers = [value for value in next(header_row) if value is not None]

    assert headers == [
        "Key result",
        *(f"W{n}" for n in range(1, 13)),
        "Latest",
        "Last week",
    ]
    assert column_cells(book, resolved, "objectives", "grade")[:4] == pytest.approx(
        [0.6, 0.5, 0.2, 0.6]
    )
    assert column_cells(book, resolved, "objectives", "status")[:4] == [
        "Green",
        "Amber",
        "Red",
        "Green",
    ]
    assert field_cell(book, resolved, "expected_progress") == pytest.approx(57 / 92)


@pytest.fixture(scope="module")
def document_pdfs(office, pack_dir, tmp_path_factory) -> dict[str, Path]:
    converted = office.to_pdf(
        sorted(pack_dir.glob("*.docx")), tmp_path_factory.mktemp("northwind-pdf")
    )
    return {source.name: pdf for source, pdf in converted.items()}


@pytest.mark.office
def test_documents_print_on_a4_with_the_company_name(office, document_pdfs):
    texts = {
        name: subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        for name, pdf in document_pdfs.items()
    }
    short_sides = {
        name: round(min(office.pdf_page_size(pdf)) / 72 * 25.4)
        for name, pdf in document_pdfs.items()
    }

    assert len(document_pdfs) == 2 * len(builtin_ids()) + 1
    assert all(office.pdf_page_count(pdf) >= 1 for pdf in document_pdfs.values())
    assert set(short_sides.values()) == {210}
    assert [name for name, text in texts.items() if COMPANY not in text] == []
    assert "Stewardship of public funds" in texts["balanced-scorecard-example.docx"]
    assert "Partnerships" in texts["balanced-scorecard.docx"]
