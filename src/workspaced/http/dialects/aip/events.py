"""The event feed at `/api/v1/organizations/{org}/events` (SPEC §7)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from workspaced.event import feed
from workspaced.http.dialect import permission
from workspaced.http.dialects.aip.deps import Caller, Context
from workspaced.http.responses import json_response

router = APIRouter()


class FeedItem(BaseModel):
    cursor: str = Field(description="Pass as `after` to list what follows this event")
    id: str = Field(description="The event's id: the `webhook-id` of its deliveries")
    type: str
    timestamp: str
    data: dict[str, Any]


class Feed(BaseModel):
    events: list[FeedItem]
    next_cursor: str = Field(description="`after` for the next poll (unchanged if none)")


@router.get(
    "/api/v1/organizations/{organization_id}/events",
    response_model=Feed,
    openapi_extra=permission("organization:administer"),
    summary="The organization's events in commit order, after a cursor (for polling)",
)
def list_events(
    organization_id: str,
    caller: Caller,
    context: Context,
    after: Annotated[str, Query(max_length=64)] = "",
    page_size: Annotated[int, Query()] = feed.PAGE_SIZE_DEFAULT,
) -> Response:
    with context.database.read() as session:
        events, next_cursor = feed.list_events(
            session, caller, organization_id, after=after, page_size=page_size
        )
    return json_response(
        {
            "events": [{"cursor": e.cursor, "id": e.event_id, **e.body} for e in events],
            "next_cursor": next_cursor,
        }
    )
