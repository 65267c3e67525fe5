"""SQL for organizations and their memberships."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from workspaced.authz.catalog import ORGANIZATION_ADMIN_ROLES, OWNER_ROLE_ID
from workspaced.kit.db import locked
from workspaced.kit.ids import parse_uuid
from workspaced.kit.prepared import PreparedSelect
from workspaced.kit.tenancy import in_org
from workspaced.models import Organization, OrganizationMembership, User
from workspaced.workspace.records import ORGANIZATION_FIELDS, OrganizationRecord


def find_by_ref(session: Session, ref: str, *, lock: bool = False) -> Organization | None:
    """An organization by UUID or slug."""
    org_uuid = parse_uuid(ref)
    query = select(Organization).where(
        Organization.id == org_uuid if org_uuid is not None else Organization.slug == ref
    )
    if lock:
        query = locked(query)
    return session.scalars(query).one_or_none()


@lru_cache(maxsize=4)
def _with_role_statement(by_id: bool, lock: bool) -> Select[Organization, str]:
    # Built once per variant, values bound at execution: resolved on every request.
    query = (
        select(Organization, OrganizationMembership.org_role)
        .join(
            OrganizationMembership,
            (OrganizationMembership.org_id == Organization.id)
            & (OrganizationMembership.user_id == bindparam("user_id")),
        )
        .where((Organization.id if by_id else Organization.slug) == bindparam("ref"))
    )
    return locked(query, of=Organization) if lock else query


def find_with_role(
    session: Session, ref: str, user_id: uuid.UUID, *, lock: bool = False
) -> tuple[Organization, str] | None:
    """An organization (by UUID or slug) with `user_id`'s role in it, in one query; None when
    it does not exist or the user is not a member. `lock` locks the organization row."""
    org_uuid = parse_uuid(ref)
    query = _with_role_statement(org_uuid is not None, lock)
    parameters = {"user_id": user_id, "ref": org_uuid if org_uuid is not None else ref}
    row = session.execute(query, parameters).one_or_none()
    return None if row is None else (row[0], row[1])


@lru_cache(maxsize=2)
def _record_with_role_statement(by_id: bool) -> PreparedSelect:
    # `find_with_role` for reads: plain columns in record field order, no ORM entity.
    query = (
        select(
            *(getattr(Organization, name) for name in ORGANIZATION_FIELDS),
            OrganizationMembership.org_role,
        )
        .join(
            OrganizationMembership,
            (OrganizationMembership.org_id == Organization.id)
            & (OrganizationMembership.user_id == bindparam("user_id")),
        )
        .where((Organization.id if by_id else Organization.slug) == bindparam("ref"))
    )
    return PreparedSelect(query)


def find_record_with_role(
    session: Session, ref: str, user_id: uuid.UUID
) -> tuple[OrganizationRecord, str] | None:
    """`find_with_role` as a record, for operations that only read (permission checks run
    it on every call)."""
    org_uuid = parse_uuid(ref)
    row = _record_with_role_statement(org_uuid is not None).first(
        session.connection(), {"user_id": user_id, "ref": org_uuid if org_uuid is not None else ref}
    )
    if row is None:
        return None
    return OrganizationRecord(*row[:-1]), row[-1]


def membership(
    session: Session, org_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> OrganizationMembership | None:
    """`lock` takes the row lock every removal of the member takes first, so what depends
    on the membership (a token issued, an invite accepted on its authority) either commits
    before the removal or sees it gone."""
    query = in_org(select(OrganizationMembership), OrganizationMembership, org_id).where(
        OrganizationMembership.user_id == user_id
    )
    if lock:
        query = locked(query)
    return session.scalars(query).one_or_none()


def count_with_role(session: Session, org_id: uuid.UUID, org_role: str) -> int:
    query = in_org(select(func.count()), OrganizationMembership, org_id).where(
        OrganizationMembership.org_role == org_role
    )
    return session.scalar(query) or 0


@lru_cache(maxsize=2)
def _member_by_ref_statement(by_id: bool) -> Select[OrganizationMembership, User]:
    # Built once per variant, values bound at execution: every membership change looks
    # its user up here.
    query = in_org(
        select(OrganizationMembership, User).join(User, User.id == OrganizationMembership.user_id),
        OrganizationMembership,
        bindparam("org_id"),
    )
    key = User.id if by_id else User.email_normalized
    return query.where(key == bindparam("ref"))


def find_member_by_ref(
    session: Session, org_id: uuid.UUID, user_ref: str
) -> tuple[OrganizationMembership, User] | None:
    """An organization member by user UUID or email (case-insensitive)."""
    user_uuid = parse_uuid(user_ref)
    query = _member_by_ref_statement(user_uuid is not None)
    ref = user_uuid if user_uuid is not None else user_ref.lower()
    row = session.execute(query, {"org_id": org_id, "ref": ref}).one_or_none()
    return None if row is None else (row[0], row[1])


def admin_ids(session: Session, org_id: uuid.UUID) -> list[uuid.UUID]:
    """Users with owner-level access to every workspace of the organization (few)."""
    query = in_org(select(OrganizationMembership.user_id), OrganizationMembership, org_id).where(
        OrganizationMembership.org_role.in_(ORGANIZATION_ADMIN_ROLES)
    )
    return list(session.scalars(query))


def first_owner_id(session: Session, org_id: uuid.UUID) -> uuid.UUID | None:
    """The organization's longest-standing owner (every organization has one)."""
    query = (
        in_org(select(OrganizationMembership.user_id), OrganizationMembership, org_id)
        .where(OrganizationMembership.org_role == OWNER_ROLE_ID)
        .order_by(OrganizationMembership.create_time, OrganizationMembership.user_id)
        .limit(1)
    )
    return session.scalar(query)


def all_with_member_count() -> Select[uuid.UUID, str, str, datetime, int]:
    """Every organization with how many members it has, for the operator's list."""
    members = (
        select(func.count())
        .where(OrganizationMembership.org_id == Organization.id)
        .correlate(Organization)
        .scalar_subquery()
    )
    return select(
        Organization.id.label("id"),
        Organization.slug.label("slug"),
        Organization.display_name.label("display_name"),
        Organization.create_time.label("create_time"),
        members.label("member_count"),
    )
