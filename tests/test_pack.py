"""The template pack: every blueprint, both variants and formats, manifest and zip."""

import datetime as dt
import hashlib
import json
import shutil
import zipfile

import pytest

from perftemplates.cli import main
from perftemplates.pack import GUIDE_NAME, MANIFEST_NAME, ZIP_NAME, build_pack
from perftemplates.templates import builtin_templates

AS_OF = "2026-12-03"


def run(argv: list[str]) -> int:
    """Exit code of the console script for `argv` (0 when it returns)."""
    try:
        main(argv)
    except SystemExit as exit_:
        return exit_.code
    return 0


def files_in(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def expected_names(ids: list[str]) -> set[str]:
    """Four files per template, and the framework guide."""
    return {
        f"{template}{suffix}.{fmt}"
        for template in ids
        for suffix in ("", "-example")
        for fmt in ("xlsx", "docx")
    } | {GUIDE_NAME}


@pytest.fixture
def two_builtins(okr_only, mini_text):
    """The built-ins: okr and the small test blueprint."""
    (okr_only / "mini.yaml").write_text(mini_text, encoding="utf-8")
    return okr_only


@pytest.fixture
def packed(two_builtins, tmp_path, capsys):
    out = tmp_path / "pack"
    assert run(["pack", "--out", str(out), "--as-of", AS_OF]) == 0
    return out, capsys.readouterr()


def test_pack_writes_four_files_per_blueprint_a_manifest_and_a_zip(packed):
    out, _ = packed

    assert set(files_in(out)) == expected_names(["mini", "okr"]) | {
        MANIFEST_NAME,
        ZIP_NAME,
    }


def test_pack_says_what_it_wrote(packed):
    out, printed = packed
    total = sum(
        len(data)
        for name, data in files_in(out).items()
        if name in expected_names(["mini", "okr"])
    )

    assert printed.out == (
        f"wrote 9 files ({total:,} bytes), {MANIFEST_NAME} and {ZIP_NAME} to {out}\n"
    )
    assert printed.err == ""


def test_manifest_entries_match_the_files_on_disk(packed):
    out, _ = packed

    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))

    assert manifest["as_of"] == AS_OF
    entries = manifest["files"]
    assert {entry["path"] for entry in entries} == expected_names(["mini", "okr"])
    assert len(entries) == 9
    for entry in entries:
        data = (out / entry["path"]).read_bytes()
        suffix = "-example" if entry["variant"] == "example" else ""
        assert set(entry) == {
            "template",
            "variant",
            "format",
            "path",
            "bytes",
            "sha256",
        }
        assert entry["path"] == f"{entry['template']}{suffix}.{entry['format']}"
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_zip_holds_exactly_the_files_and_the_manifest(packed):
    out, _ = packed

    with zipfile.ZipFile(out / ZIP_NAME) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
        assert len(archive.namelist()) == len(members)  # no name twice

    on_disk = files_in(out)
    del on_disk[ZIP_NAME]
    assert members == on_disk


def test_pack_files_open_as_workbooks_and_documents(packed, read_workbook):
    out, _ = packed

    book = read_workbook((out / "okr-example.xlsx").read_bytes())

    assert book.sheetnames[0] == "Guide"
    assert zipfile.is_zipfile(out / "okr.docx")
    with zipfile.ZipFile(out / "okr.docx") as document:
        assert "word/document.xml" in document.namelist()


def test_pack_twice_gives_byte_identical_files(two_builtins, tmp_path, capsys):
    first, second = tmp_path / "first", tmp_path / "second"

    assert run(["pack", "--out", str(first), "--as-of", AS_OF]) == 0
    assert run(["pack", "--out", str(second), "--as-of", AS_OF]) == 0

    assert files_in(first) == files_in(second)


def test_pack_over_an_older_pack_replaces_every_file(packed, capsys):
    out, _ = packed
    before = files_in(out)
    (out / "okr.xlsx").write_bytes(b"stale")

    assert run(["pack", "--out", str(out), "--as-of", AS_OF]) == 0

    assert files_in(out) == before


def test_broken_blueprint_stops_the_pack_and_leaves_the_folder_untouched(
    okr_only, mini_text, tmp_path, capsys, locate
):
    broken = mini_text.replace("id: mini", "id: broken").replace(
        "guide: One row", "giude: One row"
    )
    (okr_only / "broken.yaml").write_text(broken, encoding="utf-8")
    out = tmp_path / "pack"
    out.mkdir()
    (out / "okr.xlsx").write_bytes(b"last week's workbook")
    (out / MANIFEST_NAME).write_text("{}", encoding="utf-8")
    before = files_in(out)
    line, column = locate(broken, "giude")

    code = run(["pack", "--out", str(out), "--as-of", AS_OF])

    assert code == 2
    assert capsys.readouterr().err == (
        f"Error: {okr_only / 'broken.yaml'}:{line}:{column}: sheets[0].giude: "
        "unknown key 'giude'; did you mean 'guide'?\n"
    )
    assert files_in(out) == before


def test_two_blueprints_with_the_same_id_are_refused(okr_only, tmp_path, capsys):
    # A copied blueprint whose id was not changed would overwrite the original's
    # files in the pack and put each name twice in the zip.
    shutil.copyfile(okr_only / "okr.yaml", okr_only / "okr-copy.yaml")
    out = tmp_path / "pack"

    code = run(["pack", "--out", str(out), "--as-of", AS_OF])

    assert code == 2
    error = capsys.readouterr().err
    assert "okr-copy.yaml" in error
    assert "'okr'" in error
    assert not out.exists()


def test_build_pack_returns_one_entry_per_file(two_builtins, tmp_path):
    entries = build_pack(builtin_templates(), tmp_path / "out", dt.date(2026, 12, 3))

    assert [(e.template, e.variant, e.format) for e in entries] == [
        (template, variant, fmt)
        for template in ("mini", "okr")
        for fmt in ("xlsx", "docx")
        for variant in ("blank", "example")
    ] + [("guide", "guide", "docx")]
