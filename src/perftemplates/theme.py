"""Colours and fonts, with text colour picked for contrast on every fill."""

from __future__ import annotations

from dataclasses import dataclass

from perftemplates.blueprint.model import STATUS_COLOURS


@dataclass(frozen=True)
class Theme:
    primary: str = "#1F4E79"
    accent: str = "#2E75B6"
    font: str = "Calibri"
    input_fill: str = "#FFF8E1"
    formula_fill: str = "#F3F6FA"
    note_colour: str = "#5F6368"

    def on(self, fill: str) -> str:
        """Black or white, whichever reads better on `fill` (WCAG contrast)."""
        return (
            "#000000"
            if contrast(fill, "#000000") >= contrast(fill, "#FFFFFF")
            else "#FFFFFF"
        )


def status_colour(name: str) -> str:
    return STATUS_COLOURS.get(name, name)


def luminance(colour: str) -> float:
    """Relative luminance of `#RRGGBB` as WCAG 2 defines it."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio between two colours, from 1 to 21."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
