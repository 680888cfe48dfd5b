"""File names from roster text that are safe on every system and unique in a folder.

A name must survive Windows, macOS and Linux folders, zip files and the mail that
carries them: no separators or characters Windows refuses, no device names, no
trailing dots, NFC text, and a length that every file system accepts.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 100
# Characters Windows refuses in names, path separators among them; control
# characters; and the bidirectional overrides that make a name read backwards.
UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]')
# Names Windows keeps for devices, with or without an extension.
RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    *(f"{device}{n}" for device in ("COM", "LPT") for n in "0123456789¹²³"),
}
# A cut before one of these would separate it from the character it belongs to.
JOINING = {"\u200d", "\u20e3", *map(chr, range(0xFE00, 0xFE10))}


def safe_name(text: str, row: int) -> str:
    """`text` as a file name (without extension); `row-N` if nothing is left."""
    name = _trim(UNSAFE.sub("_", unicodedata.normalize("NFC", text)))
    name = _trim(_cut(_not_reserved(name), MAX_CHARS))
    return name or f"row-{row}"


def _trim(name: str) -> str:
    # Leading dots hide a file on Unix and '..' means the parent folder; Windows
    # drops trailing dots and spaces, so a name ending in one would change.
    return name.strip().lstrip(".").strip().rstrip(". ")


def _cut(name: str, limit: int) -> str:
    """At most `limit` characters, never separating a character from its marks."""
    if len(name) <= limit:
        return name
    end = limit
    while end > 0 and _belongs_to_previous(name[end]):
        end -= 1
    return name[:end].rstrip("\u200d")


def _belongs_to_previous(char: str) -> bool:
    return (
        unicodedata.combining(char) > 0
        or unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char in JOINING
        or 0x1F3FB <= ord(char) <= 0x1F3FF  # skin-tone modifiers
    )


def _not_reserved(name: str) -> str:
    # Windows ignores the extension and trailing spaces: 'aux.Sales' is AUX too.
    device = name.partition(".")[0].rstrip(" ")
    if device.upper() in RESERVED:
        return f"{device}_{name[len(device) :]}"
    return name


class UniqueNames:
    """Hands out names unique ignoring case, first come first served.

    Roster order decides who keeps `Sales` and who gets `SALES (2)`, so a rerun of
    the same roster gives every row the same file.
    """

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, name: str) -> str:
        candidate, number = name, 1
        while _fold(candidate) in self._taken:
            number += 1
            suffix = f" ({number})"
            candidate = _trim(_cut(name, MAX_CHARS - len(suffix))) + suffix
        self._taken.add(_fold(candidate))
        return candidate


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name.casefold())
