"""AIP-160 filters: a recursive-descent parser and a compiler to SQLAlchemy expressions.

Supported: comparisons `field <op> value` with `= != < <= > >= :`, `AND`, `OR`
(which, per AIP-160, binds tighter than `AND`), juxtaposition as AND, `NOT` and
`-` negation, and parentheses. Values are quoted strings ("..." or '...') or bare
words. Every field must be in the caller's whitelist; errors name the position.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, true

from workspaced.kit.errors import InvalidArgument

MAX_FILTER_LENGTH = 4096
MAX_DEPTH = 32
MAX_RESTRICTIONS = 100
# SPEC §6: a filter's cost budget. A substring match (`:`) cannot use an index: each one
# scans a column of every candidate row, so a filter may hold at most this many of them
# (a `search:` term counts once per column it searches). Anything else compares indexed
# or bounded values and costs nothing here.
MAX_SUBSTRING_SCANS = 10
COMPARATORS = ("<=", ">=", "!=", "<", ">", "=", ":")
_SPECIAL = set("()") | {c for op in COMPARATORS for c in op} | {'"', "'"}


@dataclass(frozen=True)
class Token:
    kind: str  # "text" | "string" | "op" | "(" | ")" | "eof"
    value: str
    position: int


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str
    value: str
    position: int


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Comparison | And | Or | Not


def _error(position: int, message: str) -> InvalidArgument:
    return InvalidArgument("filter", f"{message} at position {position}")


def string_literal(value: str) -> str:
    """`value` as a filter's double-quoted string, read back by `tokenize` as itself (for
    code that builds a filter from a form's free text)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(Token(c, c, i))
            i += 1
        elif c in "\"'":
            start, i, chars = i, i + 1, []
            while True:
                if i >= len(text):
                    raise _error(start, "unterminated string")
                if text[i] == "\\" and i + 1 < len(text):
                    chars.append(text[i + 1])
                    i += 2
                elif text[i] == c:
                    i += 1
                    break
                else:
                    chars.append(text[i])
                    i += 1
            tokens.append(Token("string", "".join(chars), start))
        elif any(text.startswith(op, i) for op in COMPARATORS):
            op = next(op for op in COMPARATORS if text.startswith(op, i))
            tokens.append(Token("op", op, i))
            i += len(op)
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in _SPECIAL:
                i += 1
            if i == start:  # a lone `!`: part of `!=` only
                raise _error(start, f"unexpected {c!r}")
            tokens.append(Token("text", text[start:i], start))
    tokens.append(Token("eof", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.restrictions = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def is_keyword(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "text" and token.value == word

    def parse(self) -> Node | None:
        if self.peek().kind == "eof":
            return None
        node = self.expression()
        token = self.peek()
        if token.kind != "eof":
            raise _error(token.position, f"unexpected {token.value!r}")
        return node

    def expression(self) -> Node:
        parts = [self.sequence()]
        while self.is_keyword("AND"):
            self.take()
            parts.append(self.sequence())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def sequence(self) -> Node:
        parts = [self.factor()]
        while self.peek().kind in ("text", "string", "(") and not self.is_keyword("AND"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def factor(self) -> Node:
        parts = [self.term()]
        while self.is_keyword("OR"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def term(self) -> Node:
        token = self.peek()
        if self.is_keyword("NOT"):
            self.take()
            return Not(self.simple())
        if token.kind == "text" and token.value.startswith("-") and len(token.value) > 1:
            # `-field = x`: negation glued to the field name.
            self.tokens[self.index] = Token("text", token.value[1:], token.position + 1)
            return Not(self.simple())
        if token.kind == "text" and token.value == "-":
            self.take()
            return Not(self.simple())
        return self.simple()

    def simple(self) -> Node:
        token = self.peek()
        if token.kind == "(":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _error(token.position, f"parentheses nested deeper than {MAX_DEPTH}")
            node = self.expression()
            closing = self.take()
            if closing.kind != ")":
                raise _error(closing.position, "expected ')'")
            self.depth -= 1
            return node
        return self.restriction()

    def restriction(self) -> Comparison:
        field = self.take()
        if field.kind != "text" or field.value in ("AND", "OR", "NOT"):
            shown = field.value or "end of filter"
            raise _error(field.position, f"expected a field name, found {shown!r}")
        operator = self.take()
        if operator.kind != "op":
            raise _error(operator.position, f"expected a comparator after {field.value!r}")
        value = self.take()
        if value.kind not in ("text", "string"):
            raise _error(value.position, f"expected a value after {operator.value!r}")
        self.restrictions += 1
        if self.restrictions > MAX_RESTRICTIONS:
            raise _error(field.position, f"more than {MAX_RESTRICTIONS} restrictions")
        return Comparison(field.value, operator.value, value.value, field.position)


def parse(text: str) -> Node | None:
    """The syntax tree of an AIP-160 filter, None for an empty filter, or InvalidArgument."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidArgument("filter", f"must be at most {MAX_FILTER_LENGTH} characters")
    return _Parser(text).parse()


# A field compiler turns (operator, value, position) into a SQL condition.
FieldCompiler = Callable[[str, str, int], ColumnElement[bool]]


def compile_filter(node: Node | None, fields: Mapping[str, FieldCompiler]) -> ColumnElement[bool]:
    if node is None:
        return true()
    scans = _substring_scans(node, fields)
    if scans > MAX_SUBSTRING_SCANS:
        raise InvalidArgument(
            "filter",
            f"the filter's substring matches (`:`) scan {scans} columns per row; the budget "
            f"is {MAX_SUBSTRING_SCANS} (a search term counts once per column it searches)",
        )
    return _compile(node, fields)


def _substring_scans(node: Node, fields: Mapping[str, FieldCompiler]) -> int:
    if isinstance(node, Comparison):
        if node.operator != ":":
            return 0
        return int(getattr(fields.get(node.field), "scanned_columns", 1))
    if isinstance(node, Not):
        return _substring_scans(node.part, fields)
    return sum(_substring_scans(part, fields) for part in node.parts)


def _compile(node: Node, fields: Mapping[str, FieldCompiler]) -> ColumnElement[bool]:
    if isinstance(node, Comparison):
        compiler = fields.get(node.field)
        if compiler is None:
            allowed = ", ".join(sorted(fields))
            raise _error(node.position, f"unknown field {node.field!r} (supported: {allowed})")
        return compiler(node.operator, node.value, node.position)
    if isinstance(node, And):
        return and_(*(_compile(part, fields) for part in node.parts))
    if isinstance(node, Or):
        return or_(*(_compile(part, fields) for part in node.parts))
    return not_(_compile(node.part, fields))


def _check_operator(operator: str, allowed: str, position: int, field: str) -> None:
    if operator not in allowed.split():
        raise _error(position, f"operator {operator!r} is not supported on {field!r}")


def string_field(name: str, column: Any) -> FieldCompiler:
    """`=` and `!=` exact; `:` contains, case-insensitive."""

    def compile_(operator: str, value: str, position: int) -> ColumnElement[bool]:
        _check_operator(operator, "= != :", position, name)
        if operator == ":":
            return func.lower(column).contains(value.lower(), autoescape=True)
        return (column == value) if operator == "=" else (column != value)  # type: ignore[no-any-return]

    return compile_


def search_field(name: str, *columns: Any) -> FieldCompiler:
    """`name:"text"`: case-insensitive substring of any of `columns` (LIKE wildcards in the
    text are matched literally)."""

    def compile_(operator: str, value: str, position: int) -> ColumnElement[bool]:
        _check_operator(operator, ":", position, name)
        needle = value.lower()
        return or_(*(func.lower(c).contains(needle, autoescape=True) for c in columns))

    compile_.scanned_columns = len(columns)  # type: ignore[attr-defined]  # the cost budget
    return compile_


def parse_timestamp(value: str, position: int, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _error(position, f"{name} needs an RFC 3339 timestamp, got {value!r}") from None
    if parsed.tzinfo is None:
        raise _error(position, f"{name} timestamp must carry a time zone (e.g. 'Z')")
    return parsed


def timestamp_field(name: str, column: Any) -> FieldCompiler:
    def compile_(operator: str, value: str, position: int) -> ColumnElement[bool]:
        _check_operator(operator, "< <= > >= = !=", position, name)
        moment = parse_timestamp(value, position, name)
        comparisons: dict[str, Callable[[Any, Any], Any]] = {
            "<": lambda c, v: c < v,
            "<=": lambda c, v: c <= v,
            ">": lambda c, v: c > v,
            ">=": lambda c, v: c >= v,
            "=": lambda c, v: c == v,
            "!=": lambda c, v: c != v,
        }
        return comparisons[operator](column, moment)  # type: ignore[no-any-return]

    return compile_
