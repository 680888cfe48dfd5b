"""Settings every template shares: who it is for, the period, the status date."""

from __future__ import annotations

from perftemplates.blueprint.model import Field_

PERIOD_TEXT = (
    "A fiscal year is named by the calendar year in which it ends: with a July "
    "start, FY2027 runs from July 2026 to June 2027."
)


def standard_settings(period: str) -> list[Field_]:
    """The settings placed at the top of every Settings sheet."""
    fields = [
        Field_(key="company", label="Company", default="{{ company.name }}"),
        Field_(key="team", label="Team", default="{{ team }}"),
        Field_(key="owner", label="Owner", default="{{ owner }}"),
        Field_(
            key="fy_start_month",
            label="Fiscal year starts in month (1-12)",
            type="integer",
            default="{{ fy_start_month }}",
            min=1,
            max=12,
        ),
        Field_(
            key="fiscal_year",
            label="Fiscal year",
            type="integer",
            default="{{ fiscal_year }}",
            min=2000,
            max=2100,
            note=PERIOD_TEXT,
        ),
    ]
    if period == "quarter":
        fields.append(
            Field_(
                key="quarter",
                label="Quarter",
                type="choice",
                choices=["Q1", "Q2", "Q3", "Q4"],
                default="{{ quarter }}",
            )
        )
    fields += _period_dates(period)
    fields += [
        Field_(
            key="as_of",
            label="Status date (leave blank for today)",
            type="date",
            note="Progress is paced against this date.",
        ),
        Field_(
            key="status_date",
            label="Status date used",
            type="date",
            formula="IF(ISBLANK(as_of),TODAY(),as_of)",
        ),
    ]
    return fields


def _period_dates(period: str) -> list[Field_]:
    year_start = "DATE(fiscal_year-IF(fy_start_month=1,0,1),fy_start_month,1)"
    if period == "quarter":
        start = f"EDATE({year_start},3*(VALUE(RIGHT(quarter,1))-1))"
        months, label = 3, '"FY"&fiscal_year&" "&quarter'
    elif period == "year":
        start, months, label = year_start, 12, '"FY"&fiscal_year'
    else:
        return []
    return [
        Field_(key="period_start", label="Period starts", type="date", formula=start),
        Field_(
            key="period_end",
            label="Period ends",
            type="date",
            formula=f"EDATE(period_start,{months})-1",
        ),
        Field_(key="period_label", label="Period", formula=label),
    ]
