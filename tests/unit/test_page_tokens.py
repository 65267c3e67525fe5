from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workspaced.kit.errors import InvalidArgument
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint

codec = PageTokenCodec(b"k" * 32)
values = st.lists(
    st.one_of(
        st.text(max_size=30), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.none()
    ),
    max_size=4,
)


@given(values, st.text(max_size=20))
def test_round_trip(keys: list[object], query: str) -> None:
    query_id = fingerprint(query)
    assert codec.decode(codec.encode(query_id, keys), query_id) == keys


@given(values)
def test_bound_to_the_query(keys: list[object]) -> None:
    token = codec.encode(fingerprint("a"), keys)
    with pytest.raises(InvalidArgument, match="different"):
        codec.decode(token, fingerprint("b"))


@given(values, st.integers(min_value=0, max_value=200), st.characters())
def test_any_edit_is_rejected(keys: list[object], position: int, char: str) -> None:
    token = codec.encode(fingerprint("q"), keys)
    position %= len(token)
    if token[position] == char:
        return
    edited = token[:position] + char + token[position + 1 :]
    try:
        decoded = codec.decode(edited, fingerprint("q"))
    except InvalidArgument:
        return
    # Only an edit of base64's unused trailing bits may decode, and then to the same keys.
    assert decoded == keys


def test_other_key_cannot_forge() -> None:
    token = PageTokenCodec(b"other" * 8).encode(fingerprint("q"), ["x"])
    with pytest.raises(InvalidArgument):
        codec.decode(token, fingerprint("q"))


@given(st.text(max_size=100))
def test_garbage_is_invalid_argument(text: str) -> None:
    with pytest.raises(InvalidArgument):
        codec.decode(text, fingerprint("q"))
