"""The command line: output, exit codes and one clear message per mistake."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import perftemplates
from perftemplates.cli import cli, main
from perftemplates.errors import InputError

AS_OF = "2026-12-03"


def run_script(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run `python -m perftemplates` in a fresh process, as a user would."""
    source = str(Path(perftemplates.__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "perftemplates", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )


# list


def test_list_shows_each_template_with_title_and_formats(okr_only):
    result = CliRunner().invoke(cli, ["list"])

    assert result.exit_code == 0
    rows = [re.split(r"\s{2,}", line.strip()) for line in result.output.splitlines()]
    assert rows == [["okr", "OKR planning sheet", "xlsx, docx"]]


# render


def test_render_one_variant_and_format_writes_only_that_file(okr_only, tmp_path):
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli,
        ["render", "okr", "--variant", "example", "--format", "xlsx"]
        + ["--out", str(out), "--as-of", AS_OF],
    )

    assert result.exit_code == 0, result.output
    assert [path.name for path in out.iterdir()] == ["okr-example.xlsx"]
    size = (out / "okr-example.xlsx").stat().st_size
    assert result.output == f"wrote {out / 'okr-example.xlsx'} ({size:,} bytes)\n"


def test_render_without_format_writes_both(write_blueprint, mini_text, tmp_path):
    path = write_blueprint(mini_text)
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli, ["render", str(path), "--out", str(out), "--as-of", AS_OF]
    )

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["mini.docx", "mini.xlsx"]


def test_render_unknown_template_lists_the_known_ones(okr_only, run, tmp_path):
    code, out, err = run("render", "nosuch", "--out", str(tmp_path / "out"))

    assert code == 2
    assert out == ""
    assert err == "Error: unknown template 'nosuch'. Known: okr.\n"
    assert not (tmp_path / "out").exists()


def test_render_misspelt_template_suggests_the_nearest(okr_only, run, tmp_path):
    code, _, err = run("render", "okrr", "--out", str(tmp_path))

    assert code == 2
    assert err == "Error: unknown template 'okrr'; did you mean 'okr'? Known: okr.\n"


def test_render_missing_blueprint_file(run, tmp_path):
    missing = tmp_path / "nosuch.yaml"

    code, _, err = run("render", str(missing), "--out", str(tmp_path))

    assert code == 2
    assert err == f"Error: {missing}: no such blueprint file\n"


def test_set_outside_the_parameters_range_names_the_parameter(okr_only, run, tmp_path):
    code, out, err = run(
        "render", "okr", "--set", "weeks=99", "--out", str(tmp_path / "out")
    )

    assert code == 2
    assert out == ""
    # One message naming the parameter, not a cascade of follow-on problems.
    assert len(err.splitlines()) == 1, err
    assert re.fullmatch(
        rf"Error: {re.escape(str(okr_only / 'okr.yaml'))}: [^\n]*\bweeks\b[^\n]*"
        r"expected a whole number from 4 to 26; found 99\n",
        err,
    ), err
    assert not (tmp_path / "out").exists()


def test_set_unknown_name_is_refused(okr_only, run, tmp_path):
    code, _, err = run("render", "okr", "--set", "wekes=9", "--out", str(tmp_path))

    assert code == 2
    assert err == (
        f"Error: {okr_only / 'okr.yaml'}: --set wekes: "
        "no parameter, setting or input field is called 'wekes'\n"
    )


def test_set_setting_of_the_wrong_type_names_the_setting(okr_only, run, tmp_path):
    code, _, err = run(
        "render", "okr", "--set", "fiscal_year=abc", "--out", str(tmp_path)
    )

    assert code == 2
    assert err == (
        f"Error: {okr_only / 'okr.yaml'}: --set fiscal_year: "
        "expected a whole number; found 'abc'\n"
    )


@pytest.mark.parametrize(
    ("setting", "value"), [("quarter", "Q5"), ("grade_red", "5"), ("stale_days", "0")]
)
def test_set_setting_outside_its_choices_or_range_is_refused(
    okr_only, run, tmp_path, setting, value
):
    out = tmp_path / "out"

    code, _, err = run(
        "render", "okr", "--set", f"{setting}={value}", "--out", str(out)
    )

    assert code == 2
    assert err.startswith("Error: ")
    assert f"--set {setting}: expected" in err
    assert value in err
    assert not out.exists()


def test_set_percent_out_of_range_is_named_in_percent(run, tmp_path):
    out = tmp_path / "out"

    code, _, err = run(
        "render", "mbo", "--set", "target_bonus_pct=2.5", "--out", str(out)
    )

    assert code == 2
    assert "--set target_bonus_pct: expected a percent from 0 % to 200 %; " in err
    assert err.rstrip().endswith("found 250 %")
    assert not out.exists()


def test_set_without_equals_sign_is_a_usage_error(okr_only, run, tmp_path):
    code, _, err = run("render", "okr", "--set", "weeks", "--out", str(tmp_path))

    assert code == 2
    assert err.endswith("Error: --set expects KEY=VALUE; found 'weeks'\n")


def test_bad_build_date_is_an_input_error(okr_only, run, tmp_path):
    code, _, err = run("render", "okr", "--as-of", "2026-13-01", "--out", str(tmp_path))

    assert code == 2
    assert err == (
        "Error: --as-of: expected a real date written YYYY-MM-DD; found '2026-13-01'\n"
    )


def test_company_with_markup_characters_reaches_both_files(
    write_blueprint, mini_text, tmp_path, read_workbook, read_document
):
    path = write_blueprint(mini_text)
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli,
        ["render", str(path), "--set", "company=Smith & Sons <Ltd>"]
        + ["--out", str(out), "--as-of", AS_OF],
    )

    assert result.exit_code == 0, result.output
    book = read_workbook((out / "mini.xlsx").read_bytes())
    assert book["Goals"].oddHeader.left.text == "Smith && Sons <Ltd>"
    assert book["Settings"]["C4"].value == "Smith & Sons <Ltd>"
    assert book["Settings"]["B4"].value == "Company"
    document = read_document((out / "mini.docx").read_bytes())
    header = document.sections[0].header.paragraphs[0]
    assert header.text.split("\t")[0] == "Smith & Sons <Ltd>"


def test_render_leaves_no_temporary_files(write_blueprint, mini_text, tmp_path, run):
    out = tmp_path / "out"

    code, _, _ = run(
        "render", str(write_blueprint(mini_text)), "--out", str(out), "--as-of", AS_OF
    )

    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["mini.docx", "mini.xlsx"]


# validate


def test_validate_prints_ok_for_good_files_and_problems_for_bad(
    write_blueprint, mini_text, locate, run
):
    good = write_blueprint(mini_text, "good.yaml")
    bad_text = mini_text.replace("guide: One row", "giude: One row")
    bad = write_blueprint(bad_text, "bad.yaml")
    line, column = locate(bad_text, "giude")

    code, out, err = run("validate", str(good), str(bad))

    assert code == 2
    assert out == f"{good}: OK\n"
    assert err == (
        f"Error: {bad}:{line}:{column}: sheets[0].giude: "
        "unknown key 'giude'; did you mean 'guide'?\n"
    )


def test_validate_reports_every_problem_of_every_file(
    write_blueprint, mini_text, locate, run
):
    first_text = mini_text.replace("guide: One row", "giude: One row")
    second_text = mini_text.replace('"[target]-[actual]"', '"[target]-[actaul]"')
    first = write_blueprint(first_text, "first.yaml")
    second = write_blueprint(second_text, "second.yaml")
    giude = locate(first_text, "giude")
    formula = locate(second_text, '"[target]-[actaul]"')

    code, out, err = run("validate", str(first), str(second))

    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{first}:{giude[0]}:{giude[1]}: sheets[0].giude: "
        "unknown key 'giude'; did you mean 'guide'?",
        f"{second}:{formula[0]}:{formula[1]}: "
        "sheets[0].blocks[0].table.columns[4].formula: "
        "unknown column of goals 'actaul'; did you mean 'actual'?",
        "Error: 2 problems found.",
    ]


def test_validate_good_files_exits_zero(write_blueprint, mini_text, run):
    path = write_blueprint(mini_text)

    assert run("validate", str(path)) == (0, f"{path}: OK\n", "")


def test_validate_unreadable_file(run, tmp_path):
    missing = tmp_path / "nosuch.yaml"

    code, _, err = run("validate", str(missing))

    assert code == 2
    assert err.startswith(f"Error: {missing}: cannot read: ")


# Errors, tracebacks and --debug


def test_input_error_shows_no_traceback(write_blueprint, mini_text, tmp_path):
    bad = write_blueprint(mini_text.replace("guide: One row", "giude: One row"))

    result = run_script("render", str(bad), "--out", "out", cwd=tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ")
    assert not (tmp_path / "out").exists()


def test_out_folder_under_a_file_is_an_input_error(
    write_blueprint, mini_text, tmp_path
):
    path = write_blueprint(mini_text)
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    out = tmp_path / "afile" / "out"

    result = run_script(
        "render", str(path), "--out", str(out), "--as-of", AS_OF, cwd=tmp_path
    )

    assert result.returncode == 2
    assert result.stderr == f"Error: {out}: cannot make this folder: Not a directory\n"
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "not a folder"


def test_unexpected_failure_exits_one_without_traceback(run, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("perftemplates.templates.render", broken)

    code, _, err = run("render", "okr", "--out", str(tmp_path))

    assert code == 1
    assert err == (
        "Error: unexpected RuntimeError: disk on fire "
        "(run 'perftemplates --debug ...' for the traceback)\n"
    )


def test_debug_after_the_command_works_too(tmp_path):
    result = run_script("render", "nosuch.yaml", "--debug", cwd=tmp_path)

    assert "InputError: nosuch.yaml: no such blueprint file" in result.stderr


def test_debug_shows_the_traceback_of_an_input_error(tmp_path):
    result = run_script("--debug", "render", "nosuch.yaml", cwd=tmp_path)

    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "InputError: nosuch.yaml: no such blueprint file" in result.stderr


def test_debug_lets_an_input_error_raise(tmp_path):
    with pytest.raises(InputError, match="no such blueprint file"):
        main(["--debug", "render", str(tmp_path / "nosuch.yaml")])


def test_overlong_title_is_the_blueprints_problem_not_a_failure(
    write_blueprint, mini_text, run, tmp_path
):
    # Excel refuses headers and footers over 255 characters; the title is in both.
    path = write_blueprint(mini_text.replace("Mini plan", "Long title " * 24))

    code, _, err = run(
        "render", str(path), "--format", "xlsx", "--out", str(tmp_path / "out")
    )

    assert code in (0, 2), err
    assert "XlsxWriter" not in err


def test_set_text_that_looks_like_a_template_is_written_as_typed(run, tmp_path):
    code, _, _ = run(
        "render",
        "okr",
        "--set",
        "owner={{ 7*7 }}",
        "--format",
        "xlsx",
        "--out",
        str(tmp_path),
        "--as-of",
        "2026-12-03",
    )

    assert code == 0
    assert b"{{ 7*7 }}" in zipfile.ZipFile(tmp_path / "okr.xlsx").read(
        "xl/sharedStrings.xml"
    )
