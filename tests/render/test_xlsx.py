"""The workbook renderer, read back with openpyxl as a spreadsheet program sees it."""

import datetime as dt
import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from openpyxl.utils import get_column_letter

from perftemplates.blueprint.load import builtin_ids, builtin_path, load_blueprint
from perftemplates.blueprint.resolve import resolve
from perftemplates.layout import plan
from perftemplates.render import xlsx
from perftemplates.render.xlsx import render_workbook
from perftemplates.templates import find_template, render

AS_OF = dt.date(2026, 12, 3)
OKR_SHEETS = ["Objectives", "Key results", "Check-ins", "Dashboard", "People"]
# Excel stores a column width as characters plus 5 pixels of padding on 7-pixel digits.
WIDTH_PADDING = 5 / 7


TEAMS = [f"Team {n:02d}" for n in range(40)]


def cell(row: int, col: int) -> str:
    """A1 address of zero-based row and column, as the layout counts them."""
    return f"{get_column_letter(col + 1)}{row + 1}"


def value_beside(sheet, label: str):
    """The cell right of the first cell in column B whose text is `label`."""
    for (label_cell,) in sheet.iter_rows(min_col=2, max_col=2):
        if label_cell.value == label:
            return sheet.cell(label_cell.row, 3)
    raise AssertionError(f"no label {label!r} on {sheet.title}")


def column_width(sheet, col: int) -> float | None:
    """The width of zero-based column `col`, from whichever <col> range holds it."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min <= col + 1 <= dimension.max and dimension.customWidth:
            return dimension.width
    return None


def header_sections(code: str) -> dict[str, str]:
    """Excel header code split into its &L, &C and &R sections ('&&' is one '&')."""
    sections = {"L": "", "C": "", "R": ""}
    current, index = "C", 0
    while index < len(code):
        if code.startswith("&&", index):
            sections[current] += "&"
            index += 2
        elif code[index] == "&" and code[index + 1 : index + 2] in ("L", "C", "R"):
            current = code[index + 1]
            index += 2
        else:
            sections[current] += code[index]
            index += 1
    return sections


def raw_header(data: bytes, sheet_number: int) -> str:
    """The oddHeader element's text of the n-th sheet part, exactly as stored."""
    part = f"xl/worksheets/sheet{sheet_number}.xml"
    root = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read(part))
    namespace = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    return root.find(f"{namespace}headerFooter/{namespace}oddHeader").text


# The OKR workbook, blank and example


@pytest.fixture(scope="module", params=["blank", "example"])
def okr(request, okr_file, read_workbook):
    """(resolved template, its layout, the workbook read back) for one variant."""
    resolved = resolve(load_blueprint(builtin_path("okr")), request.param, as_of=AS_OF)
    book = read_workbook(okr_file(request.param, "xlsx"))
    return resolved, plan(resolved), book


def input_columns(table):
    return [c for c in table.columns if not (c.formula or c.sparkline or c.values)]


def test_okr_sheets_are_guide_first_then_the_blueprints_then_settings(okr):
    _, _, book = okr

    assert book.sheetnames == ["Guide", *OKR_SHEETS, "Settings"]
    assert [sheet.sheet_state for sheet in book.worksheets] == ["visible"] * 7


def test_okr_table_headers_sit_on_their_header_rows(okr):
    resolved, layout, book = okr
    checked = 0
    for table in resolved.tables():
        place = layout.tables[table.key]
        sheet = book[place.sheet]
        for column in table.columns:
            header = sheet[cell(place.header_row, place.columns[column.key])]
            assert header.value == column.header, f"{table.key}.{column.key}"
            checked += 1
    assert book["Check-ins"]["C4"].value == "W1"
    assert book["Check-ins"]["O4"].value == "W13"
    assert checked > 60


def test_okr_formula_cells_hold_formulas_and_input_cells_never_do(okr):
    resolved, layout, book = okr
    for table in resolved.tables():
        place = layout.tables[table.key]
        sheet = book[place.sheet]
        for row in range(place.first_row, place.last_row + 1):
            for column in table.columns:
                found = sheet[cell(row, place.columns[column.key])]
                where = f"{table.key}.{column.key} at {found.coordinate}"
                if column.formula:
                    assert found.data_type == "f", where
                    assert found.value.startswith("="), where
                else:
                    assert found.data_type != "f", where
                    assert not str(found.value or "").startswith("="), where


def test_okr_every_setting_is_a_defined_name_on_its_settings_row(okr):
    resolved, _, book = okr
    settings = book["Settings"]
    for setting in resolved.settings:
        assert setting.key in book.defined_names, setting.key
        target = book.defined_names[setting.key].attr_text
        match = re.fullmatch(r"'Settings'!\$C\$(\d+)", target)
        assert match, f"{setting.key} -> {target}"
        assert settings[f"B{match.group(1)}"].value == setting.label


def test_okr_input_columns_have_the_data_validation_of_their_type(okr):
    resolved, layout, book = okr
    kinds = {"choice": "list", "yesno": "list", "date": "date", "integer": "whole"}
    kinds |= {"number": "decimal", "percent": "decimal", "currency": "decimal"}
    checked = 0
    for table in resolved.tables():
        place = layout.tables[table.key]
        sheet = book[place.sheet]
        rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
        for column in input_columns(table):
            if column.type not in kinds:
                continue
            col = place.columns[column.key]
            cells = f"{cell(place.first_row, col)}:{cell(place.last_row, col)}"
            assert cells in rules, f"{table.key}.{column.key}"
            assert rules[cells].type == kinds[column.type], f"{table.key}.{column.key}"
            checked += 1
    assert checked >= 20


def test_okr_choices_from_another_table_point_at_that_column(okr):
    _, _, book = okr
    validations = book["Key results"].data_validations.dataValidation
    rules = {str(v.sqref): v.formula1 for v in validations}

    # objectives.id is column B, rows 9 to 13, of Objectives; people.name is B5:B24.
    assert rules["C5:C19"] == "'Objectives'!$B$9:$B$13"
    assert rules["L5:L19"] == "'People'!$B$5:$B$24"
    assert rules["E5:E19"] == '"Number,Percent,Currency,Milestone"'


def test_okr_settings_have_validations_for_date_and_ranged_numbers(okr):
    _, _, book = okr
    settings = book["Settings"]
    rules = {str(v.sqref): v for v in settings.data_validations.dataValidation}
    as_of = value_beside(settings, "Status date (leave blank for today)").coordinate
    stale = value_beside(settings, "A check-in is stale after (days)").coordinate

    assert rules[as_of].type == "date"
    assert (rules[stale].type, rules[stale].formula1, rules[stale].formula2) == (
        "whole",
        "1",
        "90",
    )


def test_okr_status_columns_have_conditional_formats(okr):
    resolved, layout, book = okr
    checked = 0
    for table in resolved.tables():
        place = layout.tables[table.key]
        formats = book[place.sheet].conditional_formatting
        rules = {str(f.sqref): f.rules for f in formats}
        for column in table.columns:
            if not column.status:
                continue
            col = place.columns[column.key]
            cells = f"{cell(place.first_row, col)}:{cell(place.last_row, col)}"
            expressions = [r for r in rules.get(cells, []) if r.type == "expression"]
            assert len(expressions) == len(column.status), f"{table.key}.{column.key}"
            checked += 1
    assert checked >= 6


def test_okr_status_rule_refers_to_the_first_row_of_its_range(okr):
    _, _, book = okr
    rules = {str(f.sqref): f.rules for f in book["Objectives"].conditional_formatting}

    # Status is the 11th column of objectives (B + 10 = L); rows 9 to 13.
    assert [r.formula for r in rules["L9:L13"]] == [
        ['$L9="Red"'],
        ['$L9="Amber"'],
        ['$L9="Green"'],
    ]


def test_okr_every_sheet_is_protected_without_a_password(okr):
    _, _, book = okr
    for sheet in book.worksheets:
        assert sheet.protection.sheet is True, sheet.title
        assert not sheet.protection.password, sheet.title


def test_okr_input_cells_are_unlocked_and_formula_cells_locked(okr):
    resolved, layout, book = okr
    for table in resolved.tables():
        place = layout.tables[table.key]
        sheet = book[place.sheet]
        inputs = {c.key for c in input_columns(table)}
        for row in range(place.first_row, place.last_row + 1):
            for column in table.columns:
                found = sheet[cell(row, place.columns[column.key])]
                where = f"{table.key}.{column.key} at {found.coordinate}"
                assert found.protection.locked is (column.key not in inputs), where


def test_okr_settings_inputs_are_unlocked_and_computed_settings_locked(okr):
    resolved, _, book = okr
    settings = book["Settings"]
    for setting in resolved.settings:
        found = value_beside(settings, setting.label)
        assert found.protection.locked is bool(setting.formula), setting.key


@pytest.mark.parametrize(
    ("title", "frozen"),
    [
        ("Objectives", "D9"),  # below header row 8, right of objective (C)
        ("Key results", "E5"),  # below header row 4, right of key_result (D)
        ("Check-ins", "C5"),  # right of kr (B)
        ("People", "C5"),  # no freeze key: right of the first column (B)
    ],
)
def test_okr_table_sheets_freeze_headers_and_names(okr, title, frozen):
    _, _, book = okr

    assert book[title].freeze_panes == frozen


def test_okr_column_widths_follow_the_blueprint(okr):
    # Sheets holding only one table; on others a column is as wide as its widest use.
    resolved, layout, book = okr
    for key in ("key_results", "people"):
        table = resolved.table(key)
        place = layout.tables[key]
        for column in table.columns:
            width = column_width(book[place.sheet], place.columns[column.key])
            assert width == pytest.approx(column.width + WIDTH_PADDING, abs=0.01), (
                f"{key}.{column.key}"
            )


def test_okr_sheets_print_in_their_orientation_one_page_wide(okr):
    resolved, _, book = okr
    declared = {s.title: s.orientation for s in resolved.blueprint.sheets}
    for title in OKR_SHEETS:
        sheet = book[title]
        assert sheet.page_setup.orientation == declared[title], title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True, title
        assert (sheet.page_setup.fitToWidth or 1) == 1, title  # 1 is the default
        assert sheet.page_setup.fitToHeight == 0, title
        assert sheet.page_setup.paperSize == 9, title  # A4, as the blueprint says
    assert declared["Objectives"] == "landscape"


@pytest.mark.parametrize(
    ("title", "rows"),
    [("Objectives", "$8:$8"), ("Key results", "$4:$4"), ("People", "$4:$4")],
)
def test_okr_table_header_row_repeats_on_every_printed_page(okr, title, rows):
    _, _, book = okr

    assert book[title].print_title_rows == rows


def test_okr_header_and_footer_name_company_sheet_period_and_page(okr, okr_file):
    resolved, _, book = okr
    data = okr_file(resolved.variant, "xlsx")
    company = "Northwind Example Ltd" if resolved.variant == "example" else ""
    period = "FY2026 Q3" if resolved.variant == "example" else "FY2026 Q4"
    for number, sheet in enumerate(book.worksheets, start=1):
        assert header_sections(raw_header(data, number)) == {
            "L": company,
            "C": sheet.title,
            "R": period,
        }
        assert sheet.oddFooter.left.text == "OKR planning sheet", sheet.title
        assert sheet.oddFooter.right.text == "Page &P of &N", sheet.title


@pytest.mark.parametrize("written", ["NO", "01234", "+4412345", "1.10", "12:30"])
def test_text_is_written_as_the_literal_text(
    mini_text, render_blueprint, read_workbook, written
):
    text = mini_text.replace("default: NO}", f"default: {written}}}").replace(
        "{name: Ship it,", f"{{name: {written},"
    )

    book = read_workbook(render_blueprint(text, "example"))

    country = value_beside(book["Settings"], "Country")
    name = book["Goals"]["B5"]
    assert (country.value, country.data_type) == (written, "s")
    assert (name.value, name.data_type) == (written, "s")


def test_example_text_that_looks_like_a_formula_stays_text(
    mini_text, render_blueprint, read_workbook
):
    text = mini_text.replace("{name: Ship it,", "{name: '=1+1',")

    book = read_workbook(render_blueprint(text, "example"))

    assert book["Goals"]["B5"].value == "=1+1"
    assert book["Goals"]["B5"].data_type == "s"


def test_setting_given_as_a_formula_stays_text(
    mini_text, render_blueprint, read_workbook
):
    book = read_workbook(render_blueprint(mini_text, overrides={"company": "=1+1"}))

    company = value_beside(book["Settings"], "Company")
    assert (company.value, company.data_type) == ("=1+1", "s")


def with_choices(text: str, choices: list[str]) -> str:
    items = ", ".join(f'"{choice}"' for choice in choices)
    return text.replace("choices: [Open, Done]", f"choices: [{items}]").replace(
        "state: Open,", ""
    )


def test_long_choice_list_goes_to_the_hidden_lists_sheet(
    mini_text, render_blueprint, read_workbook
):
    book = read_workbook(render_blueprint(with_choices(mini_text, TEAMS)))

    (rule,) = [
        v for v in book["Goals"].data_validations.dataValidation if v.type == "list"
    ]
    assert str(rule.sqref) == "C5:C8"
    assert rule.formula1 == "Lists!$A$1:$A$40"
    assert [row[0].value for row in book["Lists"].iter_rows()] == TEAMS
    assert book["Lists"].sheet_state == "hidden"
    assert book.sheetnames[0] == "Guide"
    assert book.sheetnames[-1] == "Settings"


def test_choice_holding_a_comma_goes_to_the_lists_sheet(
    mini_text, render_blueprint, read_workbook
):
    choices = ["Open", "Blocked, waiting on vendor", "Done"]

    book = read_workbook(render_blueprint(with_choices(mini_text, choices)))

    (rule,) = [
        v for v in book["Goals"].data_validations.dataValidation if v.type == "list"
    ]
    assert rule.formula1 == "Lists!$A$1:$A$3"
    assert [row[0].value for row in book["Lists"].iter_rows()] == choices
    assert book["Lists"].sheet_state == "hidden"


def test_short_choice_list_stays_inline(mini_text, render_blueprint, read_workbook):
    book = read_workbook(render_blueprint(mini_text))

    (rule,) = [
        v for v in book["Goals"].data_validations.dataValidation if v.type == "list"
    ]
    assert rule.formula1 == '"Open,Done"'
    assert "Lists" not in book.sheetnames


@pytest.mark.parametrize(("length", "inline"), [(255, True), (256, False)])
def test_choice_list_is_inline_up_to_excels_255_characters(
    mini_text, render_blueprint, read_workbook, length, inline
):
    # 51 items of four characters and 50 commas make 254; the last item pads.
    choices = [f"C{n:03d}" for n in range(50)]
    choices.append("X" * (length - len(",".join(choices)) - 1))
    assert len(",".join(choices)) == length

    book = read_workbook(render_blueprint(with_choices(mini_text, choices)))

    (rule,) = [
        v for v in book["Goals"].data_validations.dataValidation if v.type == "list"
    ]
    assert rule.formula1.startswith('"') is inline


def test_lists_sheet_keeps_each_long_list_in_its_own_column(
    mini_text, render_blueprint, read_workbook
):
    text = with_choices(mini_text, TEAMS).replace(
        "- {key: target,",
        '- {key: mood, header: Mood, type: choice, choices: ["Fine, thanks", Bad]}\n'
        "            - {key: target,",
    )

    book = read_workbook(render_blueprint(text))

    formulas = sorted(
        v.formula1
        for v in book["Goals"].data_validations.dataValidation
        if v.type == "list"
    )
    assert formulas == ["Lists!$A$1:$A$40", "Lists!$B$1:$B$2"]
    assert book["Lists"]["B1"].value == "Fine, thanks"


# Company names in headers and settings


@pytest.mark.parametrize(
    "company", ["Smith & Sons <Ltd>", "Smith & Sons\x0b <Ltd>"], ids=["plain", "VT"]
)
def test_company_with_ampersand_and_control_character(
    mini_text, render_blueprint, read_workbook, company
):
    book = read_workbook(render_blueprint(mini_text, overrides={"company": company}))

    for sheet in book.worksheets:
        # openpyxl shows the header code as stored: a literal '&' is written '&&'.
        assert sheet.oddHeader.left.text == "Smith && Sons <Ltd>", sheet.title
        assert sheet.oddHeader.center.text == sheet.title
    assert value_beside(book["Settings"], "Company").value == "Smith & Sons <Ltd>"


def test_company_cut_to_fit_the_header_never_splits_an_escaped_ampersand(
    mini_text, render_blueprint
):
    company = "A" * 79 + "& Co"  # the 80th character is the '&'

    data = render_blueprint(mini_text, overrides={"company": company})

    sections = header_sections(raw_header(data, 2))
    assert sections["C"] == "Goals"
    assert sections["R"] == "FY2026 Q4"
    assert sections["L"].startswith("A" * 79)


# Determinism and the renderer's own guard


def test_same_inputs_give_byte_identical_workbooks(okr_file):
    first = okr_file("example", "xlsx")
    resolved = resolve(load_blueprint(builtin_path("okr")), "example", as_of=AS_OF)

    assert render_workbook(resolved) == first
    assert render_workbook(resolved) == render_workbook(resolved)


def test_blank_workbook_is_byte_identical_across_renders(mini_text, render_blueprint):
    assert render_blueprint(mini_text) == render_blueprint(mini_text)


@pytest.mark.parametrize("template_id", builtin_ids())
def test_skipping_xlsxwriters_function_expansion_changes_no_byte(
    template_id, monkeypatch
):
    template = find_template(template_id)
    fast = render(template, "example", "xlsx", AS_OF)

    monkeypatch.setattr(xlsx, "_skip_function_expansion", lambda worksheet: None)

    assert render(template, "example", "xlsx", AS_OF) == fast
