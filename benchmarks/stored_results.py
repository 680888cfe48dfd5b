"""What storing every formula's result costs: rendering with and without it.

Run: PYTHONPATH=src python3 benchmarks/stored_results.py [--files N]

Prints milliseconds per file for each template and format with the evaluator and
with it switched off (formula cells then store XlsxWriter's placeholder 0), and the
ratio between them. The batch command renders the same way, so the ratio bounds what
stored results add to a batch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from unittest import mock

from perftemplates.templates import find_template, render

AS_OF = dt.date(2026, 12, 3)


def per_file(template_id: str, fmt: str, files: int) -> float:
    """Milliseconds per rendered file, best of three runs after a warm-up."""
    template = find_template(template_id)
    render(template, "blank", fmt, AS_OF)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(files):
            render(template, "blank", fmt, AS_OF, overrides={"team": "Team 01"})
        best = min(best, (time.perf_counter() - start) / files * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    files = parser.parse_args().files
    print(f"{'template':<10} {'format':<6} {'with':>9} {'without':>9} {'ratio':>7}")
    for template_id in ("okr", "mbo"):
        for fmt in ("xlsx", "docx"):
            with_results = per_file(template_id, fmt, files)
            module = f"perftemplates.render.{fmt}.formula_values"
            with mock.patch(module, lambda resolved, layout: {}):
                without = per_file(template_id, fmt, files)
            print(
                f"{template_id:<10} {fmt:<6} {with_results:>7.1f}ms {without:>7.1f}ms"
                f" {with_results / without:>6.2f}x"
            )


if __name__ == "__main__":
    main()
