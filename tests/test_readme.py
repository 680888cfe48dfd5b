"""The README's promises: its commands are the ones CI runs, its example loads."""

from __future__ import annotations

import re
from pathlib import Path

from perftemplates.blueprint.load import load_blueprint

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_first_lines_are_the_pack_and_test_commands():
    pack_command, test_command = _code_blocks("sh")[0].strip().splitlines()
    assert "perftemplates pack --out output" in pack_command
    assert pack_command.startswith("python3 -m venv .venv")
    assert test_command.endswith("-m pytest -q")
    assert README.splitlines()[:3] == ["# perftemplates", "", "```sh"]


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = _code_blocks("sh")[0].strip().splitlines()[1]
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci_script.splitlines()


def test_readme_blueprint_example_loads(tmp_path):
    example = next(block for block in _code_blocks("yaml") if "id: tiny" in block)
    path = tmp_path / "tiny.yaml"
    path.write_text(example, encoding="utf-8")
    blueprint = load_blueprint(path)
    assert [c.key for c in blueprint.sheets[0].blocks[0].table.columns] == [
        "goal",
        "start",
        "target",
        "current",
        "progress",
    ]
