"""The typed blueprint: every key a YAML file may hold, documented where declared.

Plain YAML scalars arrive as text (see yamlsource); fields typed as numbers or yes/no
convert them, text fields keep them exactly as written.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=40)]
TemplateId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
COLOUR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
Colour = Annotated[str, StringConstraints(pattern=COLOUR_PATTERN)]
ColumnType = Literal[
    "text",
    "longtext",
    "integer",
    "number",
    "percent",
    "currency",
    "date",
    "choice",
    "yesno",
]
NUMERIC_TYPES = {"integer", "number", "percent", "currency"}
STATUS_COLOURS = {
    "red": "#F4C7C3",
    "amber": "#FCE8B2",
    "green": "#B7E1CD",
    "grey": "#E0E0E0",
    "blue": "#C9DAF8",
}
FORBIDDEN_IN_SHEET_TITLES = "[]:*?/\\"
RESERVED_SHEET_TITLES = {"guide", "settings", "lists"}
# Names Excel would read as a cell (FY2027, Q3) or an R1C1 reference (R, C, R2C3).
CELL_LIKE = re.compile(r"^([a-z]{1,3}[0-9]+|r|c|r[0-9]*c[0-9]*)$")


class Strict(BaseModel):
    """Unknown keys are refused, so a typo is a finding and never silently ignored.

    Where a model has `only_if`, it is a Jinja expression over the parameters
    (`mode == 'quarterly'`); when false the sheet, block, column, field or section
    is left out of the resolved template.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Parameter(Strict):
    """A choice made when a file is rendered: a row count, a mode, a number of weeks."""

    type: Literal["integer", "text", "choice", "yesno"] = "text"
    label: str = ""
    default: Any = None
    min: int | None = None
    max: int | None = None
    choices: list[str] | None = None


class StatusFill(Strict):
    """A formula-based fill: when `when` is true for a row, the cell gets `colour`."""

    when: str
    colour: Literal["red", "amber", "green", "grey", "blue"] | Colour


class Field_(Strict):
    """A labelled single cell (a setting, an employee detail, a dashboard figure).

    Each field becomes a defined name, so formulas refer to it by key.
    """

    key: Key
    label: str
    type: ColumnType = "text"
    formula: str | None = None
    default: Any = None
    example: Any = None
    choices: list[str] | None = None
    choices_from: str | None = None
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    note: str = ""
    prompt: str = ""
    status: list[StatusFill] = []
    data_bar: bool = False
    only_if: str | None = None

    @model_validator(mode="after")
    def _name_is_not_a_cell(self) -> Field_:
        if CELL_LIKE.match(self.key):
            raise ValueError(
                f"key '{self.key}' reads as a cell address in a spreadsheet; "
                f"choose another, such as '{self.key}_value'"
            )
        return self


class Column(Strict):
    """A column of a table; `repeat` makes one column per week, month or quarter."""

    key: Key
    header: str
    type: ColumnType = "text"
    formula: str | None = None
    width: float | None = Field(default=None, gt=0, le=120)
    choices: list[str] | None = None
    choices_from: str | None = None
    min: float | None = None
    max: float | None = None
    decimals: int | None = Field(default=None, ge=0, le=6)
    repeat: int | str | None = None
    note: str = ""
    prompt: str = ""
    status: list[StatusFill] = []
    data_bar: bool = False
    sparkline: str | None = None
    values: list[str] | None = None
    in_document: bool = True
    only_if: str | None = None


class Table(Strict):
    """Rows of typed columns; `example` rows fill the example variant.

    In an example row a formula column's value is what the formula must compute.
    """

    key: Key
    title: str = ""
    rows: int | str = 10
    columns: list[Column]
    freeze: Key | None = None
    example: list[dict[str, Any]] = []
    blank: list[dict[str, Any]] = []
    document_rows: int | None = None


class Check(Strict):
    """A rule of the method shown as a warning cell: `when` true means a problem."""

    when: str
    message: str


class Series(Strict):
    name: str
    values: str


class Chart(Strict):
    """A chart drawn from table columns, or one series per row of a repeated group."""

    type: Literal["line", "column", "bar", "pie"] = "column"
    title: str
    categories: str | None = None
    series: list[Series] = []
    rows_of: str | None = None
    name_column: str | None = None
    x_title: str = ""
    y_title: str = ""
    percent_axis: bool = False
    y_min: float | None = None
    y_max: float | None = None
    width: int = 640
    height: int = 300


class Block(Strict):
    """One thing laid out on a sheet, top to bottom: exactly one of its parts."""

    heading: str = ""
    text: str | None = None
    fields: list[Field_] | None = None
    table: Table | None = None
    checks: list[Check] | None = None
    chart: Chart | None = None
    only_if: str | None = None

    @model_validator(mode="after")
    def _exactly_one_part(self) -> Block:
        parts = [
            name
            for name in ("text", "fields", "table", "checks", "chart")
            if getattr(self, name) is not None
        ]
        if len(parts) != 1:
            found = ", ".join(parts) or "none"
            raise ValueError(
                "a block holds exactly one of text, fields, table, checks or chart; "
                f"found {found}"
            )
        return self


class Sheet(Strict):
    """A worksheet: a title, a one-paragraph guide and its blocks."""

    key: Key
    title: str = Field(min_length=1, max_length=31)
    guide: str = ""
    orientation: Literal["portrait", "landscape"] = "landscape"
    tab_colour: Colour | None = None
    blocks: list[Block]
    only_if: str | None = None

    @field_validator("title")
    @classmethod
    def _excel_accepts_title(cls, title: str) -> str:
        forbidden = sorted(set(title) & set(FORBIDDEN_IN_SHEET_TITLES))
        if forbidden:
            shown = " ".join(forbidden)
            raise ValueError(
                f"a sheet title cannot hold any of {shown}; found {title!r}"
            )
        if title.startswith("'") or title.endswith("'"):
            raise ValueError(
                f"a sheet title cannot start or end with '; found {title!r}"
            )
        if title.casefold() in RESERVED_SHEET_TITLES:
            raise ValueError(
                f"'{title}' is the name of a sheet every workbook has; choose another"
            )
        return title


class Page(Strict):
    size: Literal["A4", "Letter"] = "A4"
    orientation: Literal["portrait", "landscape"] = "portrait"


class Box(Strict):
    """A framed area of a canvas: a title, a prompt to think with, room to write."""

    title: str
    prompt: str = ""
    answer: str = ""
    lines: int = Field(default=4, ge=0, le=30)


class Section(Strict):
    """A part of the Word document.

    `prompts` are guiding questions shown lighter with room to write in the blank
    variant; `answers` are the worked example's answers to them. `table` prints a
    table of the workbook (blank rows or the example rows); `filter` keeps only the
    rows whose columns print as the given text, such as `{goal: G1}` for a
    form about one goal of several; `fields` prints fields; `boxes` lays out a canvas
    of framed areas, `box_columns` to a row.
    """

    heading: str
    level: int = Field(default=1, ge=1, le=3)
    text: str = ""
    prompts: list[str] = []
    answers: list[str] = []
    table: str | None = None
    columns: list[str] | None = None
    filter: dict[Key, str] = {}
    fields: list[str] | None = None
    lines: int = Field(default=3, ge=0, le=20)
    page_break: bool = False
    boxes: list[Box] = []
    box_columns: int = Field(default=2, ge=1, le=5)
    only_if: str | None = None


class Document(Strict):
    page: Page = Page()
    title: str | None = None
    intro: str = ""
    sections: list[Section]


class GuideEntry(Strict):
    heading: str
    text: str


class LegendEntry(Strict):
    """What a status colour means in this template."""

    colour: Literal["red", "amber", "green", "grey", "blue"]
    meaning: str


class Blueprint(Strict):
    """A template: parameters, settings, sheets for the workbook, sections for Word."""

    id: TemplateId
    title: str = Field(min_length=1, max_length=100)
    summary: str
    period: Literal["quarter", "year", "none"] = "quarter"
    parameters: dict[Key, Parameter] = {}
    settings: list[Field_] = []
    example_settings: dict[Key, Any] = {}
    guide: list[GuideEntry] = []
    legend: list[LegendEntry] = []
    sheets: list[Sheet]
    document: Document
