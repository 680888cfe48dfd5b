"""YAML read with every scalar kept as written and every value's place known."""

import pytest

from perftemplates.blueprint.yamlsource import Source, load_source, where
from perftemplates.errors import BlueprintError, Problem


@pytest.mark.parametrize(
    "written",
    ["NO", "no", "yes", "on", "01234", "+4412345", "1.10", "12:30", "0x1F", "1e3"],
)
def test_plain_scalar_stays_the_text_written(written):
    source = load_source("bp.yaml", f"country: {written}\n")

    assert source.data == {"country": written}


@pytest.mark.parametrize("written", ["", "~", "null", "Null", "NULL"])
def test_plain_null_is_none(written):
    source = load_source("bp.yaml", f"note: {written}\n")

    assert source.data == {"note": None}


def test_quoted_null_and_quoted_empty_stay_text():
    source = load_source("bp.yaml", "a: 'null'\nb: \"\"\nc: '~'\n")

    assert source.data == {"a": "null", "b": "", "c": "~"}


def test_empty_file_is_an_empty_mapping():
    assert load_source("bp.yaml", "").data == {}


def test_values_and_keys_remember_line_and_column():
    text = "id: okr\nsheets:\n  - key: goals\n    title: Goals\n"

    source = load_source("bp.yaml", text)

    assert source.values[("id",)] == (1, 5)
    assert source.keys[("sheets",)] == (2, 1)
    assert source.values[("sheets", 0)] == (3, 5)
    assert source.keys[("sheets", 0, "title")] == (4, 5)
    assert source.values[("sheets", 0, "title")] == (4, 12)


def test_position_falls_back_to_the_nearest_ancestor():
    source = load_source("bp.yaml", "sheets:\n  - key: goals\n")

    assert source.position(("sheets", 0, "blocks", 2, "table")) == ("bp.yaml", 2, 5)


def test_position_of_a_key_prefers_the_key_over_its_value():
    source = load_source("bp.yaml", "sheets:\n  - key:\n      goals\n")

    assert source.position(("sheets", 0, "key"), key=True) == ("bp.yaml", 2, 5)
    assert source.position(("sheets", 0, "key")) == ("bp.yaml", 3, 7)


def test_problem_names_file_place_and_path():
    source = load_source("bp.yaml", "sheets:\n  - title: Goals\n")

    problem = source.problem(("sheets", 0, "title"), "too long")

    assert str(problem) == "bp.yaml:2:12: sheets[0].title: too long"


def test_where_joins_keys_with_dots_and_indexes_with_brackets():
    assert where(("sheets", 1, "blocks", 0, "table")) == "sheets[1].blocks[0].table"
    assert where(()) == ""


def test_duplicate_key_names_both_lines():
    text = "id: one\ntitle: First\nsummary: s\ntitle: Second\n"

    source = load_source("bp.yaml", text)

    assert [str(p) for p in source.problems] == [
        "bp.yaml:4:1: duplicate key 'title' (first on line 2, again on line 4)"
    ]
    assert source.data["title"] == "First"


def test_nested_duplicate_key_says_where_it_is():
    text = "sheets:\n  - key: goals\n    title: A\n    key: plans\n"

    source = load_source("bp.yaml", text)

    assert [str(p) for p in source.problems] == [
        "bp.yaml:4:5: sheets[0]: duplicate key 'key' (first on line 2, again on line 4)"
    ]


def test_every_duplicate_key_is_kept_as_a_problem():
    text = "a: 1\na: 2\nb: 3\nb: 4\n"

    source = load_source("bp.yaml", text)

    assert [(p.line, p.what) for p in source.problems] == [
        (2, "duplicate key 'a' (first on line 1, again on line 2)"),
        (4, "duplicate key 'b' (first on line 3, again on line 4)"),
    ]


def test_key_that_is_not_plain_text_is_a_problem():
    source = load_source("bp.yaml", "sheets:\n  ? [a, b]\n  : 1\n")

    assert source.problems == [
        Problem("bp.yaml", 2, 5, "sheets", "keys must be plain text")
    ]


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(BlueprintError) as caught:
        load_source("bp.yaml", "title: [unclosed\nsummary: x\n")

    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("bp.yaml", 2)
    assert problem.what.startswith("YAML syntax error: ")


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    missing = tmp_path / "nosuch.yaml"

    with pytest.raises(BlueprintError) as caught:
        load_source(missing)

    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{missing}: cannot read: ")


def test_file_is_read_as_utf8(tmp_path):
    path = tmp_path / "bp.yaml"
    path.write_text("title: Zielvereinbarung für Ärzte\n", encoding="utf-8")

    source = load_source(path)

    assert isinstance(source, Source)
    assert source.data == {"title": "Zielvereinbarung für Ärzte"}
    assert source.path == str(path)
