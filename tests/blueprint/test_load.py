"""Loading blueprints: typed, cross-checked, every problem at its line at once."""

import datetime as dt

import pytest

from perftemplates.blueprint.load import builtin_ids, builtin_path, load_blueprint
from perftemplates.blueprint.resolve import resolve
from perftemplates.errors import BlueprintError, InputError

GAP_FORMULA = '"[target]-[actual]"'
GAP_COLUMN = "sheets[0].blocks[0].table.columns[4]"


def load_problems(path) -> list[str]:
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    return [str(problem) for problem in caught.value.problems]


def test_the_small_blueprint_loads(mini_text, write_blueprint):
    blueprint = load_blueprint(write_blueprint(mini_text))

    assert blueprint.id == "mini"
    assert [column.key for column in blueprint.sheets[0].blocks[0].table.columns] == [
        "name",
        "state",
        "target",
        "actual",
        "gap",
    ]


def test_the_builtin_okr_blueprint_loads():
    assert load_blueprint(builtin_path("okr")).id == "okr"


# Mistakes in the YAML itself


def test_duplicate_key_names_both_lines(mini_text, write_blueprint, locate):
    text = mini_text.replace(
        "{key: state, header: State,",
        "{key: state, header: State, header: Status,",
    )
    path = write_blueprint(text)
    line, column = locate(text, "header: Status")

    assert load_problems(path) == [
        f"{path}:{line}:{column}: sheets[0].blocks[0].table.columns[1]: "
        f"duplicate key 'header' (first on line {line}, again on line {line})"
    ]


def test_duplicate_top_level_key_names_both_lines(mini_text, write_blueprint):
    text = mini_text.replace("period: quarter\n", "period: quarter\ntitle: Again\n")
    path = write_blueprint(text)

    assert load_problems(path) == [
        f"{path}:5:1: duplicate key 'title' (first on line 2, again on line 5)"
    ]


def test_misspelt_key_suggests_the_right_one(mini_text, write_blueprint, locate):
    text = mini_text.replace("guide: One row", "giude: One row")
    path = write_blueprint(text)
    line, column = locate(text, "giude")

    assert load_problems(path) == [
        f"{path}:{line}:{column}: sheets[0].giude: "
        "unknown key 'giude'; did you mean 'guide'?"
    ]


def test_misspelt_key_inside_a_parameter_suggests_the_right_one(
    mini_text, write_blueprint, locate
):
    text = mini_text.replace("default: 4, min: 2", "defualt: 4, min: 2")
    path = write_blueprint(text)
    line, column = locate(text, "defualt")

    assert load_problems(path) == [
        f"{path}:{line}:{column}: parameters.goal_rows.defualt: "
        "unknown key 'defualt'; did you mean 'default'?"
    ]


def test_several_problems_in_one_file_are_reported_at_once(
    mini_text, write_blueprint, locate
):
    text = (
        mini_text.replace("summary: A small template for tests.\n", "")
        .replace("guide: One row", "giude: One row")
        .replace("rows: goal_rows\n", "rows: goal_rows\n          rows: 5\n")
        .replace("type: number, formula", "type: numbr, formula")
    )
    path = write_blueprint(text)
    giude = locate(text, "giude")
    rows = locate(text, "rows: 5")
    numbr = locate(text, "numbr")
    first_rows_line = locate(text, "rows: goal_rows")[0]

    assert load_problems(path) == [
        f"{path}:1:1: missing required key 'summary'",
        f"{path}:{giude[0]}:{giude[1]}: sheets[0].giude: "
        "unknown key 'giude'; did you mean 'guide'?",
        f"{path}:{rows[0]}:{rows[1]}: sheets[0].blocks[0].table: duplicate key "
        f"'rows' (first on line {first_rows_line}, again on line {rows[0]})",
        f"{path}:{numbr[0]}:{numbr[1]}: {GAP_COLUMN}.type: input should be 'text', "
        "'longtext', 'integer', 'number', 'percent', 'currency', 'date', 'choice' "
        "or 'yesno'; found 'numbr'",
    ]


def test_cross_reference_problems_are_reported_together(
    mini_text, write_blueprint, locate
):
    text = mini_text.replace(GAP_FORMULA, '"[target]-[actaul]"').replace(
        "table: goals", "table: gols"
    )
    path = write_blueprint(text)
    formula = locate(text, '"[target]-[actaul]"')
    section = locate(text, "gols")

    assert load_problems(path) == [
        f"{path}:{formula[0]}:{formula[1]}: {GAP_COLUMN}.formula: "
        "unknown column of goals 'actaul'; did you mean 'actual'?",
        f"{path}:{section[0]}:{section[1]}: document.sections[0].table: "
        "unknown table 'gols'; did you mean 'goals'?",
    ]


# Mistakes in formulas


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (
            '"[target]-[actaul]"',
            "unknown column of goals 'actaul'; did you mean 'actual'?",
        ),
        (
            '"[target]-limt"',
            "unknown setting or field 'limt'; did you mean 'limit'?",
        ),
        (
            '"[target]/SUM(gaols.target)"',
            "unknown table 'gaols'; did you mean 'goals'?",
        ),
        (
            '"[target]/SUM(goals.targte)"',
            "unknown column of goals 'targte'; did you mean 'target'?",
        ),
    ],
    ids=["column", "setting", "table", "table-column"],
)
def test_unknown_name_in_a_formula_suggests_the_nearest(
    mini_text, write_blueprint, locate, formula, message
):
    text = mini_text.replace(GAP_FORMULA, formula)
    path = write_blueprint(text)
    line, column = locate(text, formula)

    assert load_problems(path) == [
        f"{path}:{line}:{column}: {GAP_COLUMN}.formula: {message}"
    ]


def test_localized_formula_reports_every_problem_on_its_line(
    mini_text, write_blueprint, locate
):
    formula = '"=RUNDEN(SUMME(B2:C2);2)"'
    text = mini_text.replace(GAP_FORMULA, formula)
    path = write_blueprint(text)
    line, column = locate(text, formula)
    spot = f"{path}:{line}:{column}: {GAP_COLUMN}.formula"

    assert load_problems(path) == [
        f"{spot}: 'RUNDEN' is a localized function name; write ROUND",
        f"{spot}: 'SUMME' is a localized function name; write SUM",
        f"{spot}: 'B2:C2' is a cell address; refer to columns by key, like [target]",
        f"{spot}: ';' separates arguments only in some locales; use ','",
    ]


@pytest.mark.parametrize(
    ("function", "formula", "advice"),
    [
        ("XLOOKUP", '"XLOOKUP([name],goals.name,goals.target)"', "INDEX and MATCH"),
        ("IFS", '"IFS([target]>1,1,TRUE,0)"', "nested IF"),
        ("LET", '"LET(x,[target],x-[actual])"', "a setting or a helper column"),
        (
            "FILTER",
            '"SUM(FILTER(goals.target,goals.target>1))"',
            "SUMIF, COUNTIF or INDEX and MATCH",
        ),
    ],
)
def test_formula_with_a_function_not_everywhere_is_a_load_error(
    mini_text, write_blueprint, locate, function, formula, advice
):
    text = mini_text.replace(GAP_FORMULA, formula)
    path = write_blueprint(text)
    line, column = locate(text, formula)

    assert load_problems(path) == [
        f"{path}:{line}:{column}: {GAP_COLUMN}.formula: '{function}' is not "
        f"available in all of Excel 2016, LibreOffice 7 and Google Sheets; use {advice}"
    ]


def test_row_reference_outside_a_table_is_explained(mini_text, write_blueprint, locate):
    text = mini_text.replace(
        "  - {key: limit, label: Largest gap, type: number, default: 5, min: 0, "
        "max: 100}\n",
        '  - {key: limit, label: Largest gap, type: number, formula: "[gap]*2"}\n',
    )
    path = write_blueprint(text)
    line, column = locate(text, '"[gap]*2"')

    assert load_problems(path) == [
        f"{path}:{line}:{column}: settings[1].formula: [gap] means a cell in the "
        "same row, and this formula is not in a table; use table.column for a whole "
        "column"
    ]


# Example rows


def test_example_value_of_the_wrong_type_names_the_column(
    mini_text, write_blueprint, locate
):
    text = mini_text.replace("target: 10,", "target: ten,")
    path = write_blueprint(text)
    line, column = locate(text, "ten,")

    assert load_problems(path) == [
        f"{path}:{line}:{column}: sheets[0].blocks[0].table.example[0].target: "
        "target: expected a number; found 'ten'"
    ]


def test_example_row_with_a_misspelt_column_suggests_the_right_one(
    mini_text, write_blueprint, locate
):
    text = mini_text.replace("state: Open,", "stat: Open,")
    path = write_blueprint(text)
    line, column = locate(text, "stat: Open")

    assert load_problems(path) == [
        f"{path}:{line}:{column}: sheets[0].blocks[0].table.example[0].stat: "
        "unknown column of goals 'stat'; did you mean 'state'?"
    ]


def test_filter_on_a_misspelt_column_suggests_the_right_one(
    mini_text, write_blueprint, locate
):
    text = mini_text.replace(
        "      table: goals\n", "      table: goals\n      filter: {stat: Open}\n"
    )
    path = write_blueprint(text)
    line, column = locate(text, "stat: Open}")

    assert load_problems(path) == [
        f"{path}:{line}:{column}: document.sections[0].filter.stat: "
        "unknown column of goals 'stat'; did you mean 'state'?"
    ]


def test_filter_without_a_table_is_a_load_error(mini_text, write_blueprint, locate):
    text = mini_text.replace(
        "      fields: [country, limit]\n",
        "      fields: [country, limit]\n      filter: {state: Open}\n",
    )
    path = write_blueprint(text)
    line, column = locate(text, "{state: Open}")

    assert load_problems(path) == [
        f"{path}:{line}:{column}: document.sections[1].filter: "
        "filter needs a table to filter"
    ]


# Text is text


@pytest.mark.parametrize("written", ["NO", "01234", "+4412345", "1.10", "12:30"])
def test_text_field_keeps_the_literal_text(mini_text, write_blueprint, written):
    text = mini_text.replace("default: NO}", f"default: {written}}}").replace(
        "{name: Ship it,", f"{{name: {written},"
    )

    blueprint = load_blueprint(write_blueprint(text))
    resolved = resolve(blueprint, "example", as_of=dt.date(2026, 12, 3))

    assert blueprint.settings[0].default == written
    assert resolved.values["country"] == written
    assert resolved.rows(resolved.table("goals"))[0]["name"] == written


def test_number_column_reads_the_same_text_as_a_number(mini_text, write_blueprint):
    text = mini_text.replace("target: 10,", "target: 1.10,")

    resolved = resolve(load_blueprint(write_blueprint(text)), "example")

    assert resolved.rows(resolved.table("goals"))[0]["target"] == 1.1


# Sheet titles a spreadsheet program would refuse


@pytest.mark.parametrize("title", ["Goals/Plans", "Goals: Q3", "Goals?"])
def test_sheet_title_with_a_character_excel_forbids_is_a_load_error(
    mini_text, write_blueprint, locate, title
):
    text = mini_text.replace("title: Goals\n", f"title: '{title}'\n")
    path = write_blueprint(text)
    line, column = locate(text, f"'{title}'")

    (problem,) = load_problems(path)

    assert problem.startswith(f"{path}:{line}:{column}: sheets[0].title: ")
    assert title in problem


@pytest.mark.parametrize("title", ["Settings", "guide", "Lists"])
def test_sheet_title_taken_by_a_built_in_sheet_is_a_load_error(
    mini_text, write_blueprint, locate, title
):
    text = mini_text.replace("title: Goals\n", f"title: {title}\n")
    path = write_blueprint(text)
    line, column = locate(text, f"title: {title}\n")

    (problem,) = load_problems(path)

    assert problem.startswith(f"{path}:{line}:{column + 7}: sheets[0].title: ")
    assert title in problem


# Built-in templates by id


def test_builtin_ids_are_the_yaml_files_sorted(builtin_dir, mini_text):
    for name in ("zeta", "alpha"):
        (builtin_dir / f"{name}.yaml").write_text(mini_text, encoding="utf-8")
    (builtin_dir / "notes.txt").write_text("not a blueprint", encoding="utf-8")

    assert builtin_ids() == ["alpha", "zeta"]


def test_unknown_template_suggests_the_nearest_id(okr_only):
    with pytest.raises(InputError) as caught:
        builtin_path("okrr")

    assert str(caught.value) == "unknown template 'okrr'; did you mean 'okr'? " + (
        "Known: okr."
    )


def test_builtin_path_finds_the_file(okr_only):
    assert builtin_path("okr") == okr_only / "okr.yaml"
