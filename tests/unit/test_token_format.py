from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workspaced.auth import token_format


def test_generated_tokens_are_well_formed_and_distinct() -> None:
    tokens = {token_format.generate() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert token.startswith("wsd_") and len(token) == 44
        assert token_format.is_well_formed(token)


@given(st.integers(min_value=4, max_value=43), st.sampled_from(token_format.ALPHABET))
def test_any_single_character_typo_is_rejected(position: int, replacement: str) -> None:
    token = token_format.generate()
    if token[position] == replacement:
        return
    typo = token[:position] + replacement + token[position + 1 :]
    assert not token_format.is_well_formed(typo)


@given(st.text(max_size=60))
def test_arbitrary_text_is_not_a_token(text: str) -> None:
    if text.startswith("wsd_") and len(text) == 44:
        return
    assert not token_format.is_well_formed(text)


def test_digest_is_sha256() -> None:
    import hashlib

    token = token_format.generate()
    assert token_format.digest(token) == hashlib.sha256(token.encode()).digest()


def test_sortable_uuids_are_version_7_and_strictly_increasing() -> None:
    from workspaced.kit.ids import sortable_uuid

    ids = [sortable_uuid() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {7}
