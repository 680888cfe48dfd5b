"""How a company's files look and count: what resolving passes to renderers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from perftemplates.theme import Theme


@dataclass(frozen=True)
class Brand:
    """The company's look and conventions; the defaults are a neutral house style."""

    company: str = ""
    theme: Theme = field(default_factory=Theme)
    currency: str = "USD"
    currency_symbol: str = "$"
    currency_decimals: int = 2
    date_format: str = "yyyy-mm-dd"
    page_size: str | None = None
    logo: bytes | None = None
    fiscal_year_start: int = 1
    people: tuple[tuple[str, str, str], ...] = ()
    from_profile: bool = False

    def currency_format(self, decimals: int | None = None) -> str:
        """An Excel number format for amounts, such as "€"#,##0.00 or "SEK "#,##0."""
        places = self.currency_decimals if decimals is None else decimals
        number = "#,##0" + ("." + "0" * places if places else "")
        symbol = self.currency_symbol
        # A symbol made of letters (CHF, SEK) reads better with a space after it.
        spaced = symbol + " " if symbol[-1:].isalpha() else symbol
        return f'"{spaced}"{number}'

    def money(self, amount: float, decimals: int | None = None) -> str:
        """An amount as text, as the currency format shows it."""
        places = self.currency_decimals if decimals is None else decimals
        symbol = self.currency_symbol
        spaced = symbol + " " if symbol[-1:].isalpha() else symbol
        return f"{spaced}{amount:,.{places}f}"

    def date_text(self, day: dt.date) -> str:
        """A date as the date format shows it."""
        return day.strftime(DATE_FORMATS[self.date_format])


# The date formats a profile may choose: the Excel code and its strftime twin.
DATE_FORMATS = {
    "yyyy-mm-dd": "%Y-%m-%d",
    "dd/mm/yyyy": "%d/%m/%Y",
    "mm/dd/yyyy": "%m/%d/%Y",
    "dd.mm.yyyy": "%d.%m.%Y",
    "d mmm yyyy": "%d %b %Y",
}
