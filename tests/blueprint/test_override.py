"""Overrides: `extends:` a blueprint and change only what differs, by key."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from perftemplates.blueprint.load import builtin_ids, load_blueprint
from perftemplates.blueprint.resolve import resolve
from perftemplates.errors import BlueprintError

AS_OF = dt.date(2026, 12, 3)

BASE = """\
id: base
title: Base plan
summary: A base for overrides.
period: quarter
parameters:
  goal_rows: {type: integer, label: Rows for goals, default: 4, min: 2, max: 10}
settings:
  - {key: limit, label: Largest gap, type: number, default: 5, min: 0, max: 100}
sheets:
  - key: goals_sheet
    title: Goals
    guide: One row per goal.
    blocks:
      - table:
          key: goals
          rows: goal_rows
          columns:
            - {key: name, header: Name, type: text, width: 20}
            - {key: state, header: State, type: choice, choices: [Open, Done]}
            - {key: target, header: Target, type: number}
            - {key: actual, header: Actual, type: number}
            - {key: gap, header: Gap, type: number, formula: "[target]-[actual]",
               status: [{when: "[gap]>limit", colour: red}]}
            - {key: note, header: Note, type: longtext}
          example:
            - {name: Ship it, state: Open, target: 10, actual: 4, gap: 6, note: Late}
      - heading: Totals
        fields:
          - {key: total_gap, label: Total gap, type: number,
             formula: "SUM(goals.gap)", example: 6}
      - heading: Checks
        checks:
          - {when: "COUNTIF(goals.state,\\"Open\\")>3", message: At most three open}
document:
  sections:
    - heading: Goals
      table: goals
      columns: [name, state, target, actual, gap, note]
    - heading: Details
      fields: [limit]
"""


@pytest.fixture
def override(tmp_path: Path) -> Callable[[str], Path]:
    """Write `base.yaml` and an override of it (text after `extends: base.yaml`)."""
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")

    def write(text: str, name: str = "ours.yaml") -> Path:
        path = tmp_path / name
        path.write_text("extends: base.yaml\n" + text, encoding="utf-8")
        return path

    return write


def keys(blueprint, table: str = "goals") -> list[str]:
    found = next(
        block.table
        for sheet in blueprint.sheets
        for block in sheet.blocks
        if block.table is not None and block.table.key == table
    )
    return [column.key for column in found.columns]


def goals_table(blueprint):
    return blueprint.sheets[0].blocks[0].table


def problem_text(path: Path) -> str:
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    return str(caught.value)


# Merge rules


def test_setting_default_changes_and_the_rest_of_the_setting_stays(override):
    path = override("settings:\n  - {key: limit, default: 9}\n")

    blueprint = load_blueprint(path)
    resolved = resolve(blueprint, "blank", as_of=AS_OF)

    assert blueprint.settings[0].label == "Largest gap"
    assert (blueprint.settings[0].min, blueprint.settings[0].max) == (0, 100)
    assert resolved.values["limit"] == 9


def test_renamed_column_keeps_its_formula_and_status(override):
    path = override(
        "tables:\n  goals:\n    columns:\n      - {key: gap, header: Short}\n"
    )

    gap = goals_table(load_blueprint(path)).columns[4]

    assert (gap.key, gap.header, gap.formula) == ("gap", "Short", "[target]-[actual]")
    assert [fill.when for fill in gap.status] == ["[gap]>limit"]


def test_column_added_after_another(override):
    path = override(
        "tables:\n  goals:\n    columns:\n"
        "      - {key: owner, header: Owner, type: text, after: name}\n"
    )

    assert keys(load_blueprint(path)) == [
        "name",
        "owner",
        "state",
        "target",
        "actual",
        "gap",
        "note",
    ]


def test_removed_column_takes_its_example_values_and_document_columns(override):
    path = override(
        "tables:\n  goals:\n    columns:\n      - {key: note, remove: true}\n"
    )

    blueprint = load_blueprint(path)

    assert keys(blueprint) == ["name", "state", "target", "actual", "gap"]
    assert goals_table(blueprint).example == [
        {"name": "Ship it", "state": "Open", "target": "10", "actual": "4", "gap": "6"}
    ]
    assert blueprint.document.sections[0].columns == [
        "name",
        "state",
        "target",
        "actual",
        "gap",
    ]


def test_before_and_after_reorder_existing_columns(override):
    path = override(
        "tables:\n  goals:\n    columns:\n"
        "      - {key: actual, before: target}\n"
        "      - {key: name, after: note}\n"
    )

    assert keys(load_blueprint(path)) == [
        "state",
        "actual",
        "target",
        "gap",
        "note",
        "name",
    ]


def test_new_setting_is_a_defined_name_formulas_can_use(override, read_workbook):
    from perftemplates.templates import find_template, render

    path = override(
        "settings:\n"
        "  - {key: stretch, label: Stretch factor, type: number, default: 1.5}\n"
        "tables:\n  goals:\n    columns:\n"
        "      - {key: stretch_target, header: Stretch target, type: number,\n"
        '         formula: "[target]*stretch", after: target}\n'
        "    example:\n"
        "      - {name: Ship it, target: 10, actual: 4, stretch_target: 15, gap: 6}\n"
    )

    template = find_template(str(path))
    book = read_workbook(render(template, "example", "xlsx", AS_OF))
    formulas = [
        cell.value
        for row in book["Goals"].iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "stretch" in cell.value
    ]

    assert [s.key for s in template.blueprint.settings] == ["limit", "stretch"]
    assert "stretch" in book.defined_names
    assert formulas[0] == "=$D5*stretch"
    assert len(formulas) == 4  # one per row of the table


def test_example_rows_replace_the_extended_rows(override):
    path = override(
        "tables:\n  goals:\n    example:\n"
        "      - {name: First, target: 3, actual: 1, gap: 2}\n"
        "      - {name: Second, target: 8, actual: 8, gap: 0}\n"
    )

    resolved = resolve(load_blueprint(path), "example", as_of=AS_OF)

    assert [row["name"] for row in resolved.rows(resolved.table("goals"))] == [
        "First",
        "Second",
    ]


def test_parameter_default_changes_and_its_range_stays(override):
    path = override("parameters:\n  goal_rows: {default: 7}\n")

    blueprint = load_blueprint(path)
    resolved = resolve(blueprint, "blank", as_of=AS_OF)

    assert resolved.table("goals").rows == 7
    parameter = blueprint.parameters["goal_rows"]
    assert (parameter.label, parameter.min, parameter.max) == ("Rows for goals", 2, 10)


@pytest.mark.parametrize(("text", "expected"), [("", "base"), ("id: ours\n", "ours")])
def test_id_is_kept_unless_the_override_sets_one(override, text, expected):
    assert load_blueprint(override(text + "title: Our plan\n")).id == expected


def test_sheet_sections_and_guide_change_by_key(override):
    path = override(
        "sheets:\n  - {key: goals_sheet, title: Aims, guide: Ours.}\n"
        "guide:\n  - {heading: Why, text: Because.}\n"
        "document:\n  sections:\n"
        "    - {heading: Details, remove: true}\n"
        "    - {heading: Notes, text: Write here., before: Goals}\n"
    )

    blueprint = load_blueprint(path)

    assert (blueprint.sheets[0].title, blueprint.sheets[0].guide) == ("Aims", "Ours.")
    assert [(g.heading, g.text) for g in blueprint.guide] == [("Why", "Because.")]
    assert [s.heading for s in blueprint.document.sections] == ["Notes", "Goals"]


def test_field_changes_wherever_the_field_is(override):
    path = override("fields:\n  total_gap: {label: Gap in total, example: 2}\n")

    field = load_blueprint(path).sheets[0].blocks[1].fields[0]

    assert (field.label, field.formula, field.example) == (
        "Gap in total",
        "SUM(goals.gap)",
        "2",
    )


# Unknown names: did-you-mean, at the override's line

UNKNOWN = {
    "table": (
        "tables:\n  goal:\n    rows: 3\n",
        "3:3: tables.goal: no entry with table key 'goal' to change; "
        "did you mean 'goals'?",
    ),
    "field": (
        "fields:\n  limt: {default: 3}\n",
        "3:3: fields.limt: no entry with field key 'limt' to change; "
        "did you mean 'limit'?",
    ),
    "column": (
        "tables:\n  goals:\n    columns:\n      - {key: actul, remove: true}\n",
        "5:9: tables.goals.columns[0]: no entry with key 'actul' to change; "
        "did you mean 'actual'?",
    ),
    "placement": (
        "tables:\n  goals:\n    columns:\n"
        "      - {key: owner, header: Owner, after: nme}\n",
        "5:44: tables.goals.columns[0].after: no entry with key 'nme' to change; "
        "did you mean 'name'?",
    ),
    "setting": (
        "settings:\n  - {key: limitt, remove: true}\n",
        "3:5: settings[0]: no entry with key 'limitt' to change; did you mean 'limit'?",
    ),
    "section": (
        "document:\n  sections:\n    - {heading: Detials, remove: true}\n",
        "4:7: document.sections[0]: no entry with heading 'Detials' to change; "
        "did you mean 'Details'?",
    ),
    "top-level key": (
        "titel: Ours\n",
        "2:1: titel: unknown key 'titel'; did you mean 'title'?",
    ),
    "table key": (
        "tables:\n  goals:\n    colums: []\n",
        "4:5: tables.goals.colums: unknown key 'colums'; did you mean 'columns'?",
    ),
}


@pytest.mark.parametrize("case", list(UNKNOWN))
def test_unknown_name_suggests_the_nearest_at_the_override_line(override, case):
    text, message = UNKNOWN[case]
    path = override(text)

    assert problem_text(path) == f"{path}:{message}"


# Problems found after merging still point at the override's line

AT_OVERRIDE = {
    "example value": (
        "tables:\n  goals:\n    example:\n      - {name: A, target: lots}\n",
        "5:27",
        "target: expected a number; found 'lots'",
    ),
    "column type": (
        "tables:\n  goals:\n    columns:\n      - {key: target, type: numbr}\n",
        "5:29",
        "found 'numbr'",
    ),
    "formula of an added column": (
        "tables:\n  goals:\n    columns:\n"
        '      - {key: left, header: Left, type: number, formula: "[targt]"}\n',
        "5:58",
        "unknown column of goals 'targt'; did you mean 'target'?",
    ),
    "formula of an added and placed column": (
        "tables:\n  goals:\n    columns:\n"
        '      - {key: left, header: Left, type: number, formula: "[targt]",\n'
        "         before: gap}\n",
        "5:58",
        "unknown column of goals 'targt'; did you mean 'target'?",
    ),
    "parameter default out of range": (
        "parameters:\n  goal_rows: {default: 40}\n",
        "3:24",
        "expected a whole number from 2 to 10; found 40",
    ),
    "setting default of the wrong type": (
        "settings:\n  - {key: limit, default: lots}\n",
        "3:27",
        "expected a number; found 'lots'",
    ),
}


@pytest.mark.parametrize("case", list(AT_OVERRIDE))
def test_problem_after_merging_points_at_the_override_line(override, case):
    text, place, what = AT_OVERRIDE[case]
    path = override(text)

    message = problem_text(path)

    assert message.startswith(f"{path}:{place}: "), message
    assert message.endswith(what)
    assert "\n" not in message


# Bad overrides through the command line: exit code 2, nothing written


def test_extending_an_unknown_template_lists_the_known_ones(run, tmp_path):
    path = tmp_path / "ours.yaml"
    path.write_text("extends: okrr\ntitle: Ours\n", encoding="utf-8")
    out = tmp_path / "out"

    code, stdout, stderr = run("render", str(path), "--out", str(out))

    assert (code, stdout) == (2, "")
    assert stderr == (
        f"Error: {path}:1:10: extends: unknown template 'okrr'; did you mean 'okr'? "
        f"Known: {', '.join(builtin_ids())}.\n"
    )
    assert not out.exists()


def test_removing_a_column_a_formula_uses_names_the_formula(override, run, tmp_path):
    path = override(
        "tables:\n  goals:\n    columns:\n      - {key: actual, remove: true}\n"
    )
    out = tmp_path / "out"

    code, _, stderr = run("render", str(path), "--out", str(out))

    assert code == 2
    assert stderr == (
        f"Error: {path}:5:9: tables.goals.columns[0]: removes column 'actual' of "
        "goals, but the formula of goals.gap uses it\n"
    )
    assert not out.exists()


def test_removing_a_setting_a_status_uses_names_the_column(override, run, tmp_path):
    path = override("settings:\n  - {key: limit, remove: true}\n")

    code, _, stderr = run("render", str(path), "--out", str(tmp_path / "out"))

    assert code == 2
    assert stderr == (
        f"Error: {path}:3:5: settings[0]: removes setting 'limit', but the formula "
        "of goals.gap uses it\n"
    )
    assert not (tmp_path / "out").exists()


def test_removing_a_column_a_check_uses_names_the_check(override, run, tmp_path):
    path = override(
        "tables:\n  goals:\n    columns:\n      - {key: state, remove: true}\n"
    )

    code, _, stderr = run("render", str(path), "--out", str(tmp_path / "out"))

    assert code == 2
    assert stderr == (
        f"Error: {path}:5:9: tables.goals.columns[0]: removes column 'state' of "
        "goals, but the check 'At most three open' uses it\n"
    )
    assert not (tmp_path / "out").exists()


USERS_OF_NAME = {
    "chart": (
        "      - heading: Checks\n",
        "      - chart: {type: column, title: Gap by goal, categories: goals.name,\n"
        "               series: [{name: Gap, values: goals.gap}]}\n"
        "      - heading: Checks\n",
        "'Gap by goal'",
    ),
    "drop-down": (
        "            - {key: note, header: Note, type: longtext}\n",
        "            - {key: note, header: Note, type: longtext}\n"
        "            - {key: next, header: Next goal, type: choice,\n"
        "               choices_from: goals.name}\n",
        "goals.next",
    ),
}


@pytest.mark.parametrize("user", list(USERS_OF_NAME))
def test_removing_a_column_a_chart_or_drop_down_uses_names_it(
    user, override, run, tmp_path
):
    old, new, named = USERS_OF_NAME[user]
    path = override(
        "tables:\n  goals:\n    columns:\n      - {key: name, remove: true}\n"
    )
    (tmp_path / "base.yaml").write_text(BASE.replace(old, new), encoding="utf-8")

    code, _, stderr = run("render", str(path), "--out", str(tmp_path / "out"))

    assert code == 2
    assert stderr.startswith(
        f"Error: {path}:5:9: tables.goals.columns[0]: removes column 'name' of "
        "goals, but "
    ), stderr
    assert stderr.endswith(" uses it\n")
    assert named in stderr
    assert not (tmp_path / "out").exists()


def test_overrides_extending_each_other_are_a_circle(run, tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    out = tmp_path / "out"

    code, _, stderr = run("render", str(tmp_path / "a.yaml"), "--out", str(out))

    assert code == 2
    assert stderr == (
        f"Error: {tmp_path / 'b.yaml'}:1:10: extends: overrides extend each other in "
        "a circle: a.yaml -> b.yaml -> a.yaml\n"
    )
    assert not out.exists()


def test_overrides_extending_each_other_by_id_in_a_pack(okr_only, run, tmp_path):
    folder = tmp_path / "ours"
    folder.mkdir()
    (folder / "x.yaml").write_text("extends: y\nid: x\n", encoding="utf-8")
    (folder / "y.yaml").write_text("extends: x\nid: y\n", encoding="utf-8")
    out = tmp_path / "out"

    code, _, stderr = run("pack", "--blueprints", str(folder), "--out", str(out))

    assert code == 2
    assert stderr == (
        f"Error: {folder / 'y.yaml'}:1:10: extends: overrides extend each other in "
        "a circle: x.yaml -> y.yaml -> x.yaml\n"
    )
    assert not out.exists()


def test_unknown_name_in_text_lists_the_names_available(override, run, tmp_path):
    path = override('title: "Plan for {{ compnay.name }}"\n')
    out = tmp_path / "out"

    code, _, stderr = run("render", str(path), "--out", str(out))

    assert code == 2
    assert stderr == (
        f"Error: {path}:2:8: title: 'compnay' is undefined; available names: "
        "company, fiscal_year, fy_start_month, goal_rows, month_name, owner, "
        "period, quarter, row, settings, team, today\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "expression",
    ["company.__class__", "company.__class__.__mro__", "month_name.__globals__"],
)
def test_text_cannot_reach_python_internals(override, run, tmp_path, expression):
    path = override(f'title: "{{{{ {expression} }}}}"\n')
    out = tmp_path / "out"

    code, stdout, stderr = run("render", str(path), "--out", str(out))

    assert (code, stdout) == (2, "")
    assert stderr.startswith(f"Error: {path}:2:8: title: not allowed in a template: ")
    assert "is unsafe" in stderr
    assert not out.exists()


# pack --blueprints: overrides in place of the built-ins they extend


def test_pack_blueprints_replaces_the_built_in_and_adds_new_ids(
    okr_only, run, tmp_path, read_workbook
):
    folder = tmp_path / "ours"
    folder.mkdir()
    (folder / "okr.yaml").write_text(
        "extends: okr\ntitle: Our OKRs\n", encoding="utf-8"
    )
    (folder / "okr-lite.yaml").write_text(
        "extends: okr\nid: okr-lite\ntitle: Light OKRs\n"
        "parameters:\n  weeks: {default: 6}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"

    code, _, stderr = run(
        "pack", "--blueprints", str(folder), "--out", str(out), "--as-of", "2026-12-03"
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    titles = {
        name: read_workbook((out / f"{name}.xlsx").read_bytes())["Guide"]["B1"].value
        for name in ("okr", "okr-lite")
    }

    assert code == 0, stderr
    assert sorted({entry["template"] for entry in manifest["files"]}) == [
        "guide",
        "okr",
        "okr-lite",
    ]
    assert titles == {"okr": "Our OKRs", "okr-lite": "Light OKRs"}


def test_pack_refuses_two_templates_with_one_id(okr_only, run, tmp_path):
    folder = tmp_path / "ours"
    folder.mkdir()
    for name in ("a.yaml", "b.yaml"):
        (folder / name).write_text("extends: okr\nid: same\n", encoding="utf-8")
    out = tmp_path / "out"

    code, _, stderr = run("pack", "--blueprints", str(folder), "--out", str(out))

    assert code == 2
    assert stderr == (
        f"Error: {folder / 'b.yaml'}: id 'same' is already used by "
        f"{folder / 'a.yaml'}; every template in a pack needs its own id\n"
    )
    assert not out.exists()


# customize: a starter override for every built-in


@pytest.mark.parametrize("template_id", builtin_ids())
def test_customize_writes_an_override_that_validates(template_id, run, tmp_path):
    path = tmp_path / f"{template_id}-custom.yaml"

    code, stdout, _ = run("customize", template_id, "--out", str(path))
    blueprint = load_blueprint(path)
    checked = run("validate", str(path))

    assert (code, stdout) == (0, f"wrote {path}\n")
    assert blueprint.id == template_id
    assert blueprint.title.endswith("(ours)")
    assert "notes" in [
        column.key
        for sheet in blueprint.sheets
        for block in sheet.blocks
        if block.table is not None
        for column in block.table.columns
    ]
    assert checked == (0, f"{path}: OK\n", "")


def test_customize_refuses_to_overwrite_without_force(run, tmp_path):
    path = tmp_path / "okr-custom.yaml"
    path.write_text("extends: okr\n", encoding="utf-8")

    code, _, stderr = run("customize", "okr", "--out", str(path))

    assert code == 2
    assert stderr == f"Error: {path} already exists; use --force to overwrite it\n"
    assert path.read_text(encoding="utf-8") == "extends: okr\n"


def test_customized_override_renders_both_formats(run, tmp_path, read_workbook):
    path = tmp_path / "okr-custom.yaml"
    run("customize", "okr", "--out", str(path))
    out = tmp_path / "out"

    code, _, stderr = run(
        "render", str(path), "--out", str(out), "--as-of", "2026-12-03"
    )
    book = read_workbook((out / "okr.xlsx").read_bytes())

    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == ["okr.docx", "okr.xlsx"]
    assert book["Guide"]["B1"].value == "OKR planning sheet (ours)"
