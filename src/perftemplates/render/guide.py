"""The framework guide: what each framework is for and which to choose, in Word."""

from __future__ import annotations

import datetime as dt

from perftemplates.blueprint.brand import Brand
from perftemplates.blueprint.model import Page
from perftemplates.frameworks import FRAMEWORKS, FUNCTIONS, STAGES
from perftemplates.render.docx import WordBuilder

TITLE = "Choosing a goal-setting framework"

HOW_THEY_FIT = (
    "KPIs are the vital signs: they say whether the business is healthy today. OKRs "
    "are how a team sets out to change one of those signs, quarter by quarter. MBOs "
    "turn the part each person plays into agreed objectives for their review and, "
    "often, their bonus. A support team might watch a net promoter score of 55 as a "
    "KPI, set an OKR to raise it to 70 this quarter, and give its lead an MBO "
    "objective tied to that result."
)

COMPARISON = [
    [
        "Purpose",
        "Drive change and alignment",
        "Agree individual objectives",
        "Monitor performance",
    ],
    ["Scope", "Broad, aspirational", "Role-based, practical", "Narrow, specific"],
    ["Time frame", "Usually a quarter", "A quarter or a year", "Ongoing"],
    [
        "Ownership",
        "Teams, often cross-functional",
        "An individual and a manager",
        "An individual, a team or the company",
    ],
    ["Tied to pay", "Deliberately not", "Often", "Sometimes, through MBOs"],
    ["Mindset", "Stretch and learn", "Meet expectations", "Maintain or improve"],
]


def render_guide(as_of: dt.date, brand: Brand | None = None) -> bytes:
    """The framework guide as .docx bytes."""
    brand = brand or Brand()
    page = Page(size=brand.page_size or "A4", orientation="portrait")
    word = WordBuilder(brand.theme, page, TITLE, brand.company, "", as_of, brand.logo)
    doc = word.doc
    doc.add_heading(TITLE, level=0)
    doc.add_paragraph(
        "Ten ways to set and track goals, what each is good for, and which suit a "
        "company's size and a team's function. Each framework with a template in "
        "this pack names its file."
    )
    doc.add_heading("How OKRs, KPIs and MBOs fit together", level=1)
    doc.add_paragraph(HOW_THEY_FIT)
    word.text_table(["", "OKR", "MBO", "KPI"], COMPARISON, [1.2, 2, 2, 2])
    doc.add_heading("Choosing by company stage", level=1)
    stages = [
        [key.capitalize(), size, _names(keys)] for key, (size, keys) in STAGES.items()
    ]
    word.text_table(["Stage", "Size", "Frameworks that suit it"], stages, [1.2, 1.6, 4])
    doc.add_heading("Choosing by function", level=1)
    functions = [[label, _names(keys)] for label, keys in FUNCTIONS.values()]
    word.text_table(["Function", "Frameworks that suit it"], functions, [1.6, 4])
    doc.add_heading("The frameworks", level=1)
    for framework in FRAMEWORKS.values():
        doc.add_heading(framework.name, level=2)
        rows = [
            ["For", framework.purpose],
            ["Suits", framework.suits],
            ["Shape", framework.structure],
            ["Strength", framework.strength],
            ["Watch for", framework.caution],
            ["Template", _template_text(framework.templates)],
        ]
        word.text_table(None, rows, [1, 5])
    return word.to_bytes()


def _names(keys: tuple[str, ...]) -> str:
    """Short names: 'OKR', not 'OKR (objectives and key results)'."""
    return ", ".join(FRAMEWORKS[key].name.split(" (")[0] for key in keys)


def _template_text(templates: tuple[str, ...]) -> str:
    if not templates:
        return "No template in this pack yet."
    return ", ".join(f"{t}.xlsx and {t}.docx" for t in templates)
