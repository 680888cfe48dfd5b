"""Currency symbols and minor units for number formats (ISO 4217 codes)."""

from __future__ import annotations

# code: (symbol, decimals). Codes without a well-known symbol show the code itself.
CURRENCIES = {
    "USD": ("$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
    "JPY": ("¥", 0),
    "CNY": ("¥", 2),
    "INR": ("₹", 2),
    "CAD": ("CA$", 2),
    "AUD": ("A$", 2),
    "NZD": ("NZ$", 2),
    "CHF": ("CHF ", 2),
    "SEK": ("kr ", 2),
    "NOK": ("kr ", 2),
    "DKK": ("kr. ", 2),
    "PLN": ("zł ", 2),
    "CZK": ("Kč ", 2),
    "HUF": ("Ft ", 0),
    "BRL": ("R$", 2),
    "MXN": ("MX$", 2),
    "ZAR": ("R ", 2),
    "KRW": ("₩", 0),
    "SGD": ("S$", 2),
    "HKD": ("HK$", 2),
    "ILS": ("₪", 2),
    "TRY": ("₺", 2),
    "AED": ("AED ", 2),
    "SAR": ("SAR ", 2),
    "ISK": ("kr ", 0),
    "CLP": ("CLP ", 0),
    "VND": ("₫", 0),
    "IDR": ("Rp ", 2),
    "THB": ("฿", 2),
    "PHP": ("₱", 2),
    "KWD": ("KWD ", 3),
    "BHD": ("BHD ", 3),
    "TWD": ("NT$", 2),
    "NGN": ("₦", 2),
}


def currency_format(code: str, decimals: int | None = None) -> str:
    """An Excel number format showing amounts in `code`, such as "€"#,##0.00."""
    symbol, minor = CURRENCIES.get(code, (f"{code} ", 2))
    places = minor if decimals is None else decimals
    number = "#,##0" + ("." + "0" * places if places else "")
    return f'"{symbol}"{number}'
