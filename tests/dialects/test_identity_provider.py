"""Signing in with the product's identity provider (SPEC §3), against a real one: panva's
oidc-provider (OpenID Certified) under Node, tokens from a real authorization-code flow.

First sign-in creates the user, the same `sub` finds it again, key rotation at the
provider needs no restart here, expiry, audience and issuer are enforced, an unverified
email links nothing, a verified one links an unbound account only; a JWT acts in every
organization of its user and in every dialect, and accepts an invitation to its address.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.mail_support import Mailbox
from tests.oidc_provider import (
    IdentityProvider,
    identity_provider,
    require_node,
    unverified_claims,
)
from tests.support import World
from workspaced.auth.oidc import REFETCH_INTERVAL_S, IssuerConfig, TokenVerifier
from workspaced.http.app import create_app
from workspaced.kit.db import Database
from workspaced.mail import MailSettings
from workspaced.models import User, UserIdentity

__all__ = ["identity_provider"]  # the session fixture, used by name below

AUDIENCE = "https://workspaced.example.test"


def jwt_client(
    database: Database, mailbox: Mailbox, issuer: str, *, leeway_s: float = 60
) -> TestClient:
    verifier = TokenVerifier([IssuerConfig(issuer, AUDIENCE)], leeway_s=leeway_s)
    app = create_app(database, mail=MailSettings(smtp_url=mailbox.url), identity=verifier)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def idp_client(
    database: Database, mailbox: Mailbox, identity_provider: IdentityProvider
) -> Iterator[TestClient]:
    with jwt_client(database, mailbox, identity_provider.issuer) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def subject() -> str:
    return f"sub-{uuid.uuid4().hex[:12]}"


def test_a_first_sign_in_creates_the_user_and_the_same_sub_finds_it_again(
    idp_client: TestClient, identity_provider: IdentityProvider, database: Database
) -> None:
    sub = subject()
    email = f"{sub}@example.com"
    identity_provider.add_account(
        sub, email=email, email_verified=True, name="Grace Hopper", picture="https://img.test/g.png"
    )
    first = idp_client.get(
        "/api/v1/me", headers=bearer(identity_provider.access_token(sub, audience=AUDIENCE))
    )
    assert first.status_code == 200, first.text
    me = first.json()
    assert (me["email"], me["display_name"], me["organizations"]) == (email, "Grace Hopper", [])
    again = idp_client.get(
        "/api/v1/me", headers=bearer(identity_provider.access_token(sub, audience=AUDIENCE))
    )
    assert again.json()["user_id"] == me["user_id"]
    with database.read() as session:
        identity = session.scalars(select(UserIdentity).where(UserIdentity.subject == sub)).one()
        user = session.get(User, uuid.UUID(me["user_id"]))
    assert identity.issuer == identity_provider.issuer and str(identity.user_id) == me["user_id"]
    assert user is not None and user.email_verified and user.avatar_url == "https://img.test/g.png"


def test_a_jwt_acts_in_every_organization_of_its_user_and_in_every_dialect(
    idp_client: TestClient, identity_provider: IdentityProvider, world: World
) -> None:
    """Linked by verified email to an account that belongs to two organizations."""
    alice = world.person("acme", name="Alice")
    world.person("globex", email=alice.email, org_role="member")
    created = idp_client.post(
        "/api/v1/organizations/acme/workspaces",
        params={"workspace_id": "apollo"},
        json={"title": "Apollo"},
        headers=alice.headers,
    )
    ws = created.json()["uid"]
    sub = subject()
    identity_provider.add_account(sub, email=alice.email.upper(), email_verified=True)
    token = identity_provider.access_token(sub, audience=AUDIENCE)
    me = idp_client.get("/api/v1/me", headers=bearer(token)).json()
    assert me["user_id"] == alice.user_id
    assert sorted(o["name"] for o in me["organizations"]) == [
        "organizations/acme",
        "organizations/globex",
    ]
    for path in (
        "/api/v1/organizations/acme/workspaces",
        "/api/v1/organizations/globex/workspaces",
        "/api/v1/organizations",
        "/api/v1/organizations/acme/workspaces/apollo",
        "/workspaces/apollo",  # activeloop: the organization the user joined first
        f"/workspace/admin/orgs/{alice.org_id}/workspaces/{ws}/users",
        f"/v1/orgs/{alice.org_id}/workspaces/{ws}/members",
    ):
        response = idp_client.get(path, headers=bearer(token))
        assert response.status_code == 200, (path, response.text)
    orgs = idp_client.get("/api/v1/organizations", headers=bearer(token)).json()["organizations"]
    assert len(orgs) == 2
    # A personal access token made with it needs a home named (a JWT has none).
    refused = idp_client.post(
        "/api/v1/me/tokens", json={"display_name": "cli"}, headers=bearer(token)
    )
    assert refused.status_code == 400 and "organization" in refused.text
    made = idp_client.post(
        "/api/v1/me/tokens",
        json={"display_name": "cli", "organization": "globex"},
        headers=bearer(token),
    )
    assert made.status_code == 200, made.text


def test_an_unverified_email_links_nothing(
    idp_client: TestClient, identity_provider: IdentityProvider, world: World
) -> None:
    victim = world.person("acme", name="Victim")
    sub = subject()
    identity_provider.add_account(sub, email=victim.email, email_verified=False, name="Mallory")
    token = identity_provider.access_token(sub, audience=AUDIENCE)
    me = idp_client.get("/api/v1/me", headers=bearer(token)).json()
    assert me["user_id"] != victim.user_id
    assert me["email"] == "" and me["organizations"] == []
    assert (
        idp_client.get("/api/v1/organizations/acme/workspaces", headers=bearer(token)).status_code
        == 404
    )


def test_a_verified_email_never_links_an_account_bound_to_another_identity(
    idp_client: TestClient, identity_provider: IdentityProvider, world: World
) -> None:
    alice = world.person("acme")
    first, second = subject(), subject()
    identity_provider.add_account(first, email=alice.email, email_verified=True)
    identity_provider.add_account(second, email=alice.email, email_verified=True)
    token = identity_provider.access_token(first, audience=AUDIENCE)
    assert idp_client.get("/api/v1/me", headers=bearer(token)).json()["user_id"] == alice.user_id
    other = idp_client.get(
        "/api/v1/me", headers=bearer(identity_provider.access_token(second, audience=AUDIENCE))
    )
    assert other.status_code == 401
    assert "another identity" in other.text


def test_wrong_audience_and_untrusted_issuer_are_401(
    idp_client: TestClient,
    identity_provider: IdentityProvider,
    database: Database,
    mailbox: Mailbox,
) -> None:
    sub = subject()
    identity_provider.add_account(sub, email=f"{sub}@example.com", email_verified=True)
    wrong_audience = identity_provider.access_token(
        sub, audience="https://someone-else.example.test"
    )
    response = idp_client.get("/api/v1/me", headers=bearer(wrong_audience))
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    # The same provider, not trusted by this server: its tokens are nobody's.
    with jwt_client(database, mailbox, "https://id.other.example.test") as elsewhere:
        token = identity_provider.access_token(sub, audience=AUDIENCE)
        assert elsewhere.get("/api/v1/me", headers=bearer(token)).status_code == 401
    with database.read() as session:
        assert session.scalars(select(UserIdentity).where(UserIdentity.subject == sub)).all() == []


def test_an_expired_token_is_401(
    identity_provider: IdentityProvider, database: Database, mailbox: Mailbox
) -> None:
    """With the leeway at 0 so the test need not wait a minute past `exp` (the unit tests
    check the 60 s leeway itself)."""
    sub = subject()
    identity_provider.add_account(sub, email=f"{sub}@example.com", email_verified=True)
    with jwt_client(database, mailbox, identity_provider.issuer, leeway_s=0) as client:
        # Long enough to be used once on a slow machine (a 1 s token had expired before its
        # first use in one CI run), then waited out to its `exp`.
        token = identity_provider.access_token(sub, audience=AUDIENCE, ttl_s=4)
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
        time.sleep(max(0.0, unverified_claims(token)["exp"] - time.time()) + 1.1)
        expired = client.get("/api/v1/me", headers=bearer(token))
        assert expired.status_code == 401 and "expired" in expired.text


def test_key_rotation_at_the_provider_needs_no_restart(
    database: Database, mailbox: Mailbox
) -> None:
    require_node()
    with IdentityProvider() as provider, jwt_client(database, mailbox, provider.issuer) as client:
        sub = subject()
        provider.add_account(sub, email=f"{sub}@example.com", email_verified=True)
        old = provider.access_token(sub, audience=AUDIENCE)
        user_id = client.get("/api/v1/me", headers=bearer(old)).json()["user_id"]
        provider.rotate_keys()
        new = provider.access_token(sub, audience=AUDIENCE)
        # Old and new kids differ; the unknown kid makes the server fetch the JWKS again
        # (the last fetch is older than 30 s only if we wait, so move past the interval).
        real = time.monotonic
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(time, "monotonic", lambda: real() + REFETCH_INTERVAL_S + 1)
            rotated = client.get("/api/v1/me", headers=bearer(new))
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["user_id"] == user_id
        # The old key left the provider's JWKS: a token it signed no longer verifies.
        assert client.get("/api/v1/me", headers=bearer(old)).status_code == 401


def test_a_signed_in_user_accepts_an_invitation_to_their_verified_address(
    idp_client: TestClient, identity_provider: IdentityProvider, world: World, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    created = idp_client.post(
        "/api/v1/organizations/acme/workspaces",
        params={"workspace_id": "apollo"},
        json={"title": "Apollo"},
        headers=owner.headers,
    )
    assert created.status_code == 200, created.text
    sub = subject()
    email = f"{sub}@example.com"
    invite = idp_client.post(
        "/api/v1/organizations/acme/workspaces/apollo/invites",
        json={"email": email, "role": "editor"},
        headers=owner.headers,
    )
    assert invite.status_code == 200, invite.text
    invite_token = mailbox.invite_token(email)
    # An identity whose address is not verified cannot take it.
    impostor = subject()
    identity_provider.add_account(impostor, email=email, email_verified=False)
    refused = idp_client.post(
        "/api/v1/invites:accept",
        json={"invite_token": invite_token},
        headers=bearer(identity_provider.access_token(impostor, audience=AUDIENCE)),
    )
    assert refused.status_code == 403, refused.text
    identity_provider.add_account(sub, email=email, email_verified=True)
    token = identity_provider.access_token(sub, audience=AUDIENCE)
    accepted = idp_client.post(
        "/api/v1/invites:accept", json={"invite_token": invite_token}, headers=bearer(token)
    )
    assert accepted.status_code == 200, accepted.text
    assert "token" not in accepted.json()  # the JWT already acts there
    got = idp_client.get("/api/v1/organizations/acme/workspaces/apollo", headers=bearer(token))
    assert got.status_code == 200, got.text
