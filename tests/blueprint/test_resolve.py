"""Resolving: parameters decide which parts a template holds."""

from __future__ import annotations

import pytest

from perftemplates.blueprint.load import load_blueprint
from perftemplates.blueprint.resolve import ResolveError, resolve

MODES = """\
id: modes
title: Modes
summary: Quarter columns only in quarterly mode.
period: year
parameters:
  mode: {type: choice, choices: [annual, quarterly], default: quarterly}
sheets:
  - key: plan
    title: Plan
    blocks:
      - table:
          key: measures
          rows: 3
          columns:
            - {key: measure, header: Measure}
            - {key: target, header: Target, type: number}
            - {key: q, header: "Q{{ n }}", type: number, repeat: 4,
               only_if: "mode == 'quarterly'"}
          example:
            - {measure: Renewals, target: 40, q_1: 9, q_2: 11}
      - only_if: "mode == 'quarterly'"
        text: Quarterly review notes.
document:
  sections:
    - {heading: Plan, table: measures}
    - {heading: Quarterly review, only_if: "mode == 'quarterly'"}
"""


@pytest.fixture
def modes(tmp_path):
    path = tmp_path / "modes.yaml"
    path.write_text(MODES, encoding="utf-8")
    return load_blueprint(path)


def test_only_if_keeps_parts_when_true(modes):
    resolved = resolve(modes, "example")
    keys = [column.key for column in resolved.table("measures").columns]
    assert keys == ["measure", "target", "q_1", "q_2", "q_3", "q_4"]
    assert len(resolved.blueprint.sheets[0].blocks) == 2
    assert [s.heading for s in resolved.blueprint.document.sections] == [
        "Plan",
        "Quarterly review",
    ]


def test_only_if_drops_columns_blocks_and_sections_and_their_example_values(modes):
    resolved = resolve(modes, "example", overrides={"mode": "annual"})
    table = resolved.table("measures")
    assert [column.key for column in table.columns] == ["measure", "target"]
    assert table.example == [{"measure": "Renewals", "target": 40.0}]
    assert len(resolved.blueprint.sheets[0].blocks) == 1
    assert [s.heading for s in resolved.blueprint.document.sections] == ["Plan"]


def test_only_if_naming_an_unknown_parameter_is_a_problem(modes):
    broken = modes.model_copy(deep=True)
    broken.document.sections[1].only_if = "mood == 'quarterly'"
    with pytest.raises(ResolveError) as raised:
        resolve(broken, "blank")
    (problem,) = raised.value.problems
    assert problem.loc == ("document", "sections", 1, "only_if")
    assert problem.message.startswith("'mood' is undefined; available names: ")


def test_row_values_reach_blueprint_text_and_are_empty_without_a_roster(modes):
    titled = modes.model_copy(update={"title": "Plan for {{ row.team_name }}"})

    assert resolve(titled, "blank").blueprint.title == "Plan for "
    with_row = resolve(titled, "blank", row={"team_name": "Équipe Müller"})
    assert with_row.blueprint.title == "Plan for Équipe Müller"
    with pytest.raises(ResolveError):
        resolve(titled, "blank", row={"other": "x"})
