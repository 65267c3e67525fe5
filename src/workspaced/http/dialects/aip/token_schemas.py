"""Request bodies and documented response shapes of the aip personal access token routes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workspaced.http.dialects.aip.schemas import AipInput


class TokenIn(AipInput):
    display_name: str = Field(min_length=1, max_length=200)
    expire_time: str | None = Field(
        default=None,
        max_length=64,
        description="RFC 3339, in the future and at most 365 days ahead; absent = no expiry",
        examples=["2030-01-01T00:00:00Z"],
    )
    organization: str | None = Field(
        default=None,
        max_length=100,
        description="Home organization (`organizations/{slug}`, a slug or a uid) the caller "
        "belongs to; default: the calling token's",
    )


class Token(BaseModel):
    name: str = Field(description="users/{user_id}/tokens/{token_id}")
    token_id: str
    display_name: str
    organization: str = Field(description="organizations/{slug}")
    create_time: str
    expire_time: str | None = None
    last_used_time: str | None = None


class CreatedToken(Token):
    token: str = Field(description="The secret (`wsd_...`); shown only once")


class TokenList(BaseModel):
    tokens: list[Token]
    next_page_token: str
