"""Company profiles: checked input, and the brand read back from the files."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.shared import Cm, Emu
from PIL import Image

from office import quiet_openpyxl
from perftemplates.blueprint.resolve import resolve
from perftemplates.company import LOGO_DPI, LOGO_PIXELS, load_company
from perftemplates.errors import BlueprintError
from perftemplates.layout import plan
from perftemplates.templates import find_template, render
from perftemplates.theme import Theme, contrast

AS_OF = dt.date(2026, 8, 20)  # in July-start FY2027 Q1, calendar 2026 Q3
PRIMARY = "#0B5563"
ACCENT = "#E07A1F"

# A template with a currency, a date and a formula column, written next to the tests.
BRANDED = """\
id: branded
title: Branded plan
summary: A small template for brand tests.
period: year
settings:
  - {key: limit, label: Largest gap, type: currency, default: 500}
sheets:
  - key: budget_sheet
    title: Budget
    guide: One row per item.
    blocks:
      - table:
          key: items
          rows: 4
          columns:
            - {key: item, header: Item, type: text}
            - {key: due, header: Due, type: date}
            - {key: budget, header: Budget, type: currency}
            - {key: spent, header: Spent, type: currency}
            - {key: left, header: Left, type: currency, formula: "[budget]-[spent]"}
          example:
            - {item: Printing, due: 2026-01-16, budget: 1250.5, spent: 250.25,
               left: 1000.25}
document:
  sections:
    - heading: Items
      table: items
"""


def make_logo(path: Path, size: tuple[int, int] = (300, 100)) -> Path:
    image = Image.new("RGB", size, (11, 85, 99))
    image.save(path, "PNG")
    return path


def write_profile(folder: Path, text: str, *, logo: bool = False) -> Path:
    """A company.yaml in `folder` (and a real logo.png beside it if asked)."""
    if logo:
        make_logo(folder / "logo.png")
    path = folder / "company.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def brand_of(folder: Path, **fields: str):
    """The brand of a profile made of `fields` (YAML text values) and a logo."""
    values = {
        "name": "Northwind Regional Services Agency",
        "logo": "logo.png",
        "colours": f'{{primary: "{PRIMARY}", accent: "{ACCENT}"}}',
        "fiscal_year_start": "7",
        "currency": "EUR",
        "date_format": "dd/mm/yyyy",
        "page_size": "A4",
    } | fields
    text = "".join(f"{key}: {value}\n" for key, value in values.items())
    return load_company(write_profile(folder, text, logo=True)).brand()


def workbook(data: bytes) -> openpyxl.Workbook:
    with quiet_openpyxl():
        return openpyxl.load_workbook(io.BytesIO(data))


def document(data: bytes):
    return docx.Document(io.BytesIO(data))


def branded_template(tmp_path: Path):
    path = tmp_path / "branded.yaml"
    path.write_text(BRANDED, encoding="utf-8")
    return find_template(str(path))


# Loading a profile


def test_profile_loads_with_logo_relative_to_its_file(tmp_path):
    folder = tmp_path / "profile"
    folder.mkdir()
    path = write_profile(folder, "name: Acme\nlogo: logo.png\n", logo=True)

    profile = load_company(path)
    brand = profile.brand()

    assert profile.logo == folder / "logo.png"
    assert (brand.currency, brand.currency_symbol, brand.currency_decimals) == (
        "USD",
        "$",
        2,
    )
    assert (brand.fiscal_year_start, brand.date_format, brand.company) == (
        1,
        "yyyy-mm-dd",
        "Acme",
    )


def test_logo_is_resized_to_print_half_an_inch_tall(tmp_path):
    brand = brand_of(tmp_path)

    with Image.open(io.BytesIO(brand.logo)) as logo:
        assert logo.format == "PNG"
        assert logo.size == (LOGO_PIXELS * 3, LOGO_PIXELS)  # 300 x 100 scaled
        assert [round(d) for d in logo.info["dpi"]] == [LOGO_DPI, LOGO_DPI]


def test_every_problem_of_a_profile_is_reported_at_once(tmp_path):
    path = write_profile(
        tmp_path, "name: Acme\ncurrency: EURO\nfiscal_year_start: 13\n"
    )

    with pytest.raises(BlueprintError) as caught:
        load_company(path)

    assert sorted((p.line, p.where) for p in caught.value.problems) == [
        (2, "currency"),
        (3, "fiscal_year_start"),
    ]


# Bad input through the command line: one message, exit code 2, nothing written

BAD_PROFILES = {
    "logo file missing": (
        "name: Acme\nlogo: nothere.png\n",
        "{path}:2:7: logo: logo file not found: {folder}/nothere.png",
    ),
    "logo not an image": (
        "name: Acme\nlogo: logo.png\n",
        "{path}:2:7: logo: expected a PNG or JPEG image; logo.png is neither",
    ),
    "logo over 5 MB": (
        "name: Acme\nlogo: big.png\n",
        "{path}:2:7: logo: expected a logo of at most 5 MB; found 5.5 MB",
    ),
    "colour as a name": (
        "name: Acme\ncolours:\n  primary: blue\n",
        "{path}:3:12: colours.primary: expected a colour written as #RRGGBB, "
        "such as #1F4E79; found 'blue'",
    ),
    "colour of five digits": (
        'name: Acme\ncolours:\n  accent: "#12345"\n',
        "{path}:3:11: colours.accent: expected a colour written as #RRGGBB, "
        "such as #1F4E79; found '#12345'",
    ),
    "currency not ISO 4217": (
        "name: Acme\ncurrency: EURO\n",
        "{path}:2:11: currency: expected a three-letter ISO 4217 currency code "
        "such as EUR, USD or JPY; found 'EURO'",
    ),
    "fiscal year starting in month 13": (
        "name: Acme\nfiscal_year_start: 13\n",
        "{path}:2:20: fiscal_year_start: input should be less than or equal to 12; "
        "found '13'",
    ),
    "unknown date format": (
        "name: Acme\ndate_format: yyyy/mm/dd\n",
        "{path}:2:14: date_format: expected one of yyyy-mm-dd, dd/mm/yyyy, "
        "mm/dd/yyyy, dd.mm.yyyy, d mmm yyyy; found 'yyyy/mm/dd'",
    ),
    "misspelt key": (
        'name: Acme\ncolors: {primary: "#000000"}\n',
        "{path}:2:1: colors: unknown key 'colors'; did you mean 'colours'?",
    ),
}


@pytest.mark.parametrize("case", list(BAD_PROFILES))
def test_bad_profile_is_one_clear_message_and_nothing_is_written(case, run, tmp_path):
    text, message = BAD_PROFILES[case]
    (tmp_path / "logo.png").write_text("not an image\n", encoding="utf-8")
    with (tmp_path / "big.png").open("wb") as big:
        big.write(b"\x89PNG\r\n\x1a\n")
        big.truncate(int(5.5 * 1024 * 1024))
    path = write_profile(tmp_path, text)
    out = tmp_path / "out"

    code, stdout, stderr = run(
        "render", "okr", "--company", str(path), "--out", str(out)
    )

    assert code == 2
    assert stdout == ""
    assert stderr == "Error: " + message.format(path=path, folder=tmp_path) + "\n"
    assert not out.exists()


@pytest.mark.parametrize("command", ["pack", "validate"])
def test_pack_and_validate_refuse_a_bad_profile_too(command, run, tmp_path):
    path = write_profile(tmp_path, "name: Acme\nlogo: nothere.png\n")
    out = tmp_path / "out"
    rest = ["--out", str(out)] if command == "pack" else [str(path)]

    code, _, stderr = run(command, "--company", str(path), *rest)

    assert code == 2
    assert f"{path}:2:7: logo: logo file not found: " in stderr
    assert not out.exists()


# Contrast: header text is black or white, whichever reads better


def _colours() -> list[str]:
    steps = (0x00, 0x33, 0x66, 0x80, 0x99, 0xCC, 0xFF)
    cube = [f"#{r:02X}{g:02X}{b:02X}" for r in steps for g in steps for b in steps]
    greys = [f"#{v:02X}{v:02X}{v:02X}" for v in range(256)]
    return cube + greys + [PRIMARY, ACCENT, "#1F4E79", "#2E75B6", "#767676"]


def test_contrast_follows_wcag():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21)
    assert contrast("#FFFFFF", "#000000") == pytest.approx(21)
    assert contrast("#777777", "#777777") == pytest.approx(1)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


def test_text_on_any_fill_reaches_wcag_aa_contrast():
    theme = Theme()
    weak = [c for c in _colours() if contrast(c, theme.on(c)) < 4.5]

    assert weak == []


@pytest.mark.parametrize(
    ("fill", "text"),
    [
        ("#FFFFFF", "#000000"),
        ("#000000", "#FFFFFF"),
        ("#777777", "#000000"),  # mid grey: black reads better (4.69 vs 4.48)
        ("#6F6F6F", "#FFFFFF"),
        (PRIMARY, "#FFFFFF"),
        ("#F2C94C", "#000000"),
    ],
)
def test_text_colour_is_the_one_with_more_contrast(fill, text):
    assert Theme().on(fill) == text


# The brand read back from workbooks and documents


def _header_cell(sheet, text: str):
    return next(cell for row in sheet.iter_rows() for cell in row if cell.value == text)


@pytest.mark.parametrize(
    ("primary", "text"), [(PRIMARY, "FFFFFFFF"), ("#F2C94C", "FF000000")]
)
def test_table_headers_fill_with_primary_and_text_by_contrast(primary, text, tmp_path):
    brand = brand_of(tmp_path, colours=f'{{primary: "{primary}"}}')

    book = workbook(render(find_template("okr"), "blank", "xlsx", AS_OF, brand=brand))
    cell = _header_cell(book["Key results"], "Key result")
    doc = document(render(find_template("okr"), "blank", "docx", AS_OF, brand=brand))
    word_cell = doc.tables[0].rows[0].cells[0]

    assert cell.fill.fgColor.rgb == "FF" + primary[1:]
    assert cell.font.color.rgb == text
    assert word_cell._tc.xpath("./w:tcPr/w:shd/@w:fill") == [primary[1:]]
    assert str(word_cell.paragraphs[0].runs[0].font.color.rgb) == text[2:]


def test_tabs_take_the_primary_accent_and_grey(tmp_path):
    brand = brand_of(tmp_path)

    book = workbook(render(find_template("okr"), "blank", "xlsx", AS_OF, brand=brand))
    tabs = {s.title: s.sheet_properties.tabColor.rgb for s in book.worksheets}

    assert tabs.pop("Guide") == "FF0B5563"
    assert tabs.pop("Settings") == "FF808080"
    assert set(tabs.values()) == {"FFE07A1F"}


def test_logo_sits_on_the_guide_sheet_and_in_print_headers(tmp_path):
    brand = brand_of(tmp_path)

    book = workbook(render(find_template("okr"), "blank", "xlsx", AS_OF, brand=brand))

    assert len(book["Guide"]._images) == 1
    assert [len(s._images) for s in book.worksheets[1:]] == [0] * (
        len(book.worksheets) - 1
    )
    assert {s.oddHeader.left.text for s in book.worksheets} == {
        "&G Northwind Regional Services Agency"
    }


def test_logo_is_an_inline_picture_in_the_word_header(tmp_path):
    brand = brand_of(tmp_path)

    doc = document(render(find_template("okr"), "blank", "docx", AS_OF, brand=brand))
    header = doc.sections[0].header
    inline = header._element.xpath(".//wp:inline//a:blip/@r:embed")

    assert len(inline) == 1
    assert header.part.related_parts[inline[0]].blob == brand.logo


def test_company_name_and_period_in_titles_headers_and_footers(tmp_path):
    brand = brand_of(tmp_path)
    okr = find_template("okr")

    book = workbook(render(okr, "blank", "xlsx", AS_OF, brand=brand))
    doc = document(render(okr, "blank", "docx", AS_OF, brand=brand))
    header = doc.sections[0].header.paragraphs[0].text

    assert book["Guide"]["B1"].value == (
        "Northwind Regional Services Agency: OKR planning sheet"
    )
    assert book["Objectives"].oddHeader.right.text == "FY2027 Q1"
    assert header == (
        " Northwind Regional Services Agency\tOKR planning sheet\tFY2027 Q1"
    )
    assert (
        doc.sections[0]
        .footer.paragraphs[0]
        .text.startswith("Northwind Regional Services Agency\t\tPage ")
    )
    assert doc.core_properties.author == "Northwind Regional Services Agency"


@pytest.mark.parametrize(
    ("currency", "number_format", "shown"),
    [
        ("EUR", '"€"#,##0.00', ["€1,250.50", "€250.25", "€1,000.25"]),
        ("JPY", '"¥"#,##0', ["¥1,251", "¥250", "¥1,000"]),
        ("CHF", '"CHF "#,##0.00', ["CHF 1,250.50", "CHF 250.25", "CHF 1,000.25"]),
    ],
)
def test_currency_cells_use_the_profile_currency(
    currency, number_format, shown, tmp_path
):
    brand = brand_of(tmp_path, currency=currency)
    template = branded_template(tmp_path)
    resolved = resolve(template.blueprint, "example", as_of=AS_OF, brand=brand)
    place = plan(resolved).tables["items"]

    book = workbook(render(template, "example", "xlsx", AS_OF, brand=brand))
    doc = document(render(template, "example", "docx", AS_OF, brand=brand))
    sheet = book["Budget"]
    formats = {
        key: sheet.cell(place.first_row + 1, place.columns[key] + 1).number_format
        for key in ("budget", "spent", "left")
    }

    assert formats == dict.fromkeys(("budget", "spent", "left"), number_format)
    assert [cell.text for cell in doc.tables[0].rows[1].cells[2:]] == shown


@pytest.mark.parametrize(
    ("date_format", "shown"),
    [("dd/mm/yyyy", "16/01/2026"), ("mm/dd/yyyy", "01/16/2026")],
)
def test_dates_use_the_profile_date_format(date_format, shown, tmp_path):
    brand = brand_of(tmp_path, date_format=date_format)
    template = branded_template(tmp_path)
    resolved = resolve(template.blueprint, "example", as_of=AS_OF, brand=brand)
    place = plan(resolved).tables["items"]
    settings = plan(resolved).fields["period_start"]

    book = workbook(render(template, "example", "xlsx", AS_OF, brand=brand))
    doc = document(render(template, "example", "docx", AS_OF, brand=brand))
    due = book["Budget"].cell(place.first_row + 1, place.columns["due"] + 1)
    start = book["Settings"].cell(settings.row + 1, settings.col + 1)

    assert due.number_format == start.number_format == date_format
    assert doc.tables[0].rows[1].cells[1].text == shown


@pytest.mark.parametrize(
    ("size", "paper", "width"), [("A4", 9, Cm(21.0)), ("Letter", 1, Emu(7772400))]
)
def test_page_size_follows_the_profile(size, paper, width, tmp_path):
    brand = brand_of(tmp_path, page_size=size)
    okr = find_template("okr")  # its own document page is A4 landscape

    book = workbook(render(okr, "blank", "xlsx", AS_OF, brand=brand))
    section = document(render(okr, "blank", "docx", AS_OF, brand=brand)).sections[0]

    assert {s.page_setup.paperSize for s in book.worksheets} == {paper}
    # Landscape: the short side is the height; Word stores it in whole twips.
    assert abs(section.page_height - width) < Emu(635)


@pytest.mark.parametrize(
    ("start", "months"),
    [
        ("7", "Jul Aug Sep Oct Nov Dec Jan Feb Mar Apr May Jun"),
        ("1", "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"),
        ("4", "Apr May Jun Jul Aug Sep Oct Nov Dec Jan Feb Mar"),
    ],
)
def test_month_columns_start_at_the_fiscal_year_start(start, months, tmp_path):
    brand = brand_of(tmp_path, fiscal_year_start=start)
    kpi = find_template("kpi-dashboard")
    resolved = resolve(kpi.blueprint, "blank", as_of=AS_OF, brand=brand)
    place = plan(resolved).tables["actuals"]

    sheet = workbook(render(kpi, "blank", "xlsx", AS_OF, brand=brand))["Actuals"]
    headers = [
        sheet.cell(place.header_row + 1, place.columns[f"month_{n}"] + 1).value
        for n in range(1, 13)
    ]

    assert " ".join(headers) == months


@pytest.mark.parametrize(
    ("start", "as_of", "label"),
    [
        ("7", dt.date(2026, 8, 20), "FY2027 Q1"),
        ("7", dt.date(2026, 6, 30), "FY2026 Q4"),
        ("7", dt.date(2027, 1, 2), "FY2027 Q3"),
        ("1", dt.date(2026, 8, 20), "FY2026 Q3"),
        ("4", dt.date(2026, 3, 31), "FY2026 Q4"),
    ],
)
def test_quarter_label_counts_from_the_fiscal_year_start(start, as_of, label, tmp_path):
    brand = brand_of(tmp_path, fiscal_year_start=start)

    resolved = resolve(
        find_template("okr").blueprint, "blank", as_of=as_of, brand=brand
    )

    assert resolved.period_label == label


@pytest.mark.office
@pytest.mark.parametrize(
    ("template_id", "start", "expected"),
    [
        ("okr", "7", (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "FY2027 Q1")),
        ("okr", "4", (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "FY2027 Q2")),
        ("mbo", "7", (dt.date(2026, 7, 1), dt.date(2027, 6, 30), "FY2027")),
        ("mbo", "1", (dt.date(2026, 1, 1), dt.date(2026, 12, 31), "FY2026")),
    ],
)
def test_settings_period_dates_compute_in_libreoffice(
    template_id, start, expected, office, tmp_path
):
    brand = brand_of(tmp_path, fiscal_year_start=start)
    template = find_template(template_id)
    resolved = resolve(template.blueprint, "blank", as_of=AS_OF, brand=brand)
    fields = plan(resolved).fields
    source = tmp_path / f"{template_id}.xlsx"
    source.write_bytes(render(template, "blank", "xlsx", AS_OF, brand=brand))

    copy = office.recalculate([source], tmp_path / "recalculated")[source.resolve()]
    with quiet_openpyxl():
        sheet = openpyxl.load_workbook(copy, data_only=True)["Settings"]
    found = [
        sheet.cell(fields[key].row + 1, fields[key].col + 1).value
        for key in ("period_start", "period_end", "period_label")
    ]

    assert [found[0].date(), found[1].date(), found[2]] == list(expected)


# init


def test_init_writes_a_profile_that_validates(run, tmp_path):
    path = tmp_path / "company.yaml"

    code, stdout, _ = run("init", "--out", str(path))
    checked = run("validate", "--company", str(path), str(find_template("okr").path))

    assert (code, stdout) == (0, f"wrote {path}\n")
    assert load_company(path).name == "Example Company Ltd"
    assert checked[0] == 0
    assert checked[1].splitlines()[0] == f"{path}: OK"


def test_init_refuses_to_overwrite_without_force(run, tmp_path):
    path = tmp_path / "company.yaml"
    path.write_text("name: Ours\n", encoding="utf-8")

    code, stdout, stderr = run("init", "--out", str(path))

    assert (code, stdout) == (2, "")
    assert stderr == f"Error: {path} already exists; use --force to overwrite it\n"
    assert path.read_text(encoding="utf-8") == "name: Ours\n"


def test_init_with_force_overwrites(run, tmp_path):
    path = tmp_path / "company.yaml"
    path.write_text("name: Ours\n", encoding="utf-8")

    code, _, _ = run("init", "--out", str(path), "--force")

    assert code == 0
    assert load_company(path).name == "Example Company Ltd"
