"""The document renderer: a resolved template to .docx bytes with python-docx.

Only this module touches python-docx. Tables carry explicit widths that agree between
the grid and every cell, so Word, LibreOffice and Google Docs lay them out alike.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from docx import Document as new_document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor

from perftemplates.blueprint.brand import Brand
from perftemplates.blueprint.model import Box, Column, Field_, Page, Section, Table
from perftemplates.blueprint.resolve import Resolved
from perftemplates.evaluate import CellError, formula_values
from perftemplates.layout import plan
from perftemplates.render.package import normalize_zip
from perftemplates.text import clean
from perftemplates.theme import Theme

PAGE_SIZES = {"A4": (Cm(21.0), Cm(29.7)), "Letter": (Emu(7772400), Emu(10058400))}
MARGIN = Cm(1.8)
PROMPT_COLOUR = RGBColor(0x75, 0x75, 0x75)
BLANK_TABLE_ROWS = 6
SERIAL_EPOCH = dt.date(1899, 12, 30)  # day 0 of spreadsheet date serials
LOGO_HEIGHT = Cm(0.8)
EMU_PER_TWIP = 635
TABLE_FONT = Pt(9)
# Widest usual advance of a character at 9 pt, bold and regular, and a cell's
# left and right padding together.
BOLD_CHAR_PT = 6.3
CHAR_PT = 5.8
CELL_PADDING_PT = 14


def render_document(resolved: Resolved) -> bytes:
    """The Word document for a resolved template, as bytes."""
    writer = _DocumentWriter(resolved)
    return writer.write()


class WordBuilder:
    """A Word document with its page, styles, header, footer and properties set."""

    def __init__(
        self,
        theme: Theme,
        page: Page,
        title: str,
        company: str,
        period: str,
        as_of: dt.date,
        logo: bytes | None = None,
    ):
        self.theme = theme
        self.doc = new_document()
        self.page_setup(page)
        self.styles()
        self.header_and_footer(title, company, period, logo)
        self.properties(title, company, as_of)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return normalize_zip(buffer.getvalue())

    def page_setup(self, page: Page) -> None:
        width, height = PAGE_SIZES[page.size]
        section = self.doc.sections[0]
        if page.orientation == "landscape":
            section.orientation = WD_ORIENT.LANDSCAPE
            width, height = height, width
        else:
            section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = width, height
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, MARGIN)

    def text_width(self) -> int:
        section = self.doc.sections[0]
        return section.page_width - section.left_margin - section.right_margin

    def styles(self) -> None:
        normal = self.doc.styles["Normal"]
        normal.font.name = self.theme.font
        normal.font.size = Pt(10)
        for level in (1, 2, 3):
            style = self.doc.styles[f"Heading {level}"]
            style.font.name = self.theme.font
            style.font.color.rgb = _rgb(self.theme.primary)
        self.doc.styles["Title"].font.color.rgb = _rgb(self.theme.primary)

    def header_and_footer(
        self, title: str, company: str, period: str, logo: bytes | None
    ) -> None:
        # The built-in Header and Footer styles carry tab stops for Letter paper;
        # replace them with ones that match this page.
        width = self.text_width()
        for name in ("Header", "Footer"):
            stops = self.doc.styles[name].paragraph_format.tab_stops
            stops.clear_all()
            stops.add_tab_stop(Emu(width // 2), WD_TAB_ALIGNMENT.CENTER)
            stops.add_tab_stop(Emu(width), WD_TAB_ALIGNMENT.RIGHT)
        section = self.doc.sections[0]
        header = section.header.paragraphs[0]
        if logo:
            header.add_run().add_picture(io.BytesIO(logo), height=LOGO_HEIGHT)
            header.add_run(" ")
        header.add_run(clean(company))
        header.add_run("\t" + clean(title))
        header.add_run("\t" + clean(period))
        footer = section.footer.paragraphs[0]
        footer.add_run(clean(company) + "\t\tPage ")
        _field(footer, "PAGE")
        footer.add_run(" of ")
        _field(footer, "NUMPAGES")

    def properties(self, title: str, company: str, as_of: dt.date) -> None:
        # Fixed times and revision keep the same inputs byte-identical.
        stamp = dt.datetime.combine(as_of, dt.time())
        core = self.doc.core_properties
        core.title = clean(title)
        core.author = clean(company) or "perftemplates"
        core.last_modified_by = "perftemplates"
        core.created = core.modified = stamp
        core.last_printed = stamp
        core.revision = 1
        core.comments = "Made with perftemplates"

    def new_table(self, rows: int, widths: list[int]) -> Any:
        """A table with a fixed layout whose grid and cells agree on every width."""
        table = self.doc.add_table(rows=rows, cols=len(widths))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _fixed_layout(table)
        for grid_col, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
            grid_col.w = Emu(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Emu(width)
        return table

    def header_cells(self, row: Any, headers: list[str]) -> None:
        """A header row in the theme's colour, repeated on every page."""
        fill = self.theme.primary.lstrip("#")
        text_colour = _rgb(self.theme.on(self.theme.primary))
        for cell, header in zip(row.cells, headers, strict=True):
            _cell_text(cell, header, bold=True, colour=text_colour)
            _shade(cell, fill)
        _repeat_as_header(row)

    def text_table(
        self, headers: list[str] | None, rows: list[list[str]], weights: list[float]
    ) -> None:
        """A table of plain text, columns sized by `weights`; without headers the
        first column is bold instead."""
        total = self.text_width()
        widths = [int(total * w / sum(weights)) for w in weights]
        widths = [width - width % EMU_PER_TWIP for width in widths]
        widths[-1] += (total - total % EMU_PER_TWIP) - sum(widths)
        table = self.new_table(len(rows) + (1 if headers else 0), widths)
        body = table.rows
        if headers:
            self.header_cells(table.rows[0], headers)
            body = table.rows[1:]
        for row, values in zip(body, rows, strict=True):
            for index, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
                _cell_text(cell, text, bold=not headers and index == 0)
        self.doc.add_paragraph()


class _DocumentWriter(WordBuilder):
    def __init__(self, resolved: Resolved):
        self.resolved = resolved
        self.blueprint = resolved.blueprint
        self.brand = resolved.brand
        self.example = resolved.variant == "example"
        self.layout = plan(resolved)
        # Only the worked example prints computed values; a blank form needs none.
        self.results = formula_values(resolved, self.layout) if self.example else {}
        page = self.blueprint.document.page
        if self.brand.page_size:
            page = page.model_copy(update={"size": self.brand.page_size})
        super().__init__(
            self.brand.theme,
            page,
            self.blueprint.title,
            resolved.company,
            resolved.period_label,
            resolved.as_of,
            self.brand.logo,
        )

    def write(self) -> bytes:
        self.title()
        for section in self.blueprint.document.sections:
            self.section(section)
        return self.to_bytes()

    def title(self) -> None:
        document = self.blueprint.document
        self.doc.add_heading(clean(document.title or self.blueprint.title), level=0)
        intro = document.intro or self.blueprint.summary
        if intro:
            self.doc.add_paragraph(clean(intro))
        details = [
            self.resolved.company,
            self.resolved.values.get("team"),
            self.resolved.period_label,
        ]
        line = "  ·  ".join(clean(str(d)) for d in details if d)
        if line:
            run = self.doc.add_paragraph().add_run(line)
            run.bold = True

    # Sections

    def section(self, section: Section) -> None:
        if section.page_break:
            self.doc.add_page_break()
        self.doc.add_heading(clean(section.heading), level=section.level)
        if section.text:
            text = self.doc.add_paragraph(clean(section.text))
            # An introduction stays on the page of what it introduces.
            text.paragraph_format.keep_with_next = bool(
                section.prompts or section.fields or section.table or section.boxes
            )
        for index, prompt in enumerate(section.prompts):
            answer = section.answers[index] if index < len(section.answers) else ""
            self.prompt(prompt, answer, section.lines)
        if section.fields:
            self.fields_table(section.fields)
        if section.table:
            table = self.resolved.table(section.table)
            self.table(table, section.columns, section.filter)
        if section.boxes:
            self.boxes(section.boxes, section.box_columns)

    def boxes(self, boxes: list[Box], per_row: int) -> None:
        """A canvas: framed areas with a title, a prompt and room or an answer."""
        rows = -(-len(boxes) // per_row)
        width = self.text_width() // per_row
        table = self.new_table(rows, [width - width % EMU_PER_TWIP] * per_row)
        for row in table.rows:
            _cant_split(row)
        cells = [cell for row in table.rows for cell in row.cells]
        for cell, box in zip(cells, boxes, strict=False):
            _cell_text(cell, box.title, bold=True, colour=_rgb(self.theme.primary))
            if box.prompt:
                paragraph = cell.add_paragraph()
                run = paragraph.add_run(clean(box.prompt))
                run.italic, run.font.size = True, TABLE_FONT
                run.font.color.rgb = PROMPT_COLOUR
            if self.example and box.answer:
                for line in clean(box.answer).split("\n"):
                    cell.add_paragraph().add_run(line).font.size = TABLE_FONT
            else:
                for _ in range(box.lines):
                    cell.add_paragraph()
        self.doc.add_paragraph()

    def prompt(self, prompt: str, answer: str, lines: int) -> None:
        paragraph = self.doc.add_paragraph()
        run = paragraph.add_run(clean(prompt))
        run.italic = True
        run.font.color.rgb = PROMPT_COLOUR
        paragraph.paragraph_format.space_after = Pt(2)
        paragraph.paragraph_format.keep_with_next = True
        if self.example and answer:
            self.doc.add_paragraph(clean(answer))
            return
        for index in range(lines):
            line = self.doc.add_paragraph()
            _writing_line(line)
            # A question and its lines stay on one page.
            line.paragraph_format.keep_with_next = index < lines - 1

    def fields_table(self, keys: list[str]) -> None:
        fields = {item.key: item for item in self.resolved.fields()}
        rows = [(fields[key].label, self.field_text(fields[key])) for key in keys]
        width = self.text_width()
        table = self.new_table(len(rows), [int(width * 0.4), width - int(width * 0.4)])
        for cells, (label, value) in zip(table.rows, rows, strict=True):
            _cell_text(cells.cells[0], label, bold=True)
            _cell_text(cells.cells[1], value)
        self.doc.add_paragraph()

    def field_text(self, item: Field_) -> str:
        place = self.layout.fields[item.key]
        if item.key in self.resolved.values:
            value = self.resolved.values[item.key]
        elif self.example and item.formula:
            cell = (place.sheet, place.row, place.col)
            value = _readable(self.results.get(cell), item.type)
        elif self.example:
            value = item.example
        else:
            value = None
        return self.display(value, item.type, item.decimals)

    def table(
        self, model: Table, keys: list[str] | None, where: dict[str, str]
    ) -> None:
        columns = self.document_columns(model, keys)
        # Blank rows hold defaults worth printing too (a scorecard's perspectives).
        rows = self.computed_rows(model)
        if where:
            rows = [row for row in rows if self.matches(row, model, where)]
        labels = max((len(c.values) for c in columns if c.values), default=0)
        blank_rows = model.document_rows or min(model.rows, BLANK_TABLE_ROWS)
        count = max(len(rows), labels) or blank_rows
        table = self.new_table(count + 1, self.widths(columns, rows))
        self.header_cells(table.rows[0], [column.header for column in columns])
        for index, row in enumerate(table.rows[1:]):
            values = rows[index] if index < len(rows) else {}
            for cell, column in zip(row.cells, columns, strict=True):
                value = values.get(column.key)
                if column.values is not None and index < len(column.values):
                    value = column.values[index]
                text = self.display(value, column.type, column.decimals)
                if not values and index == 0 and column.prompt:
                    _cell_text(cell, column.prompt, italic=True, colour=PROMPT_COLOUR)
                else:
                    _cell_text(cell, text)
            if not values:
                _row_height(row, Cm(0.8))
        self.doc.add_paragraph()

    def computed_rows(self, model: Table) -> list[dict[str, Any]]:
        """The variant's rows, with what each formula computes in the example."""
        rows = self.resolved.rows(model)
        if not self.example:
            return rows
        place = self.layout.tables[model.key]
        formulas = [column for column in model.columns if column.formula]
        computed = []
        for offset, row in enumerate(rows):
            values = dict(row)
            for column in formulas:
                cell = (
                    place.sheet,
                    place.first_row + offset,
                    place.columns[column.key],
                )
                values[column.key] = _readable(self.results.get(cell), column.type)
            computed.append(values)
        return computed

    def matches(self, row: dict[str, Any], model: Table, where: dict[str, str]) -> bool:
        """True if every column named in `where` prints as the text given for it."""
        by_key = {column.key: column for column in model.columns}
        return all(
            self.display(row.get(key), by_key[key].type, by_key[key].decimals) == text
            for key, text in where.items()
        )

    def document_columns(self, model: Table, keys: list[str] | None) -> list[Column]:
        by_key = {column.key: column for column in model.columns}
        if not keys:
            return [c for c in model.columns if c.in_document]
        chosen = []
        for key in keys:
            group = self.resolved.groups.get((model.key, key))
            chosen += [by_key[k] for k in group] if group else [by_key[key]]
        return chosen

    def widths(self, columns: list[Column], rows: list[dict[str, Any]]) -> list[int]:
        """Column widths in EMU filling the page, proportional to the workbook's.

        A column is never narrower than its longest word (header in bold, values
        in the rows), so no word breaks in two; the others share what is left.
        """
        total = self.text_width()
        minimum = [
            int(Pt(_longest_word(c.header) * BOLD_CHAR_PT + CELL_PADDING_PT))
            for c in columns
        ]
        for row in rows:
            for index, column in enumerate(columns):
                text = self.display(row.get(column.key), column.type, column.decimals)
                need = int(Pt(_longest_word(text) * CHAR_PT + CELL_PADDING_PT))
                minimum[index] = max(minimum[index], need)
        weights = [float(column.width or 12) for column in columns]
        fixed: set[int] = set()
        while True:
            free = total - sum(minimum[i] for i in fixed)
            share = sum(w for i, w in enumerate(weights) if i not in fixed)
            widths = [
                minimum[i] if i in fixed else int(free * w / share)
                for i, w in enumerate(weights)
            ]
            narrow = {i for i, w in enumerate(widths) if w < minimum[i]} - fixed
            if not narrow or len(fixed | narrow) == len(columns):
                break
            fixed |= narrow
        # Word stores widths in twips: whole twips keep the sum inside the margins.
        widths = [width - width % EMU_PER_TWIP for width in widths]
        widths[-1] += (total - total % EMU_PER_TWIP) - sum(widths)
        return widths

    def display(self, value: Any, kind: str, decimals: int | None) -> str:
        return display(value, kind, decimals, self.brand)


def display(value: Any, kind: str, decimals: int | None, brand: Brand) -> str:
    """A value as a person would write it on the printed form."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return brand.date_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if kind == "percent":
        return f"{_round(value * 100, decimals or 0):,} %"
    if kind == "currency":
        places = brand.currency_decimals if decimals is None else decimals
        return brand.money(float(_round(value, places)), places)
    if kind == "integer":
        return str(_round(value, 0))
    if decimals is not None:
        return f"{_round(value, decimals):,}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _readable(value: Any, kind: str) -> Any:
    """A computed value as the form shows it: dates from serials, no error codes."""
    if isinstance(value, CellError):
        return ""
    if (
        kind == "date"
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return SERIAL_EPOCH + dt.timedelta(days=int(value))
    return value


def _cell_text(
    cell: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    colour: RGBColor | None = None,
) -> None:
    run = cell.paragraphs[0].add_run(clean(text))
    run.font.size = TABLE_FONT
    run.bold = bold or None
    run.italic = italic or None
    if colour is not None:
        run.font.color.rgb = colour


def _round(value: float, places: int) -> Decimal:
    """Rounded half away from zero, as spreadsheets round (Python rounds to even)."""
    step = Decimal(1).scaleb(-places)
    return Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP)


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=1)


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def _field(paragraph: Any, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that the reader's program fills in."""
    run = paragraph.add_run()
    for kind, text in (
        ("begin", None),
        (None, f" {code} "),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text.strip() == code:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _writing_line(paragraph: Any) -> None:
    """An empty paragraph with a bottom border: a line to write on by hand."""
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(20)
    borders = OxmlElement("w:pBdr")
    # Adjacent paragraphs with the same borders are drawn as one box; a 'between'
    # border keeps a line under each of them.
    for side in ("bottom", "between"):
        line = OxmlElement(f"w:{side}")
        for key, value in (
            ("val", "single"),
            ("sz", "4"),
            ("space", "1"),
            ("color", "BFBFBF"),
        ):
            line.set(qn(f"w:{key}"), value)
        borders.append(line)
    paragraph._p.get_or_add_pPr().append(borders)


def _shade(cell: Any, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_as_header(row: Any) -> None:
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _cant_split(row: Any) -> None:
    """Keep a table row on one page: a framed box is never cut in two."""
    row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))


def _row_height(row: Any, height: int) -> None:
    row.height = height


def _fixed_layout(table: Any) -> None:
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
