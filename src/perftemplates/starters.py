"""Commented starter files: a company profile (`init`) and an override (`customize`)."""

from __future__ import annotations

from perftemplates.templates import Template

COMPANY_STARTER = """\
# A company profile for perftemplates: every template rendered with
# `--company company.yaml` carries these. Check it with
# `perftemplates validate --company company.yaml`.

# Shown in page headers, sheet headers and titles.
name: Example Company Ltd

# A PNG or JPEG file of at most 5 MB, relative to this file. It is placed on the
# Guide sheet, in every print header and in the Word page header.
# logo: logo.png

# Header fills, headings and tab colours, as #RRGGBB. Text on them is black or white,
# whichever reads better.
colours:
  primary: "#1F4E79"
  accent: "#2E75B6"

font: Calibri

# The month (1-12) the fiscal year starts in. A fiscal year is named by the calendar
# year in which it ends: with 7, FY2027 runs from July 2026 to June 2027, and its
# first quarter, FY2027 Q1, is July to September 2026.
fiscal_year_start: 1

# An ISO 4217 code: EUR, USD, GBP, JPY (no decimals), ...
currency: USD

# One of: yyyy-mm-dd, dd/mm/yyyy, mm/dd/yyyy, dd.mm.yyyy, d mmm yyyy
date_format: yyyy-mm-dd

# A4 or Letter.
page_size: A4

# The people who can own goals: they fill the People sheet and every Owner
# drop-down of the blank templates.
people:
  - {name: Ana Example, team: Marketing, email: ana@example.invalid}
  - {name: Ben Example, team: Support, email: ben@example.invalid}
"""


def company_starter() -> str:
    return COMPANY_STARTER


def override_starter(template: Template) -> str:
    """An override of `template` with one commented example of each kind of change."""
    blueprint = template.blueprint
    tables = [
        block.table
        for sheet in blueprint.sheets
        for block in sheet.blocks
        if block.table is not None
    ]
    table = tables[0]
    first, second = table.columns[0].key, table.columns[-1].key
    parameter = next(iter(blueprint.parameters), None)
    setting = blueprint.settings[0].key if blueprint.settings else "company"
    sheet = blueprint.sheets[0]
    lines = [
        f"# An override of the built-in '{blueprint.id}' template: only what differs.",
        "# Render it with `perftemplates render THIS-FILE.yaml`, check it with",
        "# `perftemplates validate THIS-FILE.yaml`. Lists of keyed things merge by",
        "# key: an entry changes the one with the same key, `remove: true` deletes",
        "# it, `before:`/`after:` place it, a new key adds one.",
        f"extends: {blueprint.id}",
        "",
        "# A new id makes a separate template; without one this replaces"
        f" '{blueprint.id}'.",
        f"# id: {blueprint.id}-ours",
        "",
        f"title: {blueprint.title} (ours)",
        "",
    ]
    if parameter:
        default = blueprint.parameters[parameter].default
        lines += [
            "# Parameter defaults (row counts, weeks, modes).",
            "parameters:",
            f"  {parameter}: {{default: {default}}}",
            "",
        ]
    lines += [
        "# Settings: thresholds, bands, cut-offs. Change a default or a label,",
        "# or add your own setting.",
        "settings:",
        f"  - {{key: {setting}, label: Our label}}",
        "",
        "# Sheets: titles and guide text.",
        "sheets:",
        f'  - {{key: {sheet.key}, guide: "What this sheet is for, in our words."}}',
        "",
        "# Tables by key: columns (rename by header, add, remove, reorder), choices,",
        "# example or blank rows (which replace the built-in rows), and `rows:` where",
        "# no parameter sets the row count (tables whose rows line up must agree).",
        "tables:",
        f"  {table.key}:",
        "    columns:",
        f"      - {{key: {first}, header: Our name for it}}",
        f"      - {{key: notes, header: Notes, type: longtext, after: {first}}}",
        f"      # - {{key: {second}, remove: true}}",
        "",
        "# Fields and settings by key, wherever they are.",
        "# fields:",
        f"#   {setting}: {{note: Why we chose this value.}}",
        "",
        "# The Word document: page and sections (by heading).",
        "# document:",
        "#   page: {size: Letter, orientation: landscape}",
    ]
    return "\n".join(lines) + "\n"
