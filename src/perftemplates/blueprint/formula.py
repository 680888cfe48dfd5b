"""The formula language: spreadsheet formulas written against column keys.

`[progress]` is this row's cell of column progress, `[checkins.latest]` the same row of
another table, `key_results.weight` a whole column of a table, and a bare name such as
`grade_red` a setting or field (a defined name in the workbook). Formulas are parsed
once into a small tree; renderers turn the tree into plain A1 formulas, and the same
tree can be evaluated in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Functions that Excel 2016, LibreOffice 7 and Google Sheets all have.
PORTABLE_FUNCTIONS = frozenset(
    [
        "ABS",
        "AND",
        "AVERAGE",
        "AVERAGEIF",
        "AVERAGEIFS",
        "CHOOSE",
        "COLUMN",
        "COLUMNS",
        "CONCATENATE",
        "COUNT",
        "COUNTA",
        "COUNTBLANK",
        "COUNTIF",
        "COUNTIFS",
        "DATE",
        "DAY",
        "EDATE",
        "EOMONTH",
        "IF",
        "IFERROR",
        "INDEX",
        "INT",
        "ISBLANK",
        "ISERROR",
        "ISNUMBER",
        "ISTEXT",
        "LEFT",
        "LEN",
        "LOOKUP",
        "LOWER",
        "MATCH",
        "MAX",
        "MEDIAN",
        "MID",
        "MIN",
        "MOD",
        "MONTH",
        "N",
        "NETWORKDAYS",
        "NOT",
        "OR",
        "REPT",
        "RIGHT",
        "ROUND",
        "ROUNDDOWN",
        "ROUNDUP",
        "ROW",
        "ROWS",
        "SIGN",
        "SUM",
        "SUMIF",
        "SUMIFS",
        "SUMPRODUCT",
        "TEXT",
        "TODAY",
        "TRIM",
        "UPPER",
        "VALUE",
        "VLOOKUP",
        "WEEKDAY",
        "WEEKNUM",
        "YEAR",
    ]
)

# Functions that exist somewhere but not in all three programs, with what to use.
UNPORTABLE_FUNCTIONS = {
    "XLOOKUP": "INDEX and MATCH",
    "XMATCH": "MATCH",
    "LET": "a setting or a helper column",
    "LAMBDA": "a helper column",
    "FILTER": "SUMIF, COUNTIF or INDEX and MATCH",
    "SORT": "a helper column",
    "UNIQUE": "a list on the settings sheet",
    "SEQUENCE": "a filled column",
    "IFS": "nested IF",
    "SWITCH": "nested IF or CHOOSE",
    "MAXIFS": "MAX over an IF helper column",
    "MINIFS": "MIN over an IF helper column",
    "CONCAT": "CONCATENATE or &",
    "TEXTJOIN": "CONCATENATE or &",
}

# Names that spreadsheet programs show in other languages, with the English one.
LOCALIZED_FUNCTIONS = {
    "SUMME": "SUM",
    "WENN": "IF",
    "RUNDEN": "ROUND",
    "MITTELWERT": "AVERAGE",
    "ANZAHL": "COUNT",
    "ANZAHL2": "COUNTA",
    "ZÄHLENWENN": "COUNTIF",
    "SUMMEWENN": "SUMIF",
    "SVERWEIS": "VLOOKUP",
    "HEUTE": "TODAY",
    "UND": "AND",
    "ODER": "OR",
    "WENNFEHLER": "IFERROR",
    "SOMME": "SUM",
    "SI": "IF",
    "ARRONDI": "ROUND",
    "MOYENNE": "AVERAGE",
    "NB": "COUNT",
    "SOMME.SI": "SUMIF",
    "RECHERCHEV": "VLOOKUP",
    "AUJOURDHUI": "TODAY",
    "SIERREUR": "IFERROR",
    "SUMA": "SUM",
    "REDONDEAR": "ROUND",
    "PROMEDIO": "AVERAGE",
    "CONTAR": "COUNT",
    "BUSCARV": "VLOOKUP",
    "HOY": "TODAY",
    "SOMMA": "SUM",
    "SE": "IF",
    "ARROTONDA": "ROUND",
    "MEDIA": "AVERAGE",
    "OGGI": "TODAY",
    "SOM": "SUM",
    "ALS": "IF",
    "AFRONDEN": "ROUND",
    "GEMIDDELDE": "AVERAGE",
    "VANDAAG": "TODAY",
}

OPERATORS = ("<>", "<=", ">=", "+", "-", "*", "/", "^", "&", "=", "<", ">")
BINARY_PRECEDENCE = {
    "=": 1,
    "<>": 1,
    "<": 1,
    ">": 1,
    "<=": 1,
    ">=": 1,
    "&": 2,
    "+": 3,
    "-": 3,
    "*": 4,
    "/": 4,
    "^": 5,
}

TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<rowref>\[[^\]]*\])
  | (?P<name>[^\W\d][\w.]*)
  | (?P<op><>|<=|>=|[-+*/^&=<>(),%;:!$])
    """,
    re.VERBOSE,
)
CELL_ADDRESS = re.compile(r"\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?$")


class FormulaError(ValueError):
    """A formula that cannot be used; `messages` lists every reason found."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Boolean:
    value: bool


@dataclass(frozen=True)
class RowRef:
    """A cell in the current row: `[key]` or `[table.key]` (table None = this one)."""

    table: str | None
    key: str


@dataclass(frozen=True)
class ColumnRef:
    """A whole column of a table: `table.key`."""

    table: str
    key: str


@dataclass(frozen=True)
class NameRef:
    """A setting or field, written to the workbook as a defined name."""

    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Percent:
    operand: Node


Node = (
    Number
    | Text
    | Boolean
    | RowRef
    | ColumnRef
    | NameRef
    | Call
    | Unary
    | Binary
    | Percent
)
Ref = RowRef | ColumnRef | NameRef


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split a formula into (kind, text) tokens; raise FormulaError on bad pieces."""
    tokens: list[tuple[str, str]] = []
    problems: list[str] = []
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            problems.append(f"unexpected character {text[position]!r}")
            position += 1
            continue
        kind, value = match.lastgroup or "", match.group()
        position = match.end()
        if kind != "space":
            tokens.append((kind, value))
    problems += _lexical_problems(tokens)
    if problems:
        raise FormulaError(problems)
    return tokens


def _lexical_problems(tokens: list[tuple[str, str]]) -> list[str]:
    problems = []
    for index, (kind, value) in enumerate(tokens):
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == "name" and following == "(":
            problems += _function_problems(value.upper())
        elif kind == "op" and value == ";":
            if "';' separates arguments" not in " ".join(problems):
                problems.append("';' separates arguments only in some locales; use ','")
        elif kind == "op" and value in ":$!":
            problems.append(_address_problem(tokens, index))
    return list(dict.fromkeys(problems))


def _function_problems(name: str) -> list[str]:
    if name in PORTABLE_FUNCTIONS:
        return []
    if name in LOCALIZED_FUNCTIONS:
        english = LOCALIZED_FUNCTIONS[name]
        return [f"'{name}' is a localized function name; write {english}"]
    if name in UNPORTABLE_FUNCTIONS:
        return [
            f"'{name}' is not available in all of Excel 2016, LibreOffice 7 and "
            f"Google Sheets; use {UNPORTABLE_FUNCTIONS[name]}"
        ]
    return [f"unknown function '{name}'"]


def _address_problem(tokens: list[tuple[str, str]], index: int) -> str:
    start = max(0, index - 1)
    piece = "".join(value for _, value in tokens[start : index + 2])
    if CELL_ADDRESS.match(piece):
        return f"'{piece}' is a cell address; refer to columns by key, like [target]"
    return (
        f"'{tokens[index][1]}' is not allowed; refer to columns by key, like [target]"
    )


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """Parse a formula (an optional leading '=' is ignored) into a tree."""
    source = text.strip()
    if source.startswith("="):
        source = source[1:]
    parser = _Parser(tokenize(source))
    node = parser.expression(0)
    if parser.peek() is not None:
        raise FormulaError([f"unexpected '{parser.peek()[1]}'"])
    return node


class _Parser:
    """Precedence climbing over the token list."""

    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FormulaError(["the formula ends too early"])
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        kind, found = self.take()
        if found != value:
            raise FormulaError([f"expected '{value}' but found '{found}'"])

    def expression(self, min_precedence: int) -> Node:
        left = self.unary()
        while (token := self.peek()) and token[1] in BINARY_PRECEDENCE:
            precedence = BINARY_PRECEDENCE[token[1]]
            if precedence < min_precedence:
                break
            self.take()
            # '^' binds to the left in spreadsheets, like every other operator.
            right = self.expression(precedence + 1)
            left = Binary(token[1], left, right)
        return left

    def unary(self) -> Node:
        token = self.peek()
        if token and token[1] in ("-", "+"):
            self.take()
            return Unary(token[1], self.unary())
        node = self.primary()
        while (token := self.peek()) and token[1] == "%":
            self.take()
            node = Percent(node)
        return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return Number(float(value))
        if kind == "string":
            return Text(value[1:-1].replace('""', '"'))
        if kind == "rowref":
            return _row_ref(value)
        if kind == "name":
            return self.name(value)
        if value == "(":
            node = self.expression(0)
            self.expect(")")
            return node
        raise FormulaError([f"unexpected '{value}'"])

    def name(self, value: str) -> Node:
        token = self.peek()
        if token and token[1] == "(":
            self.take()
            return Call(value.upper(), self.arguments())
        if value.upper() in ("TRUE", "FALSE"):
            return Boolean(value.upper() == "TRUE")
        if "." in value:
            table, _, key = value.partition(".")
            return ColumnRef(table, key)
        return NameRef(value)

    def arguments(self) -> tuple[Node, ...]:
        args: list[Node] = []
        if self.peek() and self.peek()[1] == ")":
            self.take()
            return ()
        while True:
            args.append(self.expression(0))
            kind, value = self.take()
            if value == ")":
                return tuple(args)
            if value != ",":
                raise FormulaError([f"expected ',' or ')' but found '{value}'"])


def _row_ref(token: str) -> RowRef:
    inner = token[1:-1].strip()
    if "." in inner:
        table, _, key = inner.partition(".")
        return RowRef(table, key)
    return RowRef(None, inner)


def references(node: Node) -> list[Ref]:
    """Every reference in the tree, in reading order."""
    if isinstance(node, RowRef | ColumnRef | NameRef):
        return [node]
    if isinstance(node, Call):
        return [ref for arg in node.args for ref in references(arg)]
    if isinstance(node, Unary | Percent):
        return references(node.operand)
    if isinstance(node, Binary):
        return references(node.left) + references(node.right)
    return []


def to_excel(node: Node, address) -> str:
    """The formula text without '=', with references replaced by `address(ref)`."""
    if isinstance(node, Number):
        return _number_text(node.value)
    if isinstance(node, Text):
        return '"' + node.value.replace('"', '""') + '"'
    if isinstance(node, Boolean):
        return "TRUE" if node.value else "FALSE"
    if isinstance(node, RowRef | ColumnRef | NameRef):
        return address(node)
    if isinstance(node, Call):
        return f"{node.name}({','.join(to_excel(arg, address) for arg in node.args)})"
    if isinstance(node, Unary | Percent):
        operand = to_excel(node.operand, address)
        if isinstance(node.operand, Binary):
            operand = f"({operand})"
        return node.op + operand if isinstance(node, Unary) else operand + "%"
    return _binary_text(node, address)


def _binary_text(node: Binary, address) -> str:
    precedence = BINARY_PRECEDENCE[node.op]
    left = to_excel(node.left, address)
    right = to_excel(node.right, address)
    if isinstance(node.left, Binary) and BINARY_PRECEDENCE[node.left.op] < precedence:
        left = f"({left})"
    if (
        isinstance(node.right, Binary)
        and BINARY_PRECEDENCE[node.right.op] <= precedence
    ):
        right = f"({right})"
    return f"{left}{node.op}{right}"


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
