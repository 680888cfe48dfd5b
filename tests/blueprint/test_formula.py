"""The formula language: parsing, portability checks and compiling to A1 formulas."""

import datetime as dt

import pytest

from perftemplates.blueprint import formula as fx
from perftemplates.blueprint.load import load_blueprint
from perftemplates.blueprint.resolve import resolve
from perftemplates.layout import plan

NOT_PORTABLE = "is not available in all of Excel 2016, LibreOffice 7 and Google Sheets"


def names_as_written(ref: fx.Ref) -> str:
    """An address function that writes references back in blueprint notation."""
    if isinstance(ref, fx.NameRef):
        return ref.name
    if isinstance(ref, fx.ColumnRef):
        return f"{ref.table}.{ref.key}"
    return f"[{ref.key}]" if ref.table is None else f"[{ref.table}.{ref.key}]"


def round_trip(text: str) -> str:
    return fx.to_excel(fx.parse(text), names_as_written)


def problems(text: str) -> list[str]:
    with pytest.raises(fx.FormulaError) as caught:
        fx.parse(text)
    return caught.value.messages


# Parsing and writing back


@pytest.mark.parametrize(
    ("written", "compiled"),
    [
        ("a-(b-c)", "a-(b-c)"),
        ("(a-b)-c", "a-b-c"),
        ("-(a+b)", "-(a+b)"),
        ("(a+b)*c", "(a+b)*c"),
        ("a+b*c", "a+b*c"),
        ("a/(b*c)", "a/(b*c)"),
        ("(a/b)/c", "a/b/c"),
        ("2^3^2", "2^3^2"),
        ("2^(3^2)", "2^(3^2)"),
        ("a&(b=c)", "a&(b=c)"),
        ("(a&b)=c", "a&b=c"),
        ("(a+b)%", "(a+b)%"),
        ('--(a<>"")', '--(a<>"")'),
        ("a>=b", "a>=b"),
    ],
)
def test_precedence_and_needed_parentheses_survive(written, compiled):
    assert round_trip(written) == compiled


def test_power_groups_from_the_left_as_spreadsheets_do():
    # Excel, LibreOffice and Google Sheets compute 2^3^2 as (2^3)^2 = 64.
    assert fx.parse("2^3^2") == fx.Binary(
        "^", fx.Binary("^", fx.Number(2), fx.Number(3)), fx.Number(2)
    )


def test_negation_binds_tighter_than_power_as_spreadsheets_do():
    # In a spreadsheet -2^2 is (-2)^2 = 4.
    assert fx.parse("-2^2") == fx.Binary("^", fx.Unary("-", fx.Number(2)), fx.Number(2))


def test_multiplication_binds_tighter_than_addition():
    assert fx.parse("1+2*3") == fx.Binary(
        "+", fx.Number(1), fx.Binary("*", fx.Number(2), fx.Number(3))
    )


def test_string_with_doubled_quotes_reads_as_one_quote_and_writes_back_doubled():
    tree = fx.parse('"say ""hi"""&a')

    assert tree.left == fx.Text('say "hi"')
    assert fx.to_excel(tree, names_as_written) == '"say ""hi"""&a'


def test_leading_equals_sign_and_spaces_are_ignored():
    assert round_trip("= SUM( a , b )") == "SUM(a,b)"


def test_function_names_are_written_in_capitals():
    assert round_trip("round(a,1)") == "ROUND(a,1)"


def test_function_without_arguments():
    assert fx.parse("TODAY()") == fx.Call("TODAY", ())


def test_booleans_and_numbers():
    assert fx.parse("true") == fx.Boolean(True)
    assert round_trip("1.50+FALSE") == "1.5+FALSE"
    assert fx.parse("9.99E+307") == fx.Number(9.99e307)


def test_references_of_each_kind():
    tree = fx.parse("IF([target]>0,goals.actual,[other.key]*limit)")

    assert fx.references(tree) == [
        fx.RowRef(None, "target"),
        fx.ColumnRef("goals", "actual"),
        fx.RowRef("other", "key"),
        fx.NameRef("limit"),
    ]


# Problems found while reading a formula


def test_localized_names_cell_address_and_semicolon_are_all_reported():
    assert problems("=RUNDEN(SUMME(B2:C2);2)") == [
        "'RUNDEN' is a localized function name; write ROUND",
        "'SUMME' is a localized function name; write SUM",
        "'B2:C2' is a cell address; refer to columns by key, like [target]",
        "';' separates arguments only in some locales; use ','",
    ]


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (
            "XLOOKUP([name],goals.name,goals.target)",
            f"'XLOOKUP' {NOT_PORTABLE}; use INDEX and MATCH",
        ),
        ("IFS([a]>1,1,TRUE,0)", f"'IFS' {NOT_PORTABLE}; use nested IF"),
        ("LET(x,1,x+1)", f"'LET' {NOT_PORTABLE}; use a setting or a helper column"),
        (
            "FILTER(goals.target,goals.target>1)",
            f"'FILTER' {NOT_PORTABLE}; use SUMIF, COUNTIF or INDEX and MATCH",
        ),
    ],
)
def test_function_missing_from_one_spreadsheet_program_is_refused(formula, message):
    assert problems(formula) == [message]


def test_unknown_function_is_refused():
    assert problems("FOO(1)") == ["unknown function 'FOO'"]


def test_semicolon_is_reported_once():
    assert problems("IF(a;b;c)") == [
        "';' separates arguments only in some locales; use ','"
    ]


def test_sheet_reference_is_refused():
    assert problems("Sheet1!A1") == [
        "'!' is not allowed; refer to columns by key, like [target]"
    ]


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("SUM(1,", "the formula ends too early"),
        ("(a+b", "the formula ends too early"),
        ("a b", "unexpected 'b'"),
        ("SUM(a b)", "expected ',' or ')' but found 'b'"),
        ("a # b", "unexpected character '#'"),
        ("*a", "unexpected '*'"),
    ],
)
def test_malformed_formula_says_what_went_wrong(formula, message):
    assert problems(formula) == [message]


# Compiling against the workbook layout

LAYOUT_BLUEPRINT = """\
id: layout
title: Layout
summary: Formulas compiled against the workbook layout.
parameters:
  weeks: {type: integer, default: 3, min: 1, max: 10}
settings:
  - {key: limit, label: Limit, type: number, default: 5}
sheets:
  - key: goals_sheet
    title: Goals
    guide: One row per goal.
    blocks:
      - table:
          key: goals
          rows: 4
          columns:
            - {key: name, header: Name}
            - {key: target, header: Target, type: number}
            - {key: actual, header: Actual, type: number}
            - {key: week, header: "W{{ n }}", type: number, repeat: weeks}
            - {key: total, header: Total, type: number, formula: "SUM([week])"}
  - key: review_sheet
    title: Team's review
    blocks:
      - table:
          key: review
          rows: 4
          columns:
            - {key: goal, header: Goal, formula: "[goals.name]"}
            - {key: share, header: Share, type: percent,
               formula: "[goals.target]/SUM(goals.target)"}
document:
  sections:
    - heading: Goals
      table: goals
"""
# Goals has a guide, so its header is on row 4 and its rows are 5 to 8; columns
# start at B: name B, target C, actual D, week_1..week_3 E..G, total H. The review
# sheet has no guide: header on row 3, rows 4 to 7.
GOALS_ROW_5 = 4  # zero-based row indexes, as the layout counts
REVIEW_ROW_4 = 3


@pytest.fixture
def layout():
    blueprint = load_blueprint("layout.yaml", LAYOUT_BLUEPRINT)
    return plan(resolve(blueprint, "blank", as_of=dt.date(2026, 12, 3)))


def test_layout_places_tables_where_the_sheets_show_them(layout):
    goals, review = layout.tables["goals"], layout.tables["review"]

    assert (goals.sheet, goals.header_row, goals.first_row, goals.last_row) == (
        "Goals",
        3,
        4,
        7,
    )
    assert goals.columns == {
        "name": 1,
        "target": 2,
        "actual": 3,
        "week_1": 4,
        "week_2": 5,
        "week_3": 6,
        "total": 7,
    }
    assert (review.sheet, review.first_row, review.last_row) == ("Team's review", 3, 6)


def test_row_reference_is_the_same_row_cell(layout):
    tree = fx.parse("[target]-[actual]")

    assert layout.compile(tree, "Goals", "goals", GOALS_ROW_5 + 1) == "$C6-$D6"


def test_repeated_group_is_the_row_span_of_its_columns(layout):
    tree = fx.parse("SUM([week])")

    assert layout.compile(tree, "Goals", "goals", GOALS_ROW_5) == "SUM($E5:$G5)"


def test_column_reference_on_the_same_sheet_is_an_absolute_range(layout):
    tree = fx.parse("SUM(goals.target)")

    assert layout.compile(tree, "Goals") == "SUM($C$5:$C$8)"


def test_column_reference_on_another_sheet_names_that_sheet(layout):
    tree = fx.parse("SUM(goals.target)")

    assert layout.compile(tree, "Team's review") == "SUM('Goals'!$C$5:$C$8)"


def test_sheet_name_with_an_apostrophe_is_quoted(layout):
    tree = fx.parse("COUNT(review.share)")

    assert layout.compile(tree, "Goals") == "COUNT('Team''s review'!$C$4:$C$7)"


def test_row_reference_into_another_table_maps_row_for_row(layout):
    tree = fx.parse("[goals.target]/SUM(goals.target)")

    assert (
        layout.compile(tree, "Team's review", "review", REVIEW_ROW_4)
        == "'Goals'!$C5/SUM('Goals'!$C$5:$C$8)"
    )


def test_repeated_group_of_another_table_names_its_sheet(layout):
    tree = fx.parse("MAX([goals.week])")

    assert (
        layout.compile(tree, "Team's review", "review", REVIEW_ROW_4 + 2)
        == "MAX('Goals'!$E7:$G7)"
    )


def test_setting_stays_a_defined_name(layout):
    tree = fx.parse("MIN([target],limit)")

    assert layout.compile(tree, "Goals", "goals", GOALS_ROW_5) == "MIN($C5,limit)"
    assert layout.fields["limit"].sheet == "Settings"
