"""File names from roster text: safe everywhere, unique ignoring case, in order."""

import csv
import unicodedata
from pathlib import Path

import pytest

from perftemplates.naming import MAX_CHARS, UniqueNames, safe_name

CASES = Path(__file__).parent / "data" / "cases"


def _names(texts: list[str], first_row: int = 2) -> list[str]:
    unique = UniqueNames()
    return [
        unique.claim(safe_name(text, row))
        for row, text in enumerate(texts, start=first_row)
    ]


def test_unsafe_roster_names_become_safe_unique_names_in_roster_order():
    with (CASES / "teams-unsafe-names.csv").open(encoding="utf-8", newline="") as f:
        teams = [row["Team"] for row in csv.DictReader(f)]

    names = _names(teams)

    assert names == [
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
        teams[-1],
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("COM1", "COM1_"),
        ("lpt9.notes", "lpt9_.notes"),
        ("nul .txt", "nul_ .txt"),
        ("CONIN$", "CONIN$_"),
        ("COM¹", "COM¹_"),
        ("Console", "Console"),
    ],
)
def test_windows_device_names_are_avoided_with_any_extension(text, expected):
    assert safe_name(text, 2) == expected


@pytest.mark.parametrize("text", ["", "   ", ".", "..", "...", " . . "])
def test_a_name_with_nothing_left_becomes_its_row(text):
    assert safe_name(text, 7) == "row-7"


def test_separators_and_characters_windows_refuses_are_replaced():
    assert safe_name('a<b>c:d"e/f\\g|h?i*j', 2) == "a_b_c_d_e_f_g_h_i_j"


def test_control_and_bidi_override_characters_are_replaced():
    # U+202E shows "xslx.exe" as "exe.xlsx": a name must read as it is.
    assert safe_name("tab\there\u202eexe.xlsx", 2) == "tab_here_exe.xlsx"


def test_trailing_dots_and_spaces_and_leading_dots_go():
    assert safe_name(" .hidden team. . ", 2) == "hidden team"


def test_names_are_nfc():
    decomposed = unicodedata.normalize("NFD", "Équipe Müller")

    assert safe_name(decomposed, 2) == unicodedata.normalize("NFC", "Équipe Müller")


def test_long_names_are_cut_to_the_limit():
    assert safe_name("x" * 300, 2) == "x" * MAX_CHARS


def test_a_cut_never_separates_a_letter_from_its_accent():
    text = "e\u0301" * 120  # decomposed: NFC makes it é, one character each

    assert safe_name(text, 2) == "é" * MAX_CHARS


def test_a_cut_never_separates_an_emoji_from_its_skin_tone():
    thumb = "\U0001f44d\U0001f3fd"

    name = safe_name(thumb * 80, 2)

    assert len(name) <= MAX_CHARS
    assert name == thumb * (len(name) // 2)


def test_a_cut_never_ends_inside_a_joined_emoji():
    family = "\U0001f469\u200d\U0001f467"  # woman, joiner, girl

    name = safe_name("a" + family * 40, 2)

    assert not name.endswith("\u200d")
    assert len(name) <= MAX_CHARS


def test_uniqueness_ignores_case_and_the_first_row_keeps_the_name():
    assert _names(["Sales", "SALES", "sales", "Ops"]) == [
        "Sales",
        "SALES (2)",
        "sales (3)",
        "Ops",
    ]


def test_a_name_that_looks_like_a_numbered_copy_is_numbered_too():
    assert _names(["Sales", "Sales (2)", "sales"]) == [
        "Sales",
        "Sales (2)",
        "sales (3)",
    ]


def test_a_numbered_long_name_stays_within_the_limit():
    names = _names(["y" * 150, "Y" * 150])

    assert names[1] == "Y" * (MAX_CHARS - 4) + " (2)"
    assert all(len(name) <= MAX_CHARS for name in names)
