"""The template pack: every template in both formats and variants, a manifest, a zip."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from perftemplates.blueprint.brand import Brand
from perftemplates.errors import InputError
from perftemplates.output import sha256, write_atomic
from perftemplates.render.guide import render_guide
from perftemplates.render.package import build_zip
from perftemplates.templates import FORMATS, VARIANTS, Template, file_name, render

ZIP_NAME = "perftemplates-pack.zip"
GUIDE_NAME = "guide.docx"
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Entry:
    template: str
    variant: str
    format: str
    path: str
    bytes: int
    sha256: str


def build_pack(
    templates: list[Template], out_dir: Path, as_of: dt.date, brand: Brand | None = None
) -> list[Entry]:
    """Render everything in memory first, so bad input leaves `out_dir` untouched."""
    _refuse_shared_ids(templates)
    files: list[tuple[Entry, bytes]] = []
    for template in templates:
        for fmt in FORMATS:
            for variant in VARIANTS:
                data = render(template, variant, fmt, as_of, brand=brand)
                name = file_name(template.id, variant, fmt)
                entry = Entry(template.id, variant, fmt, name, len(data), sha256(data))
                files.append((entry, data))
    guide = render_guide(as_of, brand)
    files.append(
        (Entry("guide", "guide", "docx", GUIDE_NAME, len(guide), sha256(guide)), guide)
    )
    manifest = manifest_bytes([entry for entry, _ in files], as_of)
    members = [(entry.path, data) for entry, data in files]
    members.append((MANIFEST_NAME, manifest))
    for name, data in members:
        write_atomic(out_dir / name, data)
    write_atomic(out_dir / ZIP_NAME, build_zip(members))
    return [entry for entry, _ in files]


def _refuse_shared_ids(templates: list[Template]) -> None:
    seen: dict[str, Template] = {}
    for template in templates:
        first = seen.setdefault(template.id, template)
        if first is not template:
            raise InputError(
                f"{template.path}: id '{template.id}' is already used by "
                f"{first.path}; every template in a pack needs its own id"
            )


def manifest_bytes(entries: list[Entry], as_of: dt.date) -> bytes:
    document = {
        "generator": "perftemplates",
        "as_of": as_of.isoformat(),
        "files": [asdict(entry) for entry in entries],
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
