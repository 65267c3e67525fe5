"""The AIP-160 parser: grammar, precedence, errors with positions, hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, DateTime, MetaData, String, Table, column
from sqlalchemy.dialects import postgresql, sqlite

from workspaced.kit import filtering
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.filtering import And, Comparison, Not, Or, string_literal, tokenize

table = Table("t", MetaData(), Column("title", String), Column("create_time", DateTime))
FIELDS = {
    "title": filtering.string_field("title", table.c.title),
    "create_time": filtering.timestamp_field("create_time", table.c.create_time),
}


def c(field: str, op: str, value: str, pos: int) -> Comparison:
    return Comparison(field, op, value, pos)


def test_or_binds_tighter_than_and() -> None:
    tree = filtering.parse("a = 1 AND b = 2 OR c = 3")
    assert tree == And((c("a", "=", "1", 0), Or((c("b", "=", "2", 10), c("c", "=", "3", 19)))))


def test_negation_parentheses_and_juxtaposition() -> None:
    assert filtering.parse('NOT a:"x"') == Not(c("a", ":", "x", 4))
    assert filtering.parse("-a = 1") == Not(c("a", "=", "1", 1))
    assert filtering.parse("(a = 1 OR b = 2) c = 3") == And(
        (Or((c("a", "=", "1", 1), c("b", "=", "2", 10))), c("c", "=", "3", 17))
    )
    assert filtering.parse("   ") is None


def test_string_literals_with_quotes_and_escapes() -> None:
    assert filtering.parse('t = "a \\"b\\" c"') == c("t", "=", 'a "b" c', 0)
    assert filtering.parse("t = 'single \\' quoted'") == c("t", "=", "single ' quoted", 0)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("title =", 7),
        ("= x", 0),
        ("(title = 'x'", 12),
        ("title = 'x' AND", 15),
        ('title = "open', 8),
        ("title ~ x", 6),
        ("a = b )", 6),
    ],
)
def test_syntax_errors_name_the_position(text: str, position: int) -> None:
    with pytest.raises(InvalidArgument) as raised:
        filtering.parse(text)
    assert f"position {position}" in raised.value.message


def test_unknown_fields_and_bad_literals_are_rejected() -> None:
    with pytest.raises(InvalidArgument, match="unknown field 'owner'"):
        filtering.compile_filter(filtering.parse("owner = x"), FIELDS)
    with pytest.raises(InvalidArgument, match="RFC 3339"):
        filtering.compile_filter(filtering.parse('create_time > "last week"'), FIELDS)
    with pytest.raises(InvalidArgument, match="not supported"):
        filtering.compile_filter(filtering.parse('title > "a"'), FIELDS)


def test_values_are_bound_parameters_never_sql() -> None:
    hostile = "x' OR 1=1 --"
    expression = filtering.compile_filter(filtering.parse(f'title = "{hostile}"'), FIELDS)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        compiled = expression.compile(dialect=dialect)
        assert hostile not in str(compiled)
        assert hostile in compiled.params.values()


def test_depth_and_size_limits() -> None:
    with pytest.raises(InvalidArgument, match="deeper"):
        filtering.parse("(" * 40 + "a = 1" + ")" * 40)
    with pytest.raises(InvalidArgument, match="at most"):
        filtering.parse("(" * 10_000 + "a = 1" + ")" * 10_000)
    with pytest.raises(InvalidArgument, match="restrictions"):
        filtering.parse(" AND ".join(["a = 1"] * 101))
    with pytest.raises(InvalidArgument, match="at most"):
        filtering.parse("a = 1 " * 2000)


names = st.sampled_from(["title", "create_time"])
words = st.text(alphabet="abcXYZ 09_-'\"\\", max_size=8)


@st.composite
def filters(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        value = draw(words).replace("\\", "\\\\").replace('"', '\\"')
        return f'{draw(names)} {draw(st.sampled_from(["=", "!=", ":"]))} "{value}"'
    left = draw(filters(depth + 1))
    right = draw(filters(depth + 1))
    form = draw(st.sampled_from(["{} AND {}", "{} OR {}", "({}) AND NOT ({})", "{} {}"]))
    return form.format(left, right)


@settings(max_examples=300)
@given(filters())
def test_generated_filters_parse(text: str) -> None:
    # Timestamps compare with strings here, so only parse (compilation is type-checked).
    tree = filtering.parse(text)
    assert tree is not None


@settings(max_examples=500)
@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        tree = filtering.parse(text)
        filtering.compile_filter(tree, FIELDS)
    except InvalidArgument as error:
        assert error.violations[0].field == "filter"


class TestCostBudget:
    """SPEC §6: substring matches scan every candidate row, so a filter holds few of them."""

    FIELDS = {
        "search": filtering.search_field("search", column("display_name"), column("email")),
        "title": filtering.string_field("title", column("title")),
    }

    def compile(self, text: str) -> object:
        return filtering.compile_filter(filtering.parse(text), self.FIELDS)

    def test_up_to_the_budget_compiles(self) -> None:
        budget = filtering.MAX_SUBSTRING_SCANS
        self.compile(" OR ".join(f'search:"t{i}"' for i in range(budget // 2)))
        self.compile(" OR ".join(f'title:"t{i}"' for i in range(budget)))

    def test_past_the_budget_is_refused_naming_it(self) -> None:
        budget = filtering.MAX_SUBSTRING_SCANS
        many = " OR ".join(f'search:"t{i}"' for i in range(budget // 2 + 1))
        with pytest.raises(InvalidArgument, match=f"budget is {budget}"):
            self.compile(many)
        with pytest.raises(InvalidArgument, match="budget"):
            self.compile(" OR ".join(f'NOT title:"t{i}"' for i in range(budget + 1)))

    def test_exact_matches_cost_nothing(self) -> None:
        self.compile(" OR ".join(f'title="t{i}"' for i in range(filtering.MAX_RESTRICTIONS)))


@pytest.mark.parametrize("value", ["", "plain", 'say "hi"', "back\\slash", "end\\", "é ünï"])
def test_a_string_literal_reads_back_as_itself(value: str) -> None:
    """Filters built from a form's free text (the console's search and audit filters)."""
    string, end = tokenize(string_literal(value))
    assert (string.kind, string.value, end.kind) == ("string", value, "eof")
