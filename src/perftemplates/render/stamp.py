"""Stamp a roster row's text into a template rendered once, instead of rendering it.

A full render resolves, lays out, evaluates and writes the whole template for every
row; most rows differ only in a few text cells (team, owner, employee). Here a
template is rendered once with a unique placeholder for each such key, and each
row's file is that package with the placeholders replaced by the row's values,
escaped as the writer escapes them, and rezipped with the original member settings.

Stamping is an optimisation, never a second renderer: a prepared package is used
only after two probe values stamped into it gave exactly the bytes a full render of
those values gives, and a row whose values could serialise differently (or could
change anything but the placeholder's text) gets `None`, meaning: render it fully.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from perftemplates.blueprint import formula as fx
from perftemplates.blueprint.brand import Brand
from perftemplates.blueprint.model import Field_
from perftemplates.blueprint.resolve import Resolved, Variant, resolve
from perftemplates.blueprint.standard import standard_settings
from perftemplates.blueprint.textrender import is_template
from perftemplates.templates import Format, Template, render
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


def placeholder(key: str) -> str:
    """The unique text rendered in place of `key`'s value."""
    return f"{OPEN}ptk7{key}{CLOSE}"


def text_keys(template: Template) -> frozenset[str]:
    """Settings and input fields holding free text: the keys worth stamping."""
    blueprint = template.blueprint
    fields = standard_settings(blueprint.period) + list(blueprint.settings)
    fields += [
        item
        for sheet in blueprint.sheets
        for block in sheet.blocks
        for item in block.fields or []
    ]
    # A parameter of the same name wins in resolve, and it may steer the layout.
    candidates = {
        item.key
        for item in fields
        if _is_free_text(item) and item.key not in blueprint.parameters
    }
    return frozenset(candidates - _steering_names(template))


def _steering_names(template: Template) -> set[str]:
    """Names blueprint text uses other than by printing them as `{{ name }}`.

    A condition or a filter on a value could turn out differently for a row than
    for both probes; such keys are always rendered in full.
    """
    names: set[str] = set()
    for name, text in _texts(template.blueprint):
        if name == "only_if":
            names.update(WORD.findall(text))
            continue
        for printed, statement in JINJA.findall(text):
            if statement or not WORD.fullmatch(printed.strip()):
                names.update(WORD.findall(printed + " " + statement))
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
) -> Prepared | None:
    """The package to stamp `keys` into, or None if these keys cannot be stamped.

    `fixed` holds the other overrides, rendered as they are in every stamped file.
    """
    marked = {**fixed, **{key: placeholder(key) for key in keys}}
    resolved = resolve(template.blueprint, variant, marked, as_of, brand)
    if set(keys) & formula_names(resolved):
        return None
    data = render(template, variant, fmt, as_of, marked, brand)
    prepared = _package(fmt, data, keys)
    if prepared is None:
        return None
    for probe in (SHORT_PROBE, LONG_PROBE):
        values = {key: probe.format(index=i) for i, key in enumerate(keys)}
        full = render(template, variant, fmt, as_of, {**fixed, **values}, brand)
        if stamp(prepared, values) != full:
            return None
    return prepared


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


def _package(fmt: Format, data: bytes, keys: tuple[str, ...]) -> Prepared | None:
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
    return Prepared(fmt, members, stored, marks, parts, plain, marked)


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


def stamp(prepared: Prepared, values: dict[str, str]) -> bytes | None:
    """The file with `values` in place of the placeholders, or None: render it."""
    if set(values) != set(prepared.marks):
        return None
    if not all(is_stampable(value) for value in values.values()):
        return None
    escaped = {prepared.marks[key]: _escape(value) for key, value in values.items()}
    if prepared.fmt == "xlsx" and not _strings_stay_unique(prepared, escaped):
        return None
    return _zip(prepared, escaped)


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


def _zip(prepared: Prepared, escaped: dict[bytes, bytes]) -> bytes:
    """The package again: same members, order, headers and compression.

    Unchanged members keep their compressed bytes; only stamped parts are
    compressed again, as zipfile does (zlib's default level, raw deflate).
    """
    out = io.BytesIO()
    infos = []
    members = zip(prepared.members, prepared.stored, strict=True)
    for (info, content), stored in members:
        info = copy.copy(info)
        if info.filename in prepared.text_parts:
            content = _replace(content, escaped)
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

    @property
    def context(self) -> tuple:
        """What a prepared package depends on; the template by identity."""
        keys = tuple(sorted(self.values))
        call = (id(self.template), self.variant, self.fmt, self.as_of, self.brand)
        return (*call, keys, self.fixed)

    def prepare(self) -> Prepared | None:
        keys = tuple(sorted(self.values))
        fixed = dict(self.fixed)
        args = (self.template, self.variant, self.fmt, self.as_of, fixed, keys)
        return prepare(*args, self.brand)


def _row(
    template: Template,
    variant: Variant,
    fmt: Format,
    as_of: dt.date,
    overrides: dict[str, str],
    brand: Brand | None,
    stampable: frozenset[str],
) -> _Row | None:
    """The call split for stamping, or None if nothing in it can be stamped."""
    values = {k: v for k, v in overrides.items() if k in stampable}
    fixed = tuple(sorted((k, v) for k, v in overrides.items() if k not in stampable))
    if not values or not all(is_stampable(v) for v in values.values()):
        return None
    row = _Row(template, variant, fmt, as_of, brand, fixed, values)
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
        self.keys: dict[int, tuple[Template, frozenset[str]]] = {}
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
            prepared = None if job is None else self._prepared(job)
            data = None if prepared is None else stamp(prepared, job.values)
        except Exception:
            # Stamping only saves time: whatever fails here, a full render does
            # the row and reports its problems in its own words.
            data = None
        if data is not None:
            self.stamped += 1
            return data
        self.rendered += 1
        return render(template, variant, fmt, as_of, overrides, brand)

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
        keys = self._text_keys(template)
        return _row(template, variant, fmt, as_of, overrides, brand, keys)

    def _uses_row(self, template: Template) -> bool:
        known = self.row_users.get(id(template))
        if known is None or known[0] is not template:
            known = self.row_users[id(template)] = (template, uses_row_values(template))
        return known[1]

    def _text_keys(self, template: Template) -> frozenset[str]:
        # Walking the blueprint takes about a millisecond: once per template.
        known = self.keys.get(id(template))
        if known is None or known[0] is not template:
            if len(self.keys) >= PREPARED_LIMIT:
                self.keys.clear()
            known = self.keys[id(template)] = (template, text_keys(template))
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
