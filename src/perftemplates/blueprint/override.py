"""Blueprint overrides: a file that says `extends: ID` and changes only what differs.

The override is merged into the raw data of the blueprint it extends, before typing,
so the merged result is checked exactly like a blueprint written in full. Rules:

- top-level text (`id`, `title`, `summary`, `period`) replaces the extended value;
- `parameters` and `example_settings` merge by name, each parameter key by key;
- `settings`, `sheets`, `guide` (by heading), `legend` (by colour) and
  `document.sections` (by heading) are keyed lists: an entry with a known key changes
  that entry key by key, `remove: true` deletes it, `before:`/`after:` move it, and
  an unknown key adds a new entry (at the end, unless placed);
- `tables: {KEY: ...}` changes a table wherever it is: `rows`, `title`, `freeze`,
  `document_rows`, `columns` (a keyed list, as above) and `example`/`blank` rows
  (which replace the extended rows);
- `fields: {KEY: ...}` changes a setting or a sheet field key by key, wherever it is;
- any other list replaces the extended one.
"""

from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from perftemplates.blueprint.yamlsource import Loc, Source
from perftemplates.errors import BlueprintError, Problem

PLACEMENT = ("before", "after")
KEYED_LISTS = {
    "settings": "key",
    "sheets": "key",
    "guide": "heading",
    "legend": "colour",
}
OVERRIDE_KEYS = {
    "extends",
    "id",
    "title",
    "summary",
    "period",
    "parameters",
    "settings",
    "example_settings",
    "guide",
    "legend",
    "sheets",
    "tables",
    "fields",
    "document",
}
TABLE_KEYS = {"rows", "title", "freeze", "document_rows", "columns", "example", "blank"}


def is_override(data: Any) -> bool:
    return isinstance(data, dict) and "extends" in data


@dataclass
class Merge:
    """The merged data and where each part of it came from."""

    base: Source
    patch: Source
    data: Any = None
    source: Source = field(init=False)
    problems: list[Problem] = field(default_factory=list)
    # What `remove: true` took out: (list location, key) -> the entry that did it.
    removed: dict[tuple[Loc, str], Loc] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data = copy.deepcopy(self.base.data)
        self.source = Source(self.base.path, self.data)
        self.source.problems = self.base.problems + self.patch.problems
        self.graft(self.base, (), ())

    def graft(self, origin: Source, origin_loc: Loc, loc: Loc) -> None:
        """Positions under `origin_loc` in `origin` now stand for `loc` here."""
        size = len(origin_loc)
        for table, target in (
            (origin.values, self.source.values),
            (origin.keys, self.source.keys),
        ):
            for place, position in table.items():
                if place[:size] == origin_loc:
                    new = loc + place[size:]
                    target[new] = position
                    self.source.files[new] = origin.files.get(place, origin.path)

    def report(self, loc: Loc, what: str, *, key: bool = False) -> None:
        self.problems.append(self.patch.problem(loc, what, key=key))


def merge(base: Source, patch: Source) -> Source:
    """Merge the override `patch` into the blueprint data of `base`."""
    merged = Merge(base, patch)
    data = patch.data
    for key in data:
        if key not in OVERRIDE_KEYS:
            guess = difflib.get_close_matches(key, sorted(OVERRIDE_KEYS), n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else ""
            merged.report((key,), f"unknown key '{key}'{hint}", key=True)
    for key in ("id", "title", "summary", "period"):
        if key in data:
            _replace(merged, (key,), (key,))
    for key in ("parameters", "example_settings"):
        if key in data:
            _merge_mapping(merged, (key,), (key,))
    for key, identity in KEYED_LISTS.items():
        if key in data:
            _merge_keyed(merged, (key,), (key,), identity)
    if "document" in data:
        _merge_document(merged)
    for key, patch_table in (data.get("tables") or {}).items():
        _merge_table(merged, key, patch_table)
    for key in data.get("fields") or {}:
        _merge_field(merged, key)
    _check_removed_columns(merged)
    if merged.problems:
        raise BlueprintError(merged.problems)
    return merged.source


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def _set(data: Any, loc: Loc, value: Any) -> None:
    _get(data, loc[:-1])[loc[-1]] = value


def _replace(merged: Merge, patch_loc: Loc, loc: Loc) -> None:
    _set(merged.data, loc, copy.deepcopy(_get(merged.patch.data, patch_loc)))
    _forget(merged, loc)
    merged.graft(merged.patch, patch_loc, loc)


def _forget(merged: Merge, loc: Loc) -> None:
    """Drop positions of what used to stand at `loc` (it was replaced)."""
    size = len(loc)
    for table in (merged.source.values, merged.source.keys):
        for place in [p for p in table if p[:size] == loc and len(p) > size]:
            del table[place]


def _merge_mapping(merged: Merge, patch_loc: Loc, loc: Loc) -> None:
    """Key by key: mappings merge deeper, anything else replaces."""
    patch = _get(merged.patch.data, patch_loc)
    if not isinstance(patch, dict):
        merged.report(patch_loc, "expected a mapping of keys")
        return
    target = _get(merged.data, loc) if _exists(merged.data, loc) else None
    if not isinstance(target, dict):
        _replace(merged, patch_loc, loc)
        return
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_mapping(merged, (*patch_loc, key), (*loc, key))
        else:
            _replace(merged, (*patch_loc, key), (*loc, key))
            merged.source.keys[(*loc, key)] = merged.patch.keys[(*patch_loc, key)]
            merged.source.files[(*loc, key)] = merged.patch.path


def _exists(data: Any, loc: Loc) -> bool:
    try:
        _get(data, loc)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _merge_keyed(merged: Merge, patch_loc: Loc, loc: Loc, identity: str) -> None:
    """A keyed list: change, remove, move or add entries by their `identity` key."""
    entries = _get(merged.patch.data, patch_loc)
    if not isinstance(entries, list):
        merged.report(patch_loc, f"expected a list of entries, each with '{identity}'")
        return
    if not _exists(merged.data, loc) or _get(merged.data, loc) is None:
        _set(merged.data, loc, [])
    for index, entry in enumerate(entries):
        entry_loc = (*patch_loc, index)
        if not isinstance(entry, dict) or identity not in entry:
            merged.report(entry_loc, f"each entry needs '{identity}'")
            continue
        _apply_entry(merged, entry_loc, loc, identity, entry)


def _apply_entry(
    merged: Merge, entry_loc: Loc, loc: Loc, identity: str, entry: dict[str, Any]
) -> None:
    items = _get(merged.data, loc)
    keys = [item.get(identity) for item in items]
    name = entry[identity]
    if entry.get("remove") in ("true", "yes", True):
        if name not in keys:
            _unknown(merged, entry_loc, identity, name, keys)
            return
        _remove_at(merged, loc, keys.index(name))
        merged.removed[(loc, name)] = entry_loc
        return
    change = {k: v for k, v in entry.items() if k not in PLACEMENT}
    if name in keys:
        position = keys.index(name)
        for key in change:
            if key == identity:
                continue
            _set_entry_value(merged, (*entry_loc, key), (*loc, position, key))
    else:
        items.append({})
        position = len(items) - 1
        _replace(merged, entry_loc, (*loc, position))
        _get(merged.data, (*loc, position)).pop("before", None)
        _get(merged.data, (*loc, position)).pop("after", None)
    _place(merged, entry_loc, loc, identity, position, entry)


def _set_entry_value(merged: Merge, patch_loc: Loc, loc: Loc) -> None:
    value = _get(merged.patch.data, patch_loc)
    if isinstance(value, dict) and isinstance(_get_or_none(merged.data, loc), dict):
        _merge_mapping(merged, patch_loc, loc)
    else:
        _replace(merged, patch_loc, loc)


def _get_or_none(data: Any, loc: Loc) -> Any:
    return _get(data, loc) if _exists(data, loc) else None


def _place(
    merged: Merge,
    entry_loc: Loc,
    loc: Loc,
    identity: str,
    position: int,
    entry: dict[str, Any],
) -> None:
    for word in PLACEMENT:
        if word not in entry:
            continue
        items = _get(merged.data, loc)
        keys = [item.get(identity) for item in items]
        anchor = entry[word]
        if anchor not in keys:
            _unknown(merged, (*entry_loc, word), identity, anchor, keys)
            return
        target = keys.index(anchor) + (1 if word == "after" else 0)
        _move(merged, loc, position, target)


def _move(merged: Merge, loc: Loc, position: int, target: int) -> None:
    """Move list item `position` to stand before index `target`, positions too."""
    order = list(range(len(_get(merged.data, loc))))
    item = order.pop(position)
    order.insert(target - 1 if target > position else target, item)
    _reorder(merged, loc, order)


def _remove_at(merged: Merge, loc: Loc, position: int) -> None:
    order = [i for i in range(len(_get(merged.data, loc))) if i != position]
    _reorder(merged, loc, order)


def _reorder(merged: Merge, loc: Loc, order: list[int]) -> None:
    """Rebuild the list at `loc` from old indices `order`, re-rooting positions."""
    items = _get(merged.data, loc)
    _set(merged.data, loc, [items[i] for i in order])
    size = len(loc)

    def renamed(place: Loc) -> Loc | None:
        old = place[size]
        return (*loc, order.index(old), *place[size + 1 :]) if old in order else None

    # Values, keys and their files move together, each map exactly once.
    for table in (merged.source.values, merged.source.keys, merged.source.files):
        inside = [p for p in table if p[:size] == loc and len(p) > size]
        moved = {renamed(place): table.pop(place) for place in inside}
        table.update({place: item for place, item in moved.items() if place})


def _unknown(
    merged: Merge, loc: Loc, what: str, name: Any, known: list, *, key: bool = False
) -> None:
    known_text = [str(k) for k in known if k is not None]
    guess = difflib.get_close_matches(str(name), known_text, n=1, cutoff=0.6)
    hint = f"; did you mean '{guess[0]}'?" if guess else ""
    merged.report(loc, f"no entry with {what} '{name}' to change{hint}", key=key)


def _merge_document(merged: Merge) -> None:
    patch = merged.patch.data["document"]
    if not isinstance(patch, dict):
        merged.report(("document",), "expected a mapping of keys")
        return
    for key in patch:
        if key == "sections":
            _merge_keyed(
                merged, ("document", "sections"), ("document", "sections"), "heading"
            )
        elif key == "page":
            _merge_mapping(merged, ("document", "page"), ("document", "page"))
        else:
            _replace(merged, ("document", key), ("document", key))


def _tables(data: Any) -> dict[str, Loc]:
    """Where each table of the merged blueprint stands, by key."""
    found = {}
    for s, sheet in enumerate(data.get("sheets") or []):
        for b, block in enumerate(sheet.get("blocks") or []):
            table = block.get("table") if isinstance(block, dict) else None
            if isinstance(table, dict) and "key" in table:
                found[table["key"]] = ("sheets", s, "blocks", b, "table")
    return found


def _fields(data: Any) -> dict[str, Loc]:
    """Where each setting and sheet field of the merged blueprint stands, by key."""
    found = {
        item.get("key"): ("settings", i)
        for i, item in enumerate(data.get("settings") or [])
    }
    for s, sheet in enumerate(data.get("sheets") or []):
        for b, block in enumerate(sheet.get("blocks") or []):
            for f, item in enumerate((block or {}).get("fields") or []):
                found[item.get("key")] = ("sheets", s, "blocks", b, "fields", f)
    return found


def _merge_table(merged: Merge, key: str, patch: Any) -> None:
    patch_loc: Loc = ("tables", key)
    tables = _tables(merged.data)
    if key not in tables:
        _unknown(merged, patch_loc, "table key", key, list(tables), key=True)
        return
    if not isinstance(patch, dict):
        merged.report(patch_loc, "expected a mapping of table keys")
        return
    loc = tables[key]
    for name in patch:
        if name not in TABLE_KEYS:
            guess = difflib.get_close_matches(name, sorted(TABLE_KEYS), n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else ""
            merged.report((*patch_loc, name), f"unknown key '{name}'{hint}", key=True)
        elif name == "columns":
            _merge_keyed(merged, (*patch_loc, name), (*loc, name), "key")
        else:
            _replace(merged, (*patch_loc, name), (*loc, name))
    _drop_removed_values(merged, key, loc)


def _drop_removed_values(merged: Merge, key: str, loc: Loc) -> None:
    """A removed column's values leave the rows and document sections too."""
    removed = {name for (place, name) in merged.removed if place == (*loc, "columns")}
    table = _get(merged.data, loc)
    for variant in ("example", "blank"):
        for row in table.get(variant) or []:
            for name in removed:
                if isinstance(row, dict):
                    row.pop(name, None)
    sections = (merged.data.get("document") or {}).get("sections") or []
    for section in sections:
        if section.get("table") == key and isinstance(section.get("columns"), list):
            section["columns"] = [c for c in section["columns"] if c not in removed]


def _merge_field(merged: Merge, key: str) -> None:
    patch_loc: Loc = ("fields", key)
    fields = _fields(merged.data)
    if key not in fields:
        known = sorted(k for k in fields if k)
        _unknown(merged, patch_loc, "field key", key, known, key=True)
        return
    _merge_mapping(merged, patch_loc, fields[key])


def _check_removed_columns(merged: Merge) -> None:
    """A removed column or setting that a formula still uses is named with it."""
    tables = {loc: key for key, loc in _tables(merged.data).items()}
    formulas = _formulas(merged.data)
    for (list_loc, name), entry_loc in merged.removed.items():
        if list_loc[-1:] == ("columns",) and list_loc[:-1] in tables:
            table = tables[list_loc[:-1]]
            what = f"column '{name}' of {table}"
            users = [w for w, text in formulas if _uses(text, table, name, w)]
        elif list_loc == ("settings",):
            what = f"setting '{name}'"
            users = [w for w, text in formulas if _names(text, name)]
        else:
            continue
        for user in users:
            merged.report(entry_loc, f"removes {what}, but {_formula_of(user)} uses it")


def _formulas(data: Any) -> list[tuple[str, str]]:
    """(`table.column` or field key, formula text) for every formula."""
    found = []
    for key, loc in _tables(data).items():
        for column in _get(data, loc).get("columns") or []:
            texts = [column.get("formula")] + [
                fill.get("when") for fill in column.get("status") or []
            ]
            found += [(f"{key}.{column.get('key')}", t) for t in texts if t]
    for key, loc in _fields(data).items():
        text = _get(data, loc).get("formula")
        if text:
            found.append((str(key), text))
    for sheet in data.get("sheets") or []:
        for block in sheet.get("blocks") or []:
            found += _block_references(block or {})
    return found


def _block_references(block: dict[str, Any]) -> list[tuple[str, str]]:
    """Checks, charts and drop-down lists of a block, as (who, text) pairs."""
    found = []
    for check in block.get("checks") or []:
        if isinstance(check, dict) and check.get("when"):
            name = check.get("message", "a check")
            found.append((f"the check '{name}'", check["when"]))
    chart = block.get("chart")
    if isinstance(chart, dict):
        texts = [chart.get("categories"), chart.get("rows_of")]
        texts += [s.get("values") for s in chart.get("series") or []]
        title = chart.get("title", "a chart")
        found += [(f"the chart '{title}'", t) for t in texts if isinstance(t, str)]
    table = block.get("table") or {}
    owned = [(f"{table.get('key')}.", c) for c in table.get("columns") or []]
    owned += [("", item) for item in block.get("fields") or []]
    for prefix, item in owned:
        source = item.get("choices_from") if isinstance(item, dict) else None
        if isinstance(source, str):
            found.append((f"the drop-down of {prefix}{item.get('key')}", source))
    return found


def _formula_of(user: str) -> str:
    return user if user.startswith("the ") else f"the formula of {user}"


def _uses(text: str, table: str, column: str, user: str) -> bool:
    """Does formula `text` of `user` (table.column or field) refer to the column?"""
    name = re.escape(column)
    patterns = [rf"\b{re.escape(table)}\.{name}\b"]
    if user.startswith(f"{table}."):
        patterns.append(rf"\[\s*{name}\s*\]")
    return any(re.search(pattern, text) for pattern in patterns)


def _names(text: str, name: str) -> bool:
    """Does formula `text` use the setting `name` as a bare name?"""
    return re.search(rf"(?<![\w.\[]){re.escape(name)}(?![\w.(])", text) is not None
