"""A probe blueprint: one table of typed inputs and a formula per semantic case.

The unit tests check each case's value as computed in Python; the office tests check
the same workbook in LibreOffice, so every expectation here is also an observation.
Where Excel and LibreOffice 7.4 differ, `libreoffice` holds what LibreOffice computes
and the expectation is Excel's.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from perftemplates.evaluate import CellError

AS_OF = dt.date(2026, 12, 3)
SAME = object()


def serial(year: int, month: int, day: int) -> int:
    return (dt.date(year, month, day) - dt.date(1899, 12, 30)).days


def error(code: str) -> CellError:
    return CellError(code)


@dataclass(frozen=True)
class Case:
    """A formula, its result in Excel and, where that differs, in LibreOffice."""

    formula: str
    expected: Any
    libreoffice: Any = SAME


# Table t, six rows (empty where None):
#   n     1, 2, -, 3.5, 10, -          numbers
#   s     a, B, "5", -, abc, "⚠ late"  text
#   d     31 Jan, 28 Feb, -, 3 Dec, 31 Dec 2026, -
#   down  10, 8, 5, 3, -, -            sorted from the top, descending
#   yes   Yes, No, -, Yes, -, -
#   w_1..w_3 (repeated w): 1 - 3 | - 2 - | - - - | 4 5 6 | - - - | - - -
#   f     IF([n]="","",[n]*2): 2, 4, "", 7, 20, ""
ROWS = [
    {"n": 1, "s": "a", "d": "2026-01-31", "down": 10, "yes": "Yes", "w_1": 1, "w_3": 3},
    {"n": 2, "s": "B", "d": "2026-02-28", "down": 8, "yes": "No", "w_2": 2},
    {"s": "5", "down": 5},
    {
        "n": 3.5,
        "d": "2026-12-03",
        "down": 3,
        "yes": "Yes",
        "w_1": 4,
        "w_2": 5,
        "w_3": 6,
    },
    {"n": 10, "s": "abc", "d": "2026-12-31"},
    {"s": "⚠ late"},
]

FIELD_CASES = [
    # Arithmetic and coercion
    Case('1+"2"', 3),
    Case('"abc"*1', error("#VALUE!")),
    Case('""+1', error("#VALUE!")),
    Case("TRUE+1", 2),
    Case('-"3"', -3),
    Case("2^3^2", 64),
    Case("-2^2", 4),
    Case("50%", 0.5),
    Case("1/0", error("#DIV/0!")),
    Case("0.1+0.2-0.3", 0),
    Case("(0.1+0.2)=0.3", True),
    Case("0^0", error("#NUM!"), libreoffice=1),
    Case('--"abc"', error("#VALUE!")),
    Case('"2026-01-05"+0', serial(2026, 1, 5)),
    Case('SUM(1,"2",TRUE)', 4, libreoffice=error("#VALUE!")),
    # An empty cell: 0 in arithmetic, "" in &, equal to both
    Case("INDEX(t.n,3)+1", 1),
    Case('INDEX(t.n,3)&"x"', "x"),
    Case('INDEX(t.n,3)=""', True),
    Case("INDEX(t.n,3)=0", True),
    Case("INDEX(t.n,3)", 0),
    # Comparisons: text ignores case; numbers < text < TRUE/FALSE
    Case('"a"="A"', True),
    Case('"abc">5', True),
    Case('"B">"a"', True),
    Case('TRUE>"abc"', True, libreoffice=False),  # TRUE is the number 1 there
    Case("INDEX(t.f,3)=0", False),
    Case('""<1', False),
    # & writes numbers as General does
    Case('12&""', "12"),
    Case('0.5&""', "0.5"),
    Case('1/3&""', "0.333333333333333"),
    Case('-1.25&""', "-1.25"),
    Case('1E+20&""', "1E+20", libreoffice="1E+020"),
    Case('TRUE&""', "TRUE", libreoffice="1"),
    Case('CONCATENATE("a",TRUE)', "aTRUE", libreoffice="a1"),
    Case("UPPER(TRUE)", "TRUE", libreoffice="1"),
    # IF and errors
    Case('IF("abc",1,2)', error("#VALUE!")),
    Case('IF("TRUE",1,2)', 1),
    Case("IF(TRUE,1,1/0)", 1),
    Case("IF(1/0>0,1,2)", error("#DIV/0!")),
    Case("IF(FALSE,1)", False),
    Case("IF(INDEX(t.s,4),1,2)", 2),
    Case('IFERROR(1/0,"x")', "x"),
    Case('IFERROR(5,"x")', 5),
    Case("ISERROR(1/0)", True),
    Case("ISERROR(INDEX(t.n,9))", True),
    Case("ISNUMBER(1/0)", False),
    Case('ISNUMBER("1")', False),
    Case("ISNUMBER(INDEX(t.d,1))", True),
    Case("ISTEXT(INDEX(t.f,3))", True),
    Case("ISBLANK(INDEX(t.n,3))", True),
    Case("ISBLANK(INDEX(t.f,3))", False),
    Case("ISBLANK(as_of)", True),
    # Counting: COUNTA counts a formula's empty text, COUNTBLANK counts it as blank
    Case("COUNT(t.n)", 4),
    Case("COUNT(t.s)", 0),
    Case('COUNT(1,"2",TRUE,"x")', 3),
    Case("COUNTA(t.s)", 5),
    Case("COUNTA(t.f)", 6),
    Case("COUNTBLANK(t.f)", 2),
    Case("COUNTBLANK(t.n)", 2),
    # Criteria
    Case('COUNTIF(t.n,">=2")', 3),
    Case('COUNTIF(t.n,"<>2")', 5),
    Case('COUNTIF(t.down,">"&5)', 2),
    Case("COUNTIF(t.n,2)", 1),
    Case('COUNTIF(t.s,"<>")', 5),
    Case('COUNTIF(t.f,"")', 2),
    Case('COUNTIF(t.f,"=")', 0),
    Case('COUNTIF(t.n,"=")', 2),
    Case('COUNTIF(t.n,"1")', 1),
    Case('SUMIF(t.n,"<>",t.down)', 21),
    Case('COUNTIF(t.s,"⚠*")', 1),
    Case('COUNTIF(t.s,"b")', 1),
    Case('COUNTIF(t.s,"?")', 3),
    Case('COUNTIF(t.s,"a~*")', 0),
    Case('COUNTIF(t.s,"5")', 1),
    Case('COUNTIF(t.yes,"yes")', 2),
    Case("COUNTIF(t.n,INDEX(t.n,3))", 0),
    Case('COUNTIFS(t.n,">1",t.s,"<>")', 2),
    Case('COUNTIFS(t.s,">a",t.n,">0")', 2),
    Case('COUNTIFS(t.n,">1",t.w_1,">1")', 1),
    Case('SUMIF(t.s,"?",t.n)', 3),
    Case('SUMIF(t.n,">1")', 15.5),
    Case('SUMIFS(t.n,t.s,"<>",t.down,">=8")', 3),
    Case('AVERAGEIF(t.n,">1")', 15.5 / 3),
    Case('AVERAGEIF(t.n,">100")', error("#DIV/0!")),
    Case('AVERAGEIFS(t.n,t.n,">0",t.s,"<>5")', 4.125),
    # Lookups
    Case("MATCH(3,t.n,1)", 2),
    Case("MATCH(100,t.n,1)", 5),
    Case("MATCH(0,t.n,1)", error("#N/A")),
    Case("MATCH(10,t.n,0)", 5),
    Case("MATCH(99,t.n,0)", error("#N/A")),
    Case('MATCH("b",t.s,0)', 2),
    Case('MATCH("a*",t.s,0)', 1),
    Case("MATCH(6,t.down,-1)", 2),
    Case("INDEX(t.n,4)", 3.5),
    Case("INDEX(t.n,7)", error("#REF!"), libreoffice=error("#VALUE!")),
    Case("ROW(INDEX(t.n,3))-ROW(t.n)", 2),
    Case('VLOOKUP("b",t.s,1,FALSE)', "B"),
    Case('VLOOKUP("zzz",t.s,1,FALSE)', error("#N/A")),
    Case("VLOOKUP(4,t.n,1)", 3.5),
    Case("LOOKUP(3,t.n)", 2),
    Case("LOOKUP(3,t.n,t.s)", "B"),
    Case('CHOOSE(2,"a","b")', "b"),
    Case('CHOOSE(3,"a","b")', error("#VALUE!")),
    Case('CHOOSE(1,"a",1/0)', "a"),
    # Rounding: half away from zero, on 15 significant digits
    Case("ROUND(2.5,0)", 3),
    Case("ROUND(-2.5,0)", -3),
    Case("ROUND(0.285,2)", 0.29),
    Case("ROUND(1234.5678,-2)", 1200),
    Case("ROUNDUP(0.1+0.2,1)", 0.3),
    Case("ROUNDUP(2.01,1)", 2.1),
    Case("ROUNDUP(-2.01,0)", -3),
    Case("ROUNDDOWN(-2.09,1)", -2),
    Case("INT(-2.5)", -3),
    Case("MOD(-3,2)", 1),
    Case("MOD(5,0)", error("#DIV/0!")),
    Case("ABS(-2)", 2),
    Case("SIGN(-0.5)", -1),
    # Dates as serial numbers
    Case("DATE(2026,14,1)", serial(2027, 2, 1)),
    Case("DATE(2026,0,0)", serial(2025, 11, 30)),
    Case("DATE(1,1,1)", serial(1901, 1, 1), libreoffice=serial(2001, 1, 1)),
    Case("EDATE(DATE(2026,1,31),1)", serial(2026, 2, 28)),
    Case("EDATE(INDEX(t.d,1),-2)", serial(2025, 11, 30)),
    Case("EOMONTH(DATE(2026,1,15),1)", serial(2026, 2, 28)),
    Case("EOMONTH(INDEX(t.d,1),-1)", serial(2025, 12, 31)),
    Case("TODAY()", serial(2026, 12, 3)),
    Case("YEAR(INDEX(t.d,2))", 2026),
    Case("MONTH(INDEX(t.d,2))", 2),
    Case("DAY(INDEX(t.d,2))", 28),
    Case("WEEKDAY(DATE(2026,12,3))", 5),
    Case("WEEKDAY(DATE(2026,12,3),2)", 4),
    Case("WEEKDAY(DATE(2026,12,3),3)", 3),
    Case("WEEKDAY(DATE(2026,12,3),11)", 4),
    Case("WEEKNUM(DATE(2026,12,3))", 49),
    Case("WEEKNUM(DATE(2026,1,3))", 1),
    Case("WEEKNUM(DATE(2026,1,4))", 2),
    Case("WEEKNUM(DATE(2026,1,4),2)", 1),
    Case("WEEKNUM(DATE(2027,1,1),21)", 53),
    Case("NETWORKDAYS(DATE(2026,12,1),DATE(2026,12,31))", 23),
    Case("NETWORKDAYS(DATE(2026,12,31),DATE(2026,12,1))", -23),
    Case("NETWORKDAYS(DATE(2026,12,1),DATE(2026,12,31),t.d)", 21),
    # TEXT with the formats blueprints use
    Case('TEXT(2.5,"0")', "3"),
    Case('TEXT(3.45,"0.0")', "3.5"),
    Case('TEXT(0.125,"0%")', "13%"),
    Case('TEXT(0.125,"0.0%")', "12.5%"),
    Case('TEXT(1234.5,"#,##0")', "1,235"),
    Case('TEXT(1234.5,"#,##0.00")', "1,234.50"),
    Case('TEXT(0.5,"#.##")', ".5"),
    Case('TEXT(-0.4,"0")', "-0", libreoffice="0"),
    Case('TEXT(46000,"yyyy-mm-dd")', "2025-12-09"),
    Case('TEXT(46000,"d mmm yyyy")', "9 Dec 2025"),
    Case('TEXT(46000,"mmm")', "Dec"),
    Case('TEXT(INDEX(t.d,4),"dd/mm/yy")', "03/12/26"),
    Case('TEXT("abc","0")', "abc"),
    Case('VALUE("1,234")', 1234),
    Case('VALUE("50%")', 0.5),
    Case('VALUE(" 12 ")', 12),
    Case('VALUE("2026-01-05")', serial(2026, 1, 5)),
    Case('VALUE("")', error("#VALUE!")),
    Case('VALUE("x")', error("#VALUE!")),
    Case('VALUE("TRUE")', error("#VALUE!"), libreoffice=1),
    Case('TEXT(TRUE,"0")', "TRUE", libreoffice="1"),
    Case("ROUND(2.675,2)", 2.68),
    Case("INT(0.1*3*10)", 3),
    Case('N("5")', 0),
    Case("N(TRUE)", 1),
    Case("N(INDEX(t.d,1))", serial(2026, 1, 31)),
    # Text functions
    Case('LEFT("abc")', "a"),
    Case('LEFT("abc",5)', "abc"),
    Case("LEFT(12.5,2)", "12"),
    Case('RIGHT("abc",2)', "bc"),
    Case('MID("abcdef",2,3)', "bcd"),
    Case("LEN(1/3)", 17),
    Case("LEN(INDEX(t.s,6))", 6),
    Case('TRIM("  a   b ")', "a b"),
    Case('UPPER("abc")', "ABC"),
    Case('LOWER("ÄB")', "äb"),
    Case('REPT("ab",3)', "ababab"),
    Case('CONCATENATE("a",1,"b")', "a1b"),
    # Logic
    Case("AND(t.n)", True),
    Case("AND(t.n,FALSE)", False),
    Case("OR(0,FALSE)", False),
    Case("OR(t.down)", True),
    Case("AND(t.s)", error("#VALUE!")),
    Case("NOT(0)", True),
    Case('NOT("x")', error("#VALUE!")),
    # Aggregates skip text and empty cells in ranges
    Case("SUM(t.n)", 16.5),
    Case("SUM(t.f)", 33),
    Case("MIN(t.n)", 1),
    Case("MAX(t.n)", 10),
    Case("MAX(t.s)", 0),
    Case("MEDIAN(t.n)", 2.75),
    Case("MEDIAN(t.s)", error("#NUM!"), libreoffice=error("#VALUE!")),
    Case('COUNTA(1,"")', 2),
    Case('ISBLANK("")', False),
    Case("AVERAGE(t.n)", 4.125),
    Case("AVERAGE(t.s)", error("#DIV/0!")),
    Case("ROWS(t.n)", 6),
    Case("COLUMNS(t.n)", 1),
    Case("COLUMN(t.s)-COLUMN(t.n)", 1),
    # SUMPRODUCT: an array formula; text, TRUE/FALSE and empty cells count as 0
    Case("SUMPRODUCT(t.n)", 16.5),
    Case("SUMPRODUCT(t.s)", 0),
    Case("SUMPRODUCT(t.n,t.down)", 36.5),
    Case("SUMPRODUCT(t.n,t.w_1)", 15),
    Case("SUMPRODUCT(t.n,t.s)", 0),
    Case('SUMPRODUCT(--(t.s<>""))', 5),
    Case('SUMPRODUCT(--(t.f=""))', 2),
    Case("SUMPRODUCT((t.n>2)*t.n)", 13.5),
    Case('SUMPRODUCT(--(LEFT(t.s,1)="a"))', 2),
    Case("SUMPRODUCT(COUNTIF(t.yes,t.yes))", 5),
    Case("SUMPRODUCT(--ISNUMBER(t.d))", 4),
    Case("SUMPRODUCT(MAX((t.n>0)*(ROW(t.n)-ROW(INDEX(t.n,1))+1)))", 5),
    Case("SUMPRODUCT(t.n/t.n)", error("#DIV/0!")),
]

# Per-row formulas in table t: a whole column meets the formula's own row.
COLUMN_CASES = [
    Case("t.n*2", [2, 4, 0, 7, 20, 0]),
    Case("t.n", [1, 2, 0, 3.5, 10, 0]),
    Case("COUNT([w])", [2, 1, 0, 3, 0, 0]),
    Case("SUM([w])", [4, 2, 0, 15, 0, 0]),
    Case(
        "SUMPRODUCT(MAX(ISNUMBER([w])*(COLUMN([w])-COLUMN([w_1])+1)))",
        [3, 2, 0, 3, 0, 0],
    ),
    Case("INDEX([w],2)", [0, 2, 0, 5, 0, 0]),
    Case("INDEX([w],1,3)", [3, 0, 0, 6, 0, 0]),
    Case("MATCH(2,[w],0)", [error("#N/A"), 2] + [error("#N/A")] * 4),
    Case("ROW([n])-ROW(t.n)+1", [1, 2, 3, 4, 5, 6]),
    Case('[s]&"|"&[n]', ["a|1", "B|2", "5|", "|3.5", "abc|10", "⚠ late|"]),
    Case("COUNTIF(t.s,[s])", [1, 1, 1, 0, 1, 1]),
    Case("ISNUMBER([d])", [True, True, False, True, True, False]),
    Case("SUMPRODUCT(t.n,[w])", [error("#VALUE!")] * 6),
]


def probe_blueprint() -> dict[str, Any]:
    """The probe blueprint as data; `as_text` makes it a blueprint file's text."""
    columns = [
        {"key": "n", "header": "N", "type": "number"},
        {"key": "s", "header": "S", "type": "text"},
        {"key": "d", "header": "D", "type": "date"},
        {"key": "down", "header": "Down", "type": "number"},
        {"key": "yes", "header": "Yes", "type": "yesno"},
        {"key": "w", "header": "W", "type": "number", "repeat": 3},
        {"key": "f", "header": "F", "type": "number", "formula": 'IF([n]="","",[n]*2)'},
    ]
    columns += [
        {"key": f"row_{i:02d}", "header": "Row", "type": "number", "formula": c.formula}
        for i, c in enumerate(COLUMN_CASES)
    ]
    fields = [
        {
            "key": f"case_{i:03d}",
            "label": "Case",
            "type": "number",
            "formula": c.formula,
        }
        for i, c in enumerate(FIELD_CASES)
    ]
    blueprint = {
        "id": "probe",
        "title": "Probe",
        "summary": "Formula semantics under test.",
        "period": "none",
        "sheets": [
            {
                "key": "data",
                "title": "Data",
                "blocks": [
                    {
                        "table": {
                            "key": "t",
                            "rows": 6,
                            "columns": columns,
                            "example": ROWS,
                        }
                    },
                    {"fields": fields},
                ],
            }
        ],
        "document": {"sections": [{"heading": "Data", "table": "t"}]},
    }
    return blueprint


def as_text(blueprint: dict[str, Any]) -> str:
    """Blueprint text: JSON, which YAML reads as it is."""
    return json.dumps(blueprint, ensure_ascii=False, indent=1)


def same_value(found: Any, wanted: Any) -> bool:
    """A computed value against an expectation: numbers to 1e-9, errors by code."""
    if isinstance(wanted, CellError) or isinstance(found, CellError):
        return str(found) == str(wanted)
    if isinstance(wanted, bool) or isinstance(found, bool):
        return type(found) is type(wanted) and found == wanted
    if isinstance(wanted, int | float) and isinstance(found, int | float):
        return abs(found - wanted) <= 1e-9 * max(1.0, abs(wanted))
    return found == wanted
