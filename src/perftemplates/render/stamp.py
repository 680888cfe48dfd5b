"""Stamp a roster row's text into a template rendered once, instead of rendering it.

A full render resolves, lays out, evaluates and writes the whole template for every
row; most rows differ only in a few text cells (team, owner, employee). Here a
template is rendered once with a unique placeholder for each such key, and each
row's file is that package with the placeholders replaced by the row's values,
escaped as the writer escapes them, and rezipped with the original member settings.

Numbers (a salary, a bonus percent) feed formulas, so a row's numbers are stamped
differently: the row is resolved and its formulas evaluated, and in a workbook
only the cells whose value or stored result changed are written again (see
`cells`); in a blank Word form, which prints inputs but no results, the number
is printed text like any other, and gets a placeholder like text.

Stamping is an optimisation, never a second renderer: a prepared package is used
only after two probe values stamped into it gave exactly the bytes a full render of
those values gives, and a row whose values could serialise differently (or could
change anything but the placeholder's text) gets `None`, meaning: render it fully.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from perftemplates.blueprint import formula as fx
from perftemplates.blueprint.brand import Brand
from perftemplates.blueprint.model import Field_
from perftemplates.blueprint.resolve import Resolved, Variant, resolve
from perftemplates.blueprint.standard import standard_settings
from perftemplates.blueprint.textrender import is_template
from perftemplates.evaluate import formula_values
from perftemplates.layout import plan
from perftemplates.render import cells
from perftemplates.render.docx import display
from perftemplates.templates import Format, Template, render, render_resolved
from perftemplates.text import clean

# Private-use characters: no blueprint, profile or writer produces them.
OPEN, CLOSE = "\ue000", "\ue001"
# Where a stamped value may land: plain text in these parts. Worksheets, the
# workbook and charts hold formulas, defined names, validations, conditional
# formats and sheet names, whose text a value must never reach.
TEXT_PARTS = {
    "xlsx": re.compile(r"xl/sharedStrings\.xml|docProps/(core|app)\.xml"),
    "docx": re.compile(
        r"word/(document|header\d*|footer\d*)\.xml|docProps/(core|app)\.xml"
    ),
}
SHARED_STRINGS = "xl/sharedStrings.xml"
# The zip records zipfile writes (APPNOTE 4.3.7, 4.3.12, 4.3.16).
LOCAL_HEADER_SIZE = 30
LOCAL_NAME_SIZES = struct.Struct("<HH")
CENTRAL_RECORD = struct.Struct("<4s4B4HL2L5H2L")
END_RECORD = struct.Struct("<4s4H2LH")
UTF8_NAME = 0x800
SHARED_STRING = re.compile(rb"<si>(.*?)</si>", re.DOTALL)
# Text the writers serialise other than by escaping & < >: tabs and breaks become
# elements in Word and need xml:space in Excel; XlsxWriter re-escapes _xHHHH_;
# Jinja would render {{ }} in a setting; our markers must stay unique.
RISKY = re.compile(r"[\t\n\r\ue000\ue001]|_x[0-9A-Fa-f]{4}_|\{\{|\{%")
# The probe values: one short, one long with every escaped character, non-BMP
# text and a long word, so a key whose value changes layout (a width, a height,
# a count) or serialises unlike plain text is caught before any row is stamped.
LONG_WORD = 120
LONG_PROBE = "Ŋ{index} & <b>\"x\" 'y' é 東京 🚀 R&D " + "w" * LONG_WORD + " end"
SHORT_PROBE = "Ŋ{index}"
LONGEST = len(LONG_PROBE.format(index=0))
# Blueprint text that may do more with a value than print it: any Jinja
# expression or statement, and only_if conditions.
WORD = re.compile(r"[A-Za-z_]\w*")
JINJA = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.DOTALL)
NUMBER_TYPES = {"integer", "number", "percent", "currency"}
# Two numbers stamped and compared with a full render before any row is.
NUMBER_PROBES = ("12345.5", "1.25", "0.5", "3", "2", "2031", "1", "0")
CHARTS = re.compile(r"xl/charts/chart\d+\.xml")
WORKBOOK = "xl/workbook.xml"


def _store(content: bytes) -> bytes:
    return content


def _deflate(content: bytes) -> bytes:
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return compressor.compress(content) + compressor.flush()


COMPRESSORS = {zipfile.ZIP_STORED: _store, zipfile.ZIP_DEFLATED: _deflate}


@dataclass(frozen=True)
class Prepared:
    """A package rendered with placeholders, and what stamping it needs."""

    fmt: Format
    members: tuple[tuple[zipfile.ZipInfo, bytes], ...]
    # Each member's compressed bytes as the writer stored them.
    stored: tuple[bytes, ...]
    marks: dict[str, bytes]
    text_parts: frozenset[str]
    # xlsx: the shared strings holding no placeholder, and those holding one.
    plain_strings: frozenset[bytes]
    marked_strings: tuple[bytes, ...]
    # The number keys, stamped from the row resolved in full. In a document they
    # have placeholders among the marks; a workbook needs the formula results
    # of the prepared render, each sheet's part, and the cells charts cache.
    numbers: tuple[str, ...] = ()
    results: dict[cells.Cell, Any] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)
    charted: frozenset[cells.Cell] = frozenset()


def placeholder(key: str) -> str:
    """The unique text rendered in place of `key`'s value."""
    return f"{OPEN}ptk7{key}{CLOSE}"


def text_keys(template: Template) -> frozenset[str]:
    """Settings and input fields holding free text: the keys worth stamping."""
    # A parameter of the same name wins in resolve, and it may steer the layout.
    candidates = {
        item.key
        for item in _inputs(template, standard=True)
        if _is_free_text(item) and item.key not in template.blueprint.parameters
    }
    return frozenset(candidates - _steering_names(template))


def number_keys(template: Template) -> frozenset[str]:
    """The blueprint's own settings and input fields holding a number.

    Blueprint text never sees them: a number in text is printed as the text
    renderer writes it, not as a cell or form does. The standard settings (the
    fiscal year) are left out, as they decide the period printed everywhere.
    """
    names = _text_names(template)
    if "settings" in names:
        return frozenset()
    candidates = {
        item.key
        for item in _inputs(template, standard=False)
        if item.type in NUMBER_TYPES
        and not item.formula
        and item.key not in template.blueprint.parameters
    }
    return frozenset(candidates - names)


def _inputs(template: Template, standard: bool) -> list[Field_]:
    blueprint = template.blueprint
    fields = standard_settings(blueprint.period) if standard else []
    return (
        fields
        + list(blueprint.settings)
        + [
            item
            for sheet in blueprint.sheets
            for block in sheet.blocks
            for item in block.fields or []
        ]
    )


def _steering_names(template: Template) -> set[str]:
    """Names blueprint text uses other than by printing them as `{{ name }}`.

    A condition or a filter on a value could turn out differently for a row than
    for both probes; such keys are always rendered in full.
    """
    return _text_names(template, printed=False)


def _text_names(template: Template, printed: bool = True) -> set[str]:
    """Names blueprint text uses; with `printed`, also those it only prints."""
    names: set[str] = set()
    for name, text in _texts(template.blueprint):
        if name == "only_if":
            names.update(WORD.findall(text))
            continue
        for shown, statement in JINJA.findall(text):
            if printed or statement or not WORD.fullmatch(shown.strip()):
                names.update(WORD.findall(shown + " " + statement))
    return names


def _texts(model: object) -> Iterator[tuple[str, str]]:
    """(field name, text) for every string in a model, however deep."""
    stack: list[tuple[str, object]] = [("", model)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, str):
            yield name, item
        elif isinstance(item, list | tuple):
            stack.extend((name, value) for value in item)
        elif isinstance(item, dict):
            stack.extend((name, value) for value in item.values())
        elif hasattr(type(item), "model_fields"):
            stack.extend((key, getattr(item, key)) for key in type(item).model_fields)


def _is_free_text(item: Field_) -> bool:
    return (
        item.type == "text"
        and not item.formula
        and not item.choices
        and not item.choices_from
    )


def prepare(
    template: Template,
    variant: Variant,
    fmt: Format,
    as_of: dt.date,
    fixed: dict[str, str],
    keys: tuple[str, ...],
    brand: Brand | None = None,
    numbers: tuple[str, ...] = (),
) -> Prepared | None:
    """The package to stamp `keys` and `numbers` into, or None if it cannot be.

    `fixed` holds the other overrides, rendered as they are in every stamped file.
    """
    probes = _number_probes(template, numbers)
    if probes is None:
        return None
    marked = {**fixed, **{key: placeholder(key) for key in keys}}
    if fmt == "docx":
        # Resolved with numbers that pass its checks, printed as placeholders.
        marked |= {key: values[0] for key, values in probes.items()}
    resolved = resolve(template.blueprint, variant, marked, as_of, brand)
    if set(keys) & formula_names(resolved):
        return None
    if fmt == "docx":
        resolved.values.update({key: placeholder(key) for key in numbers})
        keys += numbers
    prepared = _package(fmt, render_resolved(resolved, fmt), keys, numbers)
    if prepared is not None and fmt == "xlsx" and numbers:
        prepared = _with_results(prepared, resolved)
    if prepared is None:
        return None
    agree = _probes_agree(prepared, template, variant, as_of, fixed, brand, probes)
    return prepared if agree else None


def _probes_agree(
    prepared: Prepared,
    template: Template,
    variant: Variant,
    as_of: dt.date,
    fixed: dict[str, str],
    brand: Brand | None,
    number_probes: dict[str, list[str]],
) -> bool:
    """True if stamping two sets of probe values gives their full render's bytes."""
    text_keys = [key for key in prepared.marks if key not in prepared.numbers]
    for index, probe in enumerate((SHORT_PROBE, LONG_PROBE)):
        values = {key: probe.format(index=i) for i, key in enumerate(text_keys)}
        numbers = {key: probes[index] for key, probes in number_probes.items()}
        overrides = {**fixed, **values, **numbers}
        full = render(template, variant, prepared.fmt, as_of, overrides, brand)
        row = resolve(template.blueprint, variant, overrides, as_of, brand)
        if stamp(prepared, values, row if numbers else None) != full:
            return False
    return True


def _number_probes(
    template: Template, numbers: tuple[str, ...]
) -> dict[str, list[str]] | None:
    """Two numbers for each key that its field accepts, None if it has not two.

    Each key starts at another candidate, so that keys checked against each
    other (an amber threshold below a green one) are seldom given equal values.
    """
    items = {item.key: item for item in _inputs(template, standard=False)}
    probes = {}
    for offset, key in enumerate(numbers):
        fitting = _fitting(items[key], NUMBER_PROBES)
        if len(fitting) < 2:
            return None
        count = len(fitting)
        probes[key] = [fitting[offset % count], fitting[(offset + 1) % count]]
    return probes


def _fitting(item: Field_, candidates: tuple[str, ...]) -> list[str]:
    """The candidates a field accepts: within its bounds, whole if an integer."""
    fitting = []
    for text in candidates:
        value = float(text)
        if item.type == "integer":
            if not value.is_integer():
                continue
            text = str(int(value))
        low = -math.inf if item.min is None else item.min
        high = math.inf if item.max is None else item.max
        if low <= value <= high:
            fitting.append(text)
    return fitting


def _number_texts(
    numbers: tuple[str, ...], resolved: Resolved
) -> dict[str, str] | None:
    """Each number as a blank form prints it in its field's row."""
    items = {item.key: item for item in resolved.fields()}
    texts = {}
    for key in numbers:
        item = items.get(key)
        if item is None or key not in resolved.values:
            return None
        value = resolved.values[key]
        texts[key] = display(value, item.type, item.decimals, resolved.brand)
    return texts


def _with_results(prepared: Prepared, resolved: Resolved) -> Prepared | None:
    """A workbook's prepared package with what patching its cells needs."""
    contents = {info.filename: content for info, content in prepared.members}
    charted: set[cells.Cell] = set()
    try:
        sheets = cells.sheet_parts(contents[WORKBOOK])
        for name, content in contents.items():
            if CHARTS.fullmatch(name):
                charted |= cells.chart_cells(content)
    except (KeyError, cells.Unpatchable):
        return None
    results = formula_values(resolved, plan(resolved))
    return replace(prepared, results=results, sheets=sheets, charted=frozenset(charted))


def formula_names(resolved: Resolved) -> set[str]:
    """Every setting or field a formula of the resolved template refers to."""
    names = set()
    for text in _formulas(resolved):
        for ref in fx.references(fx.parse(text)):
            if isinstance(ref, fx.NameRef):
                names.add(ref.name)
    return names


def _formulas(resolved: Resolved) -> Iterator[str]:
    """Formula texts anywhere in the model: fields, columns, checks, status fills."""
    stack: list[object] = [resolved.blueprint, *resolved.settings]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif hasattr(type(item), "model_fields"):
            for name in type(item).model_fields:
                value = getattr(item, name)
                if name in ("formula", "when") and isinstance(value, str):
                    yield value
                else:
                    stack.append(value)


def _package(
    fmt: Format, data: bytes, keys: tuple[str, ...], numbers: tuple[str, ...]
) -> Prepared | None:
    """Unpack the placeholder render; None if a placeholder sits anywhere unsafe."""
    marks = {key: placeholder(key).encode() for key in keys}
    source = zipfile.ZipFile(io.BytesIO(data))
    members = tuple((info, source.read(info)) for info in source.infolist())
    if any(info.compress_type not in COMPRESSORS for info, _ in members):
        return None
    stored = tuple(_stored(data, info) for info, _ in members)
    text_parts = set()
    for info, content in members:
        found = [mark for mark in marks.values() if mark in content]
        if not found:
            continue
        if not TEXT_PARTS[fmt].fullmatch(info.filename):
            return None
        if not all(_in_text(content, mark) for mark in found):
            return None
        text_parts.add(info.filename)
    strings = _shared_strings(members) if fmt == "xlsx" else []
    marked = tuple(s for s in strings if any(m in s for m in marks.values()))
    plain = frozenset(s for s in strings if s not in marked)
    parts = frozenset(text_parts)
    return Prepared(fmt, members, stored, marks, parts, plain, marked, numbers)


def _stored(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's compressed bytes, found after its local header."""
    start = info.header_offset
    name, extra = LOCAL_NAME_SIZES.unpack_from(data, start + 26)
    start += LOCAL_HEADER_SIZE + name + extra
    return data[start : start + info.compress_size]


def _in_text(content: bytes, mark: bytes) -> bool:
    """True if every occurrence of `mark` is character data, not in a tag."""
    start = content.find(mark)
    while start >= 0:
        if content.rfind(b"<", 0, start) > content.rfind(b">", 0, start):
            return False
        start = content.find(mark, start + len(mark))
    return True


def _shared_strings(members: tuple[tuple[zipfile.ZipInfo, bytes], ...]) -> list[bytes]:
    for info, content in members:
        if info.filename == SHARED_STRINGS:
            return SHARED_STRING.findall(content)
    return []


def stamp(
    prepared: Prepared, values: dict[str, str], row: Resolved | None = None
) -> bytes | None:
    """The file with `values` in place of the placeholders, or None: render it.

    `row` is the row resolved in full: it gives the numbers of `prepared.numbers`.
    """
    if prepared.numbers and row is None:
        return None
    if prepared.fmt == "docx" and prepared.numbers:
        printed = _number_texts(prepared.numbers, row)
        if printed is None:
            return None
        values = values | {k: v for k, v in printed.items() if k in prepared.marks}
    if set(values) != set(prepared.marks):
        return None
    if not all(is_stampable(value) for value in values.values()):
        return None
    escaped = {prepared.marks[key]: _escape(value) for key, value in values.items()}
    if prepared.fmt == "xlsx" and not _strings_stay_unique(prepared, escaped):
        return None
    parts = {
        info.filename: _replace(content, escaped)
        for info, content in prepared.members
        if info.filename in prepared.text_parts
    }
    if prepared.fmt == "xlsx" and prepared.numbers:
        sheets = _patched_sheets(prepared, row)
        if sheets is None:
            return None
        parts |= sheets
    return _zip(prepared, parts)


def _patched_sheets(prepared: Prepared, row: Resolved) -> dict[str, bytes] | None:
    """The worksheets whose number inputs or stored results differ for `row`."""
    layout = plan(row)
    results = formula_values(row, layout)
    if results.keys() != prepared.results.keys():
        return None
    changed: dict[cells.Cell, Any] = {
        cell: result
        for cell, result in results.items()
        if not _same(result, prepared.results[cell])
    }
    for key in prepared.numbers:
        if key not in row.values:
            return None
        place = layout.fields[key]
        changed[(place.sheet, place.row, place.col)] = cells.Input(row.values[key])
    # A chart stores the values it plots: a changed one would change the chart.
    if changed.keys() & prepared.charted:
        return None
    by_part: dict[str, dict[str, Any]] = {}
    for (sheet, row_index, col), content in changed.items():
        part = by_part.setdefault(prepared.sheets[sheet], {})
        part[xl_rowcol_to_cell(row_index, col)] = content
    contents = {info.filename: content for info, content in prepared.members}
    try:
        return {
            part: cells.patch(contents[part], patches)
            for part, patches in by_part.items()
        }
    except cells.Unpatchable:
        return None


def _same(a: Any, b: Any) -> bool:
    # 1 and 1.0 are equal but stored as "1" and "1.0".
    return type(a) is type(b) and a == b


def is_stampable(value: str) -> bool:
    """True if a writer serialises `value` as its text with & < > escaped."""
    return (
        bool(value)
        and value == value.strip()
        and len(value) <= LONGEST
        and max(len(word) for word in value.split()) <= LONG_WORD
        and value == clean(value)
        and not RISKY.search(value)
        and not is_template(value)
        # XlsxWriter writes a string shaped like rich text without escaping it.
        and not (value.startswith("<r>") and value.endswith("</r>"))
    )


def _escape(value: str) -> bytes:
    # XlsxWriter's _escape_data and lxml's text serialisation agree on these.
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.encode()


def _strings_stay_unique(prepared: Prepared, escaped: dict[bytes, bytes]) -> bool:
    """False if a stamped string equals another: XlsxWriter would share its index."""
    stamped = {_replace(string, escaped) for string in prepared.marked_strings}
    return len(stamped) == len(prepared.marked_strings) and not (
        stamped & prepared.plain_strings
    )


def _replace(content: bytes, escaped: dict[bytes, bytes]) -> bytes:
    for mark, value in escaped.items():
        content = content.replace(mark, value)
    return content


def _zip(prepared: Prepared, parts: dict[str, bytes]) -> bytes:
    """The package again: same members, order, headers and compression.

    Unchanged members keep their compressed bytes; only the changed `parts` are
    compressed again, as zipfile does (zlib's default level, raw deflate).
    """
    out = io.BytesIO()
    infos = []
    members = zip(prepared.members, prepared.stored, strict=True)
    for (info, _), stored in members:
        info = copy.copy(info)
        content = parts.get(info.filename)
        if content is not None:
            stored = COMPRESSORS[info.compress_type](content)
            info.CRC = zlib.crc32(content)
            info.file_size, info.compress_size = len(content), len(stored)
        info.header_offset = out.tell()
        out.write(info.FileHeader())
        out.write(stored)
        infos.append(info)
    start = out.tell()
    for info in infos:
        out.write(_central_entry(info))
    count, size = len(infos), out.tell() - start
    out.write(END_RECORD.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))
    return out.getvalue()


def _central_entry(info: zipfile.ZipInfo) -> bytes:
    """The central directory record zipfile writes for a member (no zip64)."""
    year, month, day, hour, minute, second = info.date_time
    dos_date = (year - 1980) << 9 | month << 5 | day
    dos_time = hour << 11 | minute << 5 | second // 2
    try:
        name, flags = info.filename.encode("ascii"), info.flag_bits
    except UnicodeEncodeError:
        name, flags = info.filename.encode(), info.flag_bits | UTF8_NAME
    record = CENTRAL_RECORD.pack(
        b"PK\x01\x02",
        info.create_version,
        info.create_system,
        info.extract_version,
        info.reserved,
        flags,
        info.compress_type,
        dos_time,
        dos_date,
        info.CRC,
        info.compress_size,
        info.file_size,
        len(name),
        len(info.extra),
        len(info.comment),
        0,
        info.internal_attr,
        info.external_attr,
        info.header_offset,
    )
    return record + name + info.extra + info.comment


# A worker's memory of what it prepared


# Contexts remembered before the first prepare: a context seen once (a team in
# --group-by, an employee with their own salary) is not worth three renders.
SEEN_LIMIT = 4096
PREPARED_LIMIT = 8


@dataclass(frozen=True)
class _Row:
    """One call's arguments, split into the context and the values to stamp."""

    template: Template
    variant: Variant
    fmt: Format
    as_of: dt.date
    brand: Brand | None
    fixed: tuple[tuple[str, str], ...]
    values: dict[str, str]
    numbers: dict[str, str]

    @property
    def context(self) -> tuple:
        """What a prepared package depends on; the template by identity."""
        keys = (tuple(sorted(self.values)), tuple(sorted(self.numbers)))
        call = (id(self.template), self.variant, self.fmt, self.as_of, self.brand)
        return (*call, keys, self.fixed)

    def prepare(self) -> Prepared | None:
        keys, numbers = tuple(sorted(self.values)), tuple(sorted(self.numbers))
        fixed = dict(self.fixed)
        args = (self.template, self.variant, self.fmt, self.as_of, fixed, keys)
        return prepare(*args, self.brand, numbers)

    def resolve(self) -> Resolved:
        """The row resolved in full, as its render would: it checks the numbers."""
        overrides = {**dict(self.fixed), **self.values, **self.numbers}
        blueprint = self.template.blueprint
        return resolve(blueprint, self.variant, overrides, self.as_of, self.brand)


def _row(
    template: Template,
    variant: Variant,
    fmt: Format,
    as_of: dt.date,
    overrides: dict[str, str],
    brand: Brand | None,
    keys: tuple[frozenset[str], frozenset[str]],
) -> _Row | None:
    """The call split for stamping, or None if nothing in it can be stamped."""
    text_keys, number_keys = keys
    values = {k: v for k, v in overrides.items() if k in text_keys}
    numbers = {k: v for k, v in overrides.items() if k in number_keys}
    fixed = tuple(
        sorted((k, v) for k, v in overrides.items() if k not in values | numbers)
    )
    if not (values or numbers) or not all(is_stampable(v) for v in values.values()):
        return None
    row = _Row(template, variant, fmt, as_of, brand, fixed, values, numbers)
    try:
        hash(row.context)
    except TypeError:
        return None
    return row


def uses_row_values(template: Template) -> bool:
    """Does any text of the blueprint use a roster row's values ({{ row.x }})?"""
    text = template.blueprint.model_dump_json()
    return re.search(r"\{[{%][^}]*\brow\b", text) is not None


class Stamper:
    """`render` for many rows of one run: stamps where it can, renders the rest.

    Prepares a context (everything but the stamped values) the second time it is
    seen, so a context that never repeats costs nothing extra.
    """

    def __init__(self) -> None:
        self.seen: set[tuple] = set()
        self.prepared: dict[tuple, tuple[Template, Prepared | None]] = {}
        self.keys: dict[int, tuple[Template, tuple[frozenset, frozenset]]] = {}
        self.row_users: dict[int, tuple[Template, bool]] = {}
        self.stamped = 0
        self.rendered = 0

    def render(
        self,
        template: Template,
        variant: Variant,
        fmt: Format,
        as_of: dt.date,
        overrides: dict[str, str],
        brand: Brand | None = None,
        row: dict[str, str] | None = None,
    ) -> bytes:
        """The bytes `templates.render` gives for the same arguments."""
        if row and self._uses_row(template):
            # Row values can go anywhere text can: only a full render places them.
            self.rendered += 1
            return render(template, variant, fmt, as_of, overrides, brand, row)
        try:
            job = self._job(template, variant, fmt, as_of, overrides, brand)
            data = None if job is None else self._stamped(job)
        except Exception:
            # Stamping only saves time: whatever fails here, a full render does
            # the row and reports its problems in its own words.
            data = None
        if data is not None:
            self.stamped += 1
            return data
        self.rendered += 1
        return render(template, variant, fmt, as_of, overrides, brand)

    def _stamped(self, job: _Row) -> bytes | None:
        prepared = self._prepared(job)
        if prepared is None:
            return None
        # Resolving checks the row's numbers as a render would, and gives the
        # values its formulas are evaluated with.
        row = job.resolve() if prepared.numbers else None
        return stamp(prepared, job.values, row)

    def prime(
        self,
        template: Template,
        variant: Variant,
        fmt: Format,
        as_of: dt.date,
        overrides: dict[str, str],
        brand: Brand | None = None,
    ) -> None:
        """Prepare the context of `overrides` now: before a pool forks, say."""
        job = self._job(template, variant, fmt, as_of, overrides, brand)
        if job is not None:
            self.seen.add(job.context)
            self._prepared(job)

    def _job(
        self,
        template: Template,
        variant: Variant,
        fmt: Format,
        as_of: dt.date,
        overrides: dict[str, str],
        brand: Brand | None,
    ) -> _Row | None:
        """What one file asks for, split into stamped values and fixed context."""
        text, numbers = self._keys(template)
        # A worked example's document prints what formulas compute from numbers.
        if fmt == "docx" and variant == "example":
            numbers = frozenset()
        return _row(template, variant, fmt, as_of, overrides, brand, (text, numbers))

    def _uses_row(self, template: Template) -> bool:
        known = self.row_users.get(id(template))
        if known is None or known[0] is not template:
            known = self.row_users[id(template)] = (template, uses_row_values(template))
        return known[1]

    def _keys(self, template: Template) -> tuple[frozenset[str], frozenset[str]]:
        """The text keys and number keys of a template."""
        # Walking the blueprint takes about a millisecond: once per template.
        known = self.keys.get(id(template))
        if known is None or known[0] is not template:
            if len(self.keys) >= PREPARED_LIMIT:
                self.keys.clear()
            keys = (text_keys(template), number_keys(template))
            known = self.keys[id(template)] = (template, keys)
        return known[1]

    def _prepared(self, row: _Row) -> Prepared | None:
        context = row.context
        known = self.prepared.get(context)
        # The id of a template no longer alive may be reused: compare the object.
        if known is not None and known[0] is row.template:
            return known[1]
        if context not in self.seen:
            if len(self.seen) >= SEEN_LIMIT:
                self.seen.clear()
            self.seen.add(context)
            return None
        try:
            prepared = row.prepare()
        except Exception:
            # Not stampable, whatever the reason; each row renders in full.
            prepared = None
        if len(self.prepared) >= PREPARED_LIMIT:
            self.prepared.pop(next(iter(self.prepared)))
        self.prepared[context] = (row.template, prepared)
        return prepared
