"""Which frameworks suit a stage and a function, and the guide that explains them."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest

from perftemplates.cli import main
from perftemplates.frameworks import FRAMEWORKS, FUNCTIONS, STAGES, recommend
from perftemplates.render.guide import render_guide

# The selection tables of the reference article, by framework key.
STAGE_TABLE = {
    "startup": {"north-star", "okr", "smart"},
    "scale-up": {"okr", "4dx", "v2mom", "eos"},
    "growth": {"balanced-scorecard", "okr", "kpi", "mbo"},
    "enterprise": {"balanced-scorecard", "hoshin-kanri", "okr", "kpi"},
}
FUNCTION_TABLE = {
    "sales": {"mbo", "kpi", "okr", "4dx"},
    "marketing": {"okr", "kpi", "smart", "north-star"},
    "product": {"okr", "north-star", "smart"},
    "revops": {"okr", "kpi", "balanced-scorecard"},
    "customer-success": {"kpi", "okr", "mbo"},
    "engineering": {"okr", "smart", "kpi"},
    "leadership": {"v2mom", "balanced-scorecard", "hoshin-kanri"},
}


def run(*args: str, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ended:
        main([*args])
        raise SystemExit(0)
    captured = capsys.readouterr()
    return ended.value.code or 0, captured.out, captured.err


@pytest.mark.parametrize("stage", sorted(STAGE_TABLE))
def test_each_stage_recommends_its_frameworks(stage):
    found = {item.framework.key for item in recommend(stage, None)}
    assert found == STAGE_TABLE[stage]


@pytest.mark.parametrize("function", sorted(FUNCTION_TABLE))
def test_each_function_recommends_its_frameworks(function):
    found = {item.framework.key for item in recommend(None, function)}
    assert found == FUNCTION_TABLE[function]


def test_frameworks_named_for_stage_and_function_come_first():
    found = recommend("startup", "marketing")
    both = [item.framework.key for item in found if len(item.reasons) == 2]
    assert set(both) == {"north-star", "okr", "smart"}
    assert [item.framework.key for item in found][3:] == ["kpi"]
    assert found[3].reasons == ("function",)


def test_tables_cover_every_stage_and_function_of_the_reference():
    assert set(STAGES) == set(STAGE_TABLE)
    assert set(FUNCTIONS) == set(FUNCTION_TABLE)


@pytest.mark.parametrize("function", sorted(FUNCTION_TABLE))
def test_recommend_prints_template_ids(function, capsys):
    code, out, err = run(
        "recommend", "--stage", "growth", "--function", function, capsys=capsys
    )
    assert (code, err) == (0, "")
    keys = STAGE_TABLE["growth"] | FUNCTION_TABLE[function]
    for key in keys:
        ids = FRAMEWORKS[key].templates or ("(no template yet)",)
        assert any(line.startswith(ids[0]) for line in out.splitlines()), key
    assert len(out.splitlines()) == len(keys)


def test_unknown_stage_is_a_usage_error_listing_the_valid_ones(capsys):
    code, out, err = run("recommend", "--stage", "seed", capsys=capsys)
    assert code == 2
    assert out == ""
    assert err.splitlines()[-1] == (
        "Error: Invalid value for '--stage': 'seed' is not one of 'startup', "
        "'scale-up', 'growth', 'enterprise'."
    )


def test_unknown_function_is_a_usage_error_listing_the_valid_ones(capsys):
    code, _, err = run("recommend", "--function", "hr", capsys=capsys)
    assert code == 2
    for function in FUNCTION_TABLE:
        assert f"'{function}'" in err


def test_recommend_needs_a_stage_or_a_function(capsys):
    code, _, err = run("recommend", capsys=capsys)
    assert code == 2
    assert err.splitlines()[-1] == "Error: give --stage, --function or both"


def test_recommend_packs_only_the_recommended_templates(tmp_path, capsys):
    out = tmp_path / "pack"
    code, _, _ = run(
        "recommend",
        "--stage",
        "startup",
        "--function",
        "product",
        "--pack",
        str(out),
        "--as-of",
        "2026-12-03",
        capsys=capsys,
    )
    assert code == 0
    templates = {
        path.name.split(".")[0].removesuffix("-example") for path in out.glob("*.xlsx")
    }
    assert templates == {"north-star", "okr", "smart"}
    assert (out / "guide.docx").is_file()


def test_guide_explains_every_framework_and_both_selection_tables():
    document = docx.Document(io.BytesIO(render_guide(dt.date(2026, 12, 3))))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings == [framework.name for framework in FRAMEWORKS.values()]
    stage_rows = [row.cells[0].text for row in document.tables[1].rows[1:]]
    assert stage_rows == [stage.capitalize() for stage in STAGES]
    function_rows = [row.cells[0].text for row in document.tables[2].rows[1:]]
    assert function_rows == [label for label, _ in FUNCTIONS.values()]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "vital signs" in body
