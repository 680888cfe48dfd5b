"""Text that came from users, made safe for XML-based office files."""

from __future__ import annotations

import re
import unicodedata

# C0 controls other than tab and line feed, and U+FFFE/U+FFFF, are invalid in XML.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean(text: str) -> str:
    """NFC text without characters that XML cannot hold; carriage returns dropped."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL.sub("", text)
