"""The one error family: deep code raises these, only the CLI prints them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding at a place in a file: `FILE:LINE:COL: where: what`."""

    file: str
    line: int
    column: int
    where: str
    what: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return (
            f"{place}: {self.where}: {self.what}"
            if self.where
            else f"{place}: {self.what}"
        )


class PerftemplatesError(Exception):
    """A failure the user should see as one message; exit code 1."""

    exit_code = 1


class InputError(PerftemplatesError):
    """Bad input from the user (blueprint, profile, roster, options); exit code 2."""

    exit_code = 2


class BlueprintError(InputError):
    """Every problem found in one or more blueprint files, reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RenderError(PerftemplatesError):
    """A renderer could not write what the blueprint asked for."""
