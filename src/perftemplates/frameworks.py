"""What each framework is for, and which suit a company's stage and function.

The facts follow the selection tables of the article the project started from; the
words are ours. `recommend` and the framework guide both read from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Framework:
    key: str
    name: str
    purpose: str
    suits: str
    structure: str
    strength: str
    caution: str
    templates: tuple[str, ...]


FRAMEWORKS = {
    framework.key: framework
    for framework in (
        Framework(
            "okr",
            "OKR (objectives and key results)",
            "Point the whole company at a few ambitious changes each quarter and "
            "show openly how far each has come.",
            "Any size of company, teams that work across functions.",
            "An objective in words, with two to five measurable key results.",
            "Focus, transparency and room for stretch.",
            "Turns into a to-do list when key results describe tasks, not outcomes.",
            ("okr",),
        ),
        Framework(
            "kpi",
            "KPIs (key performance indicators)",
            "Watch the health of the business: the few numbers that say whether "
            "day-to-day operations are working.",
            "Every company and every function.",
            "A metric with a target, a tolerance and an owner, reported regularly.",
            "Clear and easy to track over time.",
            "Keeps things steady but does not, on its own, push for improvement.",
            ("kpi-dashboard",),
        ),
        Framework(
            "mbo",
            "MBO (management by objectives)",
            "Agree each person's objectives with their manager and tie reviews, and "
            "often pay, to how far they were met.",
            "Performance reviews and bonus plans.",
            "Objectives with targets and weights, agreed and signed off.",
            "Links performance to reward in a way people understand.",
            "Can drift away from company strategy and discourage stretch goals.",
            ("mbo",),
        ),
        Framework(
            "smart",
            "SMART goals",
            "Make a single goal clear enough to act on: specific, measurable, "
            "achievable, relevant and time-bound.",
            "Individuals and small teams.",
            "One goal tested against the five SMART questions, with an action plan.",
            "Quick to learn and to use.",
            "Goals can end up safe and disconnected from the strategy.",
            ("smart",),
        ),
        Framework(
            "balanced-scorecard",
            "Balanced scorecard",
            "Translate strategy into measures across finance, customers, internal "
            "processes and learning, so no side is neglected.",
            "Mid-sized and large organisations.",
            "Four perspectives (or a company's own), each with objectives, measures "
            "and targets, joined by a strategy map.",
            "A complete picture that ties operations to strategy.",
            "Takes real effort to keep current.",
            ("balanced-scorecard",),
        ),
        Framework(
            "hoshin-kanri",
            "Hoshin Kanri (policy deployment)",
            "Carry long-term strategic goals down through every level, with plans "
            "negotiated up and down the organisation.",
            "Lean, manufacturing and operations-led organisations.",
            "Catchball between levels and an X-matrix of goals and measures.",
            "Deep alignment and steady improvement.",
            "Slow and heavy for a fast-moving company.",
            (),
        ),
        Framework(
            "4dx",
            "4DX (the four disciplines of execution)",
            "Close the gap between strategy and daily work by narrowing the focus "
            "and keeping score every week.",
            "Teams and organisations in the middle of change.",
            "Wildly important goals, lead measures, a scoreboard and a weekly "
            "cadence of accountability.",
            "Simple and sharply focused.",
            "Can feel rigid.",
            ("4dx",),
        ),
        Framework(
            "v2mom",
            "V2MOM",
            "Write down vision, values, methods, obstacles and measures so everyone "
            "sees how the plan connects to the vision.",
            "Fast-growing organisations that value transparency.",
            "Vision, values, methods, obstacles and measures, in ranked order.",
            "Transparent and easy to cascade.",
            "Light on measurement.",
            ("v2mom",),
        ),
        Framework(
            "north-star",
            "North Star metric",
            "Pick the one number that best captures the value customers get, and "
            "organise product work around moving it.",
            "Product-led companies and start-ups.",
            "One metric, the input metrics that drive it and counter-metrics.",
            "Sharp focus on customer value.",
            "Other important areas can fall out of view.",
            ("north-star",),
        ),
        Framework(
            "eos",
            "EOS (the Entrepreneurial Operating System)",
            "Give a small or mid-sized company a practical rhythm: a shared vision, "
            "quarterly priorities and a weekly scorecard.",
            "Start-ups and mid-sized companies.",
            "A vision and traction organizer, quarterly rocks, a scorecard and "
            "weekly meetings.",
            "Structured and practical.",
            "May not scale well to an enterprise.",
            ("eos-vto",),
        ),
    )
}

# The OKR + KPI hybrid is its two parts used together.
HYBRID = ("okr", "kpi")

STAGES = {
    "startup": ("0-50 employees", ("north-star", "okr", "smart")),
    "scale-up": ("50-250 employees", ("okr", "4dx", "v2mom", "eos")),
    "growth": ("250-1,000 employees", ("balanced-scorecard", *HYBRID, "mbo")),
    "enterprise": (
        "over 1,000 employees",
        ("balanced-scorecard", "hoshin-kanri", "okr", "kpi"),
    ),
}

FUNCTIONS = {
    "sales": ("Sales", ("mbo", "kpi", "okr", "4dx")),
    "marketing": ("Marketing", ("okr", "kpi", "smart", "north-star")),
    "product": ("Product", ("okr", "north-star", "smart")),
    "revops": ("Revenue operations", ("okr", "kpi", "balanced-scorecard")),
    "customer-success": ("Customer success", ("kpi", "okr", "mbo")),
    "engineering": ("Engineering", ("okr", "smart", "kpi")),
    "leadership": ("Leadership", ("v2mom", "balanced-scorecard", "hoshin-kanri")),
}


@dataclass(frozen=True)
class Recommendation:
    framework: Framework
    reasons: tuple[str, ...]


def recommend(stage: str | None, function: str | None) -> list[Recommendation]:
    """Frameworks the selection guide names, those named for both first."""
    lists = []
    if stage:
        lists.append(("stage", STAGES[stage][1]))
    if function:
        lists.append(("function", FUNCTIONS[function][1]))
    reasons: dict[str, list[str]] = {}
    for reason, keys in lists:
        for key in keys:
            reasons.setdefault(key, []).append(reason)
    ranked = sorted(reasons, key=lambda key: -len(reasons[key]))
    return [Recommendation(FRAMEWORKS[key], tuple(reasons[key])) for key in ranked]
