"""The values an example workbook's formulas must compute, as its blueprint states."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from perftemplates.blueprint.resolve import Resolved
from perftemplates.layout import Layout, plan


@dataclass(frozen=True)
class Expectation:
    sheet: str
    cell: str
    what: str
    value: Any

    def agrees(self, found: Any) -> bool:
        """Does a cell's value (as openpyxl reads it) equal the stated one?

        Blueprints state results to about six decimals, so numbers agree within a
        millionth.
        """
        wanted = self.value
        if isinstance(wanted, dt.date):
            return isinstance(found, dt.datetime) and found.date() == wanted
        if isinstance(wanted, int | float) and not isinstance(wanted, bool):
            return isinstance(found, int | float) and math.isclose(
                found, wanted, rel_tol=1e-6, abs_tol=5e-7
            )
        return ("" if found is None else str(found)) == str(wanted)


def expectations(resolved: Resolved, layout: Layout | None = None) -> list[Expectation]:
    """Every formula cell whose result the example variant states."""
    layout = layout or plan(resolved)
    found = []
    for table in resolved.tables():
        place = layout.tables[table.key]
        formulas = {c.key for c in table.columns if c.formula}
        for offset, row in enumerate(resolved.rows(table)):
            for key, value in row.items():
                if key in formulas:
                    cell = xl_rowcol_to_cell(
                        place.first_row + offset, place.columns[key]
                    )
                    found.append(
                        Expectation(
                            place.sheet, cell, f"{table.key}[{offset + 1}].{key}", value
                        )
                    )
    for item in resolved.fields():
        if item.formula and item.example is not None and resolved.variant == "example":
            place = layout.fields[item.key]
            cell = xl_rowcol_to_cell(place.row, place.col)
            found.append(Expectation(place.sheet, cell, item.key, item.example))
    return found
