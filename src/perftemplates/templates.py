"""Templates by id or file, rendered to bytes: what the commands build on."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from perftemplates.blueprint.brand import Brand
from perftemplates.blueprint.load import (
    BUILTIN_DIR,
    builtin_ids,
    builtin_path,
    load_blueprint,
    override_id,
)
from perftemplates.blueprint.model import Blueprint
from perftemplates.blueprint.resolve import Resolved, ResolveError, Variant, resolve
from perftemplates.errors import InputError

Format = Literal["xlsx", "docx"]
FORMATS: tuple[Format, ...] = ("xlsx", "docx")
VARIANTS: tuple[Variant, ...] = ("blank", "example")


@dataclass(frozen=True)
class Template:
    """A loaded blueprint and the file it came from."""

    path: Path
    blueprint: Blueprint

    @property
    def id(self) -> str:
        return self.blueprint.id


def find_template(name: str, neighbours: dict[str, Path] | None = None) -> Template:
    """A built-in template by id, or a blueprint or override file by path."""
    looks_like_file = name.endswith((".yaml", ".yml")) or os.sep in name
    path = Path(name) if looks_like_file else builtin_path(name)
    if looks_like_file and not path.is_file():
        raise InputError(f"{name}: no such blueprint file")
    return Template(path, load_blueprint(path, neighbours=neighbours))


def builtin_templates() -> list[Template]:
    return [find_template(template_id) for template_id in builtin_ids()]


def pack_templates(folder: Path | None) -> list[Template]:
    """The built-ins, with the blueprints and overrides in `folder` in their place.

    An override keeps the id of what it extends unless it sets its own, so it
    replaces that built-in; a new id adds a template.
    """
    if folder is None:
        return builtin_templates()
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    neighbours = {}
    for path in files:
        template_id = override_id(path)
        if template_id:
            neighbours.setdefault(template_id, path)
    own = [find_template(str(path), neighbours) for path in files]
    replaced = {template.id for template in own}
    kept = [find_template(i) for i in builtin_ids() if i not in replaced]
    return kept + own


def build_date(as_of: str | None = None) -> dt.date:
    """The date formulas and file stamps use: --as-of, SOURCE_DATE_EPOCH, or today."""
    if as_of:
        try:
            return dt.date.fromisoformat(as_of)
        except ValueError:
            raise InputError(
                f"--as-of: expected a real date written YYYY-MM-DD; found {as_of!r}"
            ) from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except ValueError:
            raise InputError(
                f"SOURCE_DATE_EPOCH: expected whole seconds; found {epoch!r}"
            ) from None
    return dt.date.today()


def render(
    template: Template,
    variant: Variant,
    fmt: Format,
    as_of: dt.date,
    overrides: dict[str, str] | None = None,
    brand: Brand | None = None,
    row: dict[str, str] | None = None,
) -> bytes:
    """One file of a template as bytes."""
    try:
        resolved = resolve(template.blueprint, variant, overrides, as_of, brand, row)
    except ResolveError as exc:
        # A built-in is named by its id: its file is inside the installed package.
        name = template.id if template.path.parent == BUILTIN_DIR else template.path
        lines = [f"{name}: {problem.message}" for problem in exc.problems]
        raise InputError("\n".join(lines)) from None
    return render_resolved(resolved, fmt)


def render_resolved(resolved: Resolved, fmt: Format) -> bytes:
    """A resolved template as a file's bytes."""
    if fmt == "xlsx":
        from perftemplates.render.xlsx import render_workbook

        return render_workbook(resolved)
    from perftemplates.render.docx import render_document

    return render_document(resolved)


def file_name(template_id: str, variant: Variant, fmt: Format) -> str:
    suffix = "-example" if variant == "example" else ""
    return f"{template_id}{suffix}.{fmt}"
