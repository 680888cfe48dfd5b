"""A company's profile: name, logo, colours, fiscal year, currency and people.

Loaded from `company.yaml`, validated with every problem reported at once as
`FILE:LINE:COL: field: what`, and turned into the theme and text context that
renderers and blueprint text use.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

from babel.numbers import get_currency_precision, get_currency_symbol, list_currencies
from PIL import Image
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from perftemplates.blueprint.brand import DATE_FORMATS, Brand
from perftemplates.blueprint.load import pydantic_problems
from perftemplates.blueprint.model import Colour
from perftemplates.blueprint.yamlsource import load_source
from perftemplates.errors import BlueprintError
from perftemplates.theme import Theme

MAX_LOGO_BYTES = 5 * 1024 * 1024
# File signatures: what a PNG or JPEG file starts with, whatever its name says.
IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg"}
# A logo prints half an inch tall: 144 pixels at 288 dots per inch keep it sharp.
LOGO_PIXELS = 144
LOGO_DPI = 288


class Person(BaseModel):
    """Someone who can own goals: fills the People sheet and owner drop-downs."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    team: str = ""
    email: str = ""


class Colours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary: Colour = "#1F4E79"
    accent: Colour = "#2E75B6"


class CompanyProfile(BaseModel):
    """Everything `company.yaml` may hold; each key is documented by `init`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    logo: Path | None = None
    colours: Colours = Colours()
    font: str = Field(default="Calibri", min_length=1, max_length=60)
    fiscal_year_start: int = Field(default=1, ge=1, le=12)
    currency: str = "USD"
    date_format: str = "yyyy-mm-dd"
    page_size: Literal["A4", "Letter"] = "A4"
    people: list[Person] = []

    @field_validator("date_format")
    @classmethod
    def _known_date_format(cls, text: str) -> str:
        if text not in DATE_FORMATS:
            raise ValueError(
                f"expected one of {', '.join(DATE_FORMATS)}; found {text!r}"
            )
        return text

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, code: str) -> str:
        if code not in list_currencies():
            raise ValueError(
                "expected a three-letter ISO 4217 currency code such as EUR, USD or "
                f"JPY; found {code!r}"
            )
        return code

    def brand(self) -> Brand:
        """What renderers need from the profile."""
        theme = Theme(
            primary=self.colours.primary.upper(),
            accent=self.colours.accent.upper(),
            font=self.font,
        )
        return Brand(
            company=self.name,
            theme=theme,
            currency=self.currency,
            currency_symbol=get_currency_symbol(self.currency, locale="en"),
            currency_decimals=get_currency_precision(self.currency),
            date_format=self.date_format,
            page_size=self.page_size,
            logo=print_logo(self.logo) if self.logo else None,
            fiscal_year_start=self.fiscal_year_start,
            people=tuple((p.name, p.team, p.email) for p in self.people),
            from_profile=True,
        )


def load_company(path: Path | str) -> CompanyProfile:
    """Load and check a profile; the logo path is relative to the profile file."""
    source = load_source(path)
    problems = list(source.problems)
    data = source.data if isinstance(source.data, dict) else {}
    try:
        profile = CompanyProfile.model_validate(data)
    except ValidationError as exc:
        problems += pydantic_problems(exc, source, CompanyProfile)
        raise BlueprintError(problems) from None
    if profile.logo is not None:
        logo = Path(path).parent / profile.logo
        problem = _logo_problem(logo)
        if problem:
            problems.append(source.problem(("logo",), problem))
        profile = profile.model_copy(update={"logo": logo})
    if problems:
        raise BlueprintError(problems)
    return profile


def print_logo(logo: Path) -> bytes:
    """The logo as a small PNG whose DPI makes it print half an inch tall.

    Spreadsheet print headers cannot scale an image, so the file itself must be
    the right size.
    """
    with Image.open(logo) as image:
        image = image.convert("RGBA")
        scale = LOGO_PIXELS / image.height
        size = (max(1, round(image.width * scale)), LOGO_PIXELS)
        small = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "PNG", dpi=(LOGO_DPI, LOGO_DPI), optimize=False)
    return buffer.getvalue()


def _logo_problem(logo: Path) -> str | None:
    if not logo.is_file():
        return f"logo file not found: {logo}"
    size = logo.stat().st_size
    if size > MAX_LOGO_BYTES:
        return f"expected a logo of at most 5 MB; found {size / 1024 / 1024:.1f} MB"
    with logo.open("rb") as stream:
        head = stream.read(8)
    if not any(head.startswith(signature) for signature in IMAGE_SIGNATURES):
        return f"expected a PNG or JPEG image; {logo.name} is neither"
    return None
