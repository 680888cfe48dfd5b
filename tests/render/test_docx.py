"""The document renderer, read back with python-docx as a word processor sees it."""

import datetime as dt

import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Inches, Mm

from perftemplates.blueprint.load import builtin_path, load_blueprint
from perftemplates.blueprint.resolve import resolve
from perftemplates.render.docx import render_document

AS_OF = dt.date(2026, 12, 3)
PROMPT = "What matters most this quarter?"
ANSWER = "Shipping the new plan."


def text_width(section) -> int:
    return section.page_width - section.left_margin - section.right_margin


def paragraph(document, text: str):
    found = [p for p in document.paragraphs if p.text == text]
    assert found, f"no paragraph {text!r}"
    return found[0]


def is_grey(colour) -> bool:
    return (
        colour is not None
        and colour[0] == colour[1] == colour[2]
        and (0x40 <= colour[0] <= 0xC0)
    )


def with_page(text: str, page: str) -> str:
    return text.replace("document:\n", f"document:\n  page: {page}\n")


@pytest.fixture(scope="module", params=["blank", "example"])
def okr_document(request, okr_file, read_document):
    return read_document(okr_file(request.param, "docx"))


# Structure a word processor understands


def test_headings_use_the_heading_styles_of_their_level(
    mini_text, render_blueprint, read_document
):
    document = read_document(render_blueprint(mini_text, fmt="docx"))

    assert paragraph(document, "Mini plan").style.name == "Title"
    assert paragraph(document, "Goals").style.name == "Heading 1"
    assert paragraph(document, "Details").style.name == "Heading 2"


def test_okr_section_headings_are_heading_1(okr_document):
    headings = [p.text for p in okr_document.paragraphs if p.style.name == "Heading 1"]

    assert headings == [
        "Objectives",
        "Key results",
        "Weekly check-in questions",
        "End-of-quarter grading",
    ]


def test_every_table_repeats_its_first_row_as_header(okr_document):
    assert len(okr_document.tables) == 2
    for table in okr_document.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None
        assert first.trPr.find(qn("w:tblHeader")) is not None
        assert table.rows[0].cells[0].text == "Id"


def test_grid_and_cell_widths_agree_and_fit_the_page(okr_document):
    section = okr_document.sections[0]
    for table in okr_document.tables:
        grid = [column.w for column in table._tbl.tblGrid.gridCol_lst]
        for row in table.rows:
            assert [c.width for c in row.cells] == grid
        assert sum(grid) <= text_width(section)
        assert sum(grid) >= 0.99 * text_width(section)


def test_fields_table_widths_agree_and_fit_the_page(
    mini_text, render_blueprint, read_document
):
    document = read_document(render_blueprint(mini_text, fmt="docx"))

    fields = document.tables[-1]
    grid = [column.w for column in fields._tbl.tblGrid.gridCol_lst]
    assert [[c.width for c in row.cells] for row in fields.rows] == [grid, grid]
    assert sum(grid) <= text_width(document.sections[0])
    assert [[c.text for c in row.cells] for row in fields.rows] == [
        ["Country", "NO"],
        ["Largest gap", "5"],
    ]


# Paper


def test_a4_landscape_page_is_297_by_210_mm(mini_text, render_blueprint, read_document):
    text = with_page(mini_text, "{size: A4, orientation: landscape}")

    section = read_document(render_blueprint(text, fmt="docx")).sections[0]

    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width > section.page_height
    assert abs(section.page_width - Mm(297)) <= Mm(1)
    assert abs(section.page_height - Mm(210)) <= Mm(1)


def test_letter_portrait_page_is_8_5_by_11_inches(
    mini_text, render_blueprint, read_document
):
    text = with_page(mini_text, "{size: Letter, orientation: portrait}")

    section = read_document(render_blueprint(text, fmt="docx")).sections[0]

    assert section.orientation == WD_ORIENT.PORTRAIT
    assert abs(section.page_width - Inches(8.5)) <= Mm(1)
    assert abs(section.page_height - Inches(11)) <= Mm(1)


def test_default_page_is_a4_portrait(mini_text, render_blueprint, read_document):
    section = read_document(render_blueprint(mini_text, fmt="docx")).sections[0]

    assert abs(section.page_width - Mm(210)) <= Mm(1)
    assert abs(section.page_height - Mm(297)) <= Mm(1)


def test_okr_document_is_a4_landscape(okr_document):
    section = okr_document.sections[0]

    assert abs(section.page_width - Mm(297)) <= Mm(1)
    assert abs(section.page_height - Mm(210)) <= Mm(1)


def test_tables_are_narrower_than_a_landscape_page(
    mini_text, render_blueprint, read_document
):
    text = with_page(mini_text, "{size: Letter, orientation: landscape}")

    document = read_document(render_blueprint(text, fmt="docx"))

    widest = text_width(document.sections[0])
    for table in document.tables:
        assert sum(c.w for c in table._tbl.tblGrid.gridCol_lst) <= widest


# Header and footer


def test_header_names_company_and_period_and_footer_counts_pages(
    mini_text, render_blueprint, read_document
):
    data = render_blueprint(
        mini_text, fmt="docx", overrides={"company": "Northwind Ltd"}
    )

    section = read_document(data).sections[0]

    (header,) = section.header.paragraphs
    assert header.text.split("\t") == ["Northwind Ltd", "Mini plan", "FY2026 Q4"]
    footer = section.footer.paragraphs[0]._p
    fields = [element.text.strip() for element in footer.iter(qn("w:instrText"))]
    assert fields == ["PAGE", "NUMPAGES"]


@pytest.mark.parametrize(
    "company", ["Smith & Sons <Ltd>", "Smith & Sons\x0b <Ltd>"], ids=["plain", "VT"]
)
def test_company_with_markup_characters_is_written_literally(
    mini_text, render_blueprint, read_document, company
):
    data = render_blueprint(mini_text, fmt="docx", overrides={"company": company})

    document = read_document(data)

    (header,) = document.sections[0].header.paragraphs
    assert header.runs[0].text == "Smith & Sons <Ltd>"
    assert header.text.split("\t")[0] == "Smith & Sons <Ltd>"
    assert document.core_properties.author == "Smith & Sons <Ltd>"


# Blank and example variants


def test_blank_variant_shows_prompts_in_grey_italics_and_no_answers(
    mini_text, render_blueprint, read_document
):
    document = read_document(render_blueprint(mini_text, fmt="docx"))

    (run,) = paragraph(document, PROMPT).runs
    assert run.italic is True
    assert is_grey(run.font.color.rgb)
    assert ANSWER not in [p.text for p in document.paragraphs]


def test_each_writing_line_is_drawn_and_stays_with_its_question(
    mini_text, render_blueprint, read_document
):
    document = read_document(render_blueprint(mini_text, fmt="docx"))

    paragraphs = document.paragraphs
    index = [p.text for p in paragraphs].index(PROMPT)
    question, lines = paragraphs[index], paragraphs[index + 1 : index + 4]
    for line in lines:
        borders = line._p.pPr.find(qn("w:pBdr"))
        # Adjacent paragraphs with one border share it; `between` splits them.
        assert [child.tag for child in borders] == [qn("w:bottom"), qn("w:between")]
    keep = [p.paragraph_format.keep_with_next for p in (question, *lines)]
    assert keep == [True, True, True, False]


def test_example_variant_answers_each_prompt(
    mini_text, render_blueprint, read_document
):
    document = read_document(render_blueprint(mini_text, "example", "docx"))

    texts = [p.text for p in document.paragraphs]
    assert texts[texts.index(PROMPT) + 1] == ANSWER
    assert not paragraph(document, ANSWER).runs[0].italic


def test_blank_table_has_empty_rows_to_write_in(
    mini_text, render_blueprint, read_document
):
    document = read_document(render_blueprint(mini_text, fmt="docx"))

    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[0] == ["Name", "State", "Target", "Actual", "Gap"]
    assert rows[1:] == [[""] * 5] * 4  # goal_rows is 4


def test_example_table_shows_the_example_rows(
    mini_text, render_blueprint, read_document
):
    document = read_document(render_blueprint(mini_text, "example", "docx"))

    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[1:] == [["Ship it", "Open", "10", "4", "6"]]


@pytest.mark.parametrize("variant", ["blank", "example"])
def test_filter_keeps_only_the_example_rows_it_names(
    variant, mini_text, render_blueprint, read_document
):
    # A form about one goal prints that goal's rows of a table shared by several.
    text = mini_text.replace(
        "            - {name: Ship it, state: Open, target: 10, actual: 4, gap: 6}\n",
        "            - {name: Ship it, state: Open, target: 10, actual: 4, gap: 6}\n"
        "            - {name: Hire two, state: Done, target: 2, actual: 2, gap: 0}\n",
    ).replace(
        "      table: goals\n", "      table: goals\n      filter: {state: Done}\n"
    )

    document = read_document(render_blueprint(text, variant, "docx"))

    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    if variant == "example":
        assert rows[1:] == [["Hire two", "Done", "2", "2", "0"]]
    else:
        assert rows[1:] == [[""] * 5] * 4


def test_okr_example_answers_the_check_in_questions(okr_file, read_document):
    blank = read_document(okr_file("blank", "docx"))
    example = read_document(okr_file("example", "docx"))
    answer = "A press contact list from Communications."

    assert answer in [p.text for p in example.paragraphs]
    assert answer not in [p.text for p in blank.paragraphs]
    prompt = paragraph(blank, "What do we need from other teams?")
    assert prompt.runs[0].italic is True


@pytest.mark.parametrize(("share", "shown"), [("0.525", "53 %"), ("0.625", "63 %")])
def test_percent_rounds_half_up_as_the_workbook_shows_it(
    mini_text, render_blueprint, read_document, share, shown
):
    # Excel's "0%" format shows 0.525 as 53%; the printed form must agree.
    text = mini_text.replace(
        "- {key: target,",
        "- {key: share, header: Share, type: percent}\n            - {key: target,",
    ).replace("state: Open,", f"state: Open, share: {share},")

    document = read_document(render_blueprint(text, "example", "docx"))

    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[0][2] == "Share"
    assert rows[1][2] == shown


# Determinism


def test_same_inputs_give_byte_identical_documents(okr_file):
    resolved = resolve(load_blueprint(builtin_path("okr")), "example", as_of=AS_OF)

    assert render_document(resolved) == okr_file("example", "docx")
    assert render_document(resolved) == render_document(resolved)


def test_document_dates_are_the_build_date(okr_document):
    properties = okr_document.core_properties

    assert properties.created == dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    assert properties.modified == dt.datetime(2026, 12, 3, tzinfo=dt.UTC)


CANVAS_SECTION = """\
    - heading: Canvas
      box_columns: 3
      boxes:
        - {title: Product, prompt: "What do we sell?", answer: Team notes, lines: 2}
        - {title: Value, prompt: "Why do customers care?", answer: Saves an hour}
        - {title: Game, prompt: "Attention or transaction?"}
        - {title: Risks}
"""


@pytest.mark.parametrize("variant", ["blank", "example"])
def test_canvas_boxes_are_a_grid_of_framed_areas(
    variant, mini_text, render_blueprint, read_document
):
    text = mini_text.replace(
        "document:\n  sections:\n", "document:\n  sections:\n" + CANVAS_SECTION
    )
    document = read_document(render_blueprint(text, variant, "docx"))

    canvas = document.tables[0]
    assert (len(canvas.rows), len(canvas.columns)) == (2, 3)
    product = canvas.rows[0].cells[0]
    assert product.paragraphs[0].text == "Product"
    assert product.paragraphs[1].text == "What do we sell?"
    if variant == "example":
        assert [p.text for p in product.paragraphs[2:]] == ["Team notes"]
    else:
        assert [p.text for p in product.paragraphs[2:]] == ["", ""]
    assert canvas.rows[1].cells[0].paragraphs[0].text == "Risks"
    for row in canvas.rows:  # a box is never cut in two by a page break
        assert row._tr.trPr.find(qn("w:cantSplit")) is not None
