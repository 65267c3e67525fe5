"""Console sign-in through the identity provider: the authorization code flow with PKCE
against a real OpenID Provider (panva's oidc-provider, tests/oidc_provider.py), driven over
HTTP as a browser would (the provider's interaction logs in the account named by
login_hint without a page)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.console.console_support import csrf_of, post_form, sign_in
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, IdentityProvider
from tests.oidc_provider import identity_provider as identity_provider  # the fixture
from tests.support import Person, World, principal_of
from workspaced.auth.oidc import ConsoleClient, IssuerConfig, TokenVerifier
from workspaced.console.identity_provider import Flow, FlowCookie
from workspaced.http.app import create_app
from workspaced.kit.db import Database
from workspaced.mail import MailSettings
from workspaced.models import ConsoleSession, ServerSecret, UserIdentity
from workspaced.organization import users as organization_users

PUBLIC_URL = "http://console.test"  # registered at the provider (provider.mjs)
CALLBACK = PUBLIC_URL + "/console/sign-in/oidc/callback"


@pytest.fixture
def console(database: Database, identity_provider: IdentityProvider) -> Iterator[TestClient]:
    issuer = identity_provider.issuer
    app = create_app(
        database,
        mail=MailSettings(smtp_url="log:", public_url=PUBLIC_URL),
        identity=TokenVerifier((IssuerConfig(issuer, "https://api.test"),)),
        console_oidc=ConsoleClient(issuer, CLIENT_ID, CLIENT_SECRET),
    )
    with TestClient(app, base_url=PUBLIC_URL) as client:
        yield client


def _provider_answer(authorization_url: str) -> str:
    """Follow the provider's redirects (login and consent by login_hint) to the console's
    callback URL, with a fresh provider session each time."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(authorization_url)
        for _ in range(10):
            assert response.is_redirect, (response.status_code, response.text[:500])
            target = urljoin(str(response.request.url), response.headers["location"])
            if target.startswith(CALLBACK):
                return target
            response = browser.get(target)
    raise AssertionError("the provider never answered the console")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _begin(client: TestClient, sub: str, next_path: str = "") -> str:
    params = {"login_hint": sub, **({"next": next_path} if next_path else {})}
    started = client.get("/console/sign-in/oidc", params=params, follow_redirects=False)
    assert started.status_code == 303, started.text[-500:]
    assert "wsd_console_oidc=" in started.headers["set-cookie"]
    assert "HttpOnly" in started.headers["set-cookie"]
    location = started.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK]
    return location


def _sign_in(client: TestClient, sub: str, next_path: str = "") -> httpx.Response:
    answer = _provider_answer(_begin(client, sub, next_path))
    return client.get(_path(answer), follow_redirects=False)


def _account(provider: IdentityProvider, person: Person, *, verified: bool = True) -> str:
    sub = f"sub-{person.user_id[:8]}"
    provider.add_account(sub, email=person.email, email_verified=verified, name="Via IdP")
    return sub


def _sessions(database: Database) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(ConsoleSession)) or 0)


def test_a_good_login_opens_a_session_in_the_users_organization(
    console: TestClient, world: World, database: Database, identity_provider: IdentityProvider
) -> None:
    owner = world.person("acme")
    sub = _account(identity_provider, owner)
    page = console.get("/console/sign-in")
    assert "Sign in with " + identity_provider.issuer in page.text
    # The sign-in form's answer redirects to the provider: the policy lets it go there.
    policy = page.headers["content-security-policy"]
    assert f"form-action 'self' {identity_provider.issuer};" in policy
    response = _sign_in(console, sub)
    assert response.status_code == 303, response.text[-800:]
    assert response.headers["location"] == "/console/orgs/acme/workspaces"
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("wsd_console_session=") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith('wsd_console_oidc=""') for c in cookies)  # the flow is spent
    page = console.get("/console/orgs/acme/workspaces")
    assert page.status_code == 200 and owner.email in page.text
    with database.read() as session:
        row = session.scalars(select(ConsoleSession)).one()
        assert row.token_id is None and str(row.org_id) == owner.org_id
        # Linked to the bootstrap account by its verified email (rule 1), not a new user.
        identity = session.scalars(select(UserIdentity)).one()
        assert str(identity.user_id) == owner.user_id and identity.subject == sub
    # Sign-out ends it.
    signed_out = console.post(
        "/console/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert signed_out.status_code == 303
    assert _sessions(database) == 0
    assert console.get("/console/orgs/acme/workspaces", follow_redirects=False).status_code == 303


def test_an_unverified_email_never_links_to_the_account(
    console: TestClient, world: World, database: Database, identity_provider: IdentityProvider
) -> None:
    owner = world.person("acme")
    sub = _account(identity_provider, owner, verified=False)
    response = _sign_in(console, sub)
    # A new user with no address (rule 1), who belongs to no organization: no session.
    assert response.status_code == 409
    assert "not a member of any organization" in response.text.lower()
    assert _sessions(database) == 0


def test_bad_state_replayed_code_and_wrong_nonce_are_refused(
    console: TestClient, world: World, database: Database, identity_provider: IdentityProvider
) -> None:
    owner = world.person("acme")
    sub = _account(identity_provider, owner)

    # A state that is not this browser's.
    answer = _provider_answer(_begin(console, sub))
    forged = re.sub(r"state=[^&]+", "state=forged", _path(answer))
    refused = console.get(forged, follow_redirects=False)
    assert refused.status_code == 400 and "Sign-in refused" in refused.text
    assert "(state)" in refused.text

    # No flow in progress (the cookie is gone, or never was).
    console.cookies.clear()
    refused = console.get(_path(answer), follow_redirects=False)
    assert refused.status_code == 400 and "no sign-in is in progress" in refused.text.lower()

    # A code used once, replayed: the first use opens a session...
    answer = _provider_answer(_begin(console, sub))
    assert console.get(_path(answer), follow_redirects=False).status_code == 303
    # ...the same answer again has no flow left; replayed into a new flow of this browser
    # (its state), the provider refuses the code.
    replay = console.get(_path(answer), follow_redirects=False)
    assert replay.status_code == 400 and "no sign-in is in progress" in replay.text.lower()
    new_state = parse_qs(urlsplit(_begin(console, sub)).query)["state"][0]
    old_code = parse_qs(urlsplit(answer).query)["code"][0]
    replayed = console.get(
        "/console/sign-in/oidc/callback?"
        + urlencode({"code": old_code, "state": new_state, "iss": identity_provider.issuer}),
        follow_redirects=False,
    )
    assert replayed.status_code == 400, replayed.text[-500:]
    assert "did not accept the sign-in" in replayed.text.lower()

    # The right state, but the ID token carries another nonce.
    authorization = _begin(console, sub)
    tampered = re.sub(r"nonce=[^&]+", "nonce=someone-elses", authorization)
    refused = console.get(_path(_provider_answer(tampered)), follow_redirects=False)
    assert refused.status_code == 400 and "(nonce)" in refused.text

    # The provider's own refusal, and an answer from another issuer.
    state = parse_qs(urlsplit(_begin(console, sub)).query)["state"][0]
    refused = console.get(
        "/console/sign-in/oidc/callback?" + urlencode({"error": "access_denied", "state": state}),
        follow_redirects=False,
    )
    assert refused.status_code == 400 and "access_denied" in refused.text
    state = parse_qs(urlsplit(_begin(console, sub)).query)["state"][0]
    refused = console.get(
        "/console/sign-in/oidc/callback?"
        + urlencode({"code": "x", "state": state, "iss": "https://evil.test"}),
        follow_redirects=False,
    )
    assert refused.status_code == 400 and "(iss)" in refused.text
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleSession)) == 1


def test_a_forged_or_expired_flow_cookie_is_refused(
    console: TestClient, world: World, database: Database, identity_provider: IdentityProvider
) -> None:
    owner = world.person("acme")
    sub = _account(identity_provider, owner)
    answer = _provider_answer(_begin(console, sub))
    state = parse_qs(urlsplit(answer).query)["state"][0]
    # Signed with another key: as good as none.
    forged = FlowCookie(b"k" * 32).encode(Flow(state, "n", "v", "/console/", 2e9))
    console.cookies.set("wsd_console_oidc", forged, path="/console")
    refused = console.get(_path(answer), follow_redirects=False)
    assert refused.status_code == 400 and "no sign-in is in progress" in refused.text.lower()
    # Signed with the server's key, but expired.
    with database.read() as session:
        key = session.scalar(
            select(ServerSecret.value).where(ServerSecret.name == "page_token_key")
        )
    assert key is not None
    expired = FlowCookie(key).encode(Flow(state, "n", "v", "/console/", 1.0))
    console.cookies.set("wsd_console_oidc", expired, path="/console")
    refused = console.get(_path(answer), follow_redirects=False)
    assert refused.status_code == 400 and "no sign-in is in progress" in refused.text.lower()
    assert _sessions(database) == 0


def test_removing_the_user_ends_the_session(
    console: TestClient, world: World, database: Database, identity_provider: IdentityProvider
) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    sub = _account(identity_provider, member)
    assert _sign_in(console, sub).status_code == 303
    assert console.get("/console/orgs/acme/workspaces").status_code == 200
    with database.write() as session:
        organization_users.remove_user(
            session, principal_of(database, owner), "acme", member.user_id
        )
    gone = console.get("/console/orgs/acme/workspaces", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/console/sign-in")
    # Added again: the old session stays ended (it belonged to the earlier membership).
    world.person("acme", email=member.email, org_role="member")
    gone = console.get("/console/orgs/acme/workspaces", follow_redirects=False)
    assert gone.status_code == 303


def test_the_session_acts_in_its_chosen_organization_only(
    console: TestClient, world: World, database: Database, identity_provider: IdentityProvider
) -> None:
    acme = world.person("acme")
    zenith = world.person("zenith", email=acme.email)  # the same user, owner of both
    assert zenith.user_id == acme.user_id
    world.person("other")  # an organization the user is not in
    sub = _account(identity_provider, acme)

    # The organization `next` names, when the user is a member there.
    response = _sign_in(console, sub, "/console/orgs/zenith/audit")
    assert response.headers["location"] == "/console/orgs/zenith/audit"
    assert console.get("/console/orgs/zenith/workspaces").status_code == 200
    for path in ("/console/orgs/acme/workspaces", "/console/orgs/acme/audit"):
        assert console.get(path).status_code == 404, path

    # Switch to acme: a new session acting there, and zenith's pages now answer 404.
    page = console.get("/console/organizations")
    assert "Switch to acme" in page.text
    old_session = console.cookies.get("wsd_console_session")
    switched = console.post(
        "/console/organizations/switch",
        data={"csrf_token": csrf_of(page.text), "org": "acme"},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/console/orgs/acme/workspaces?notice=switched"
    assert console.cookies.get("wsd_console_session") != old_session
    assert console.get("/console/orgs/acme/workspaces").status_code == 200
    assert console.get("/console/orgs/zenith/workspaces").status_code == 404
    assert _sessions(database) == 1

    # Not to an organization the user is not in: 404, as for one that does not exist.
    for org in ("other", "no-such-org"):
        refused = post_form(
            console, "/console/organizations", "/console/organizations/switch", {"org": org}
        )
        assert refused.status_code == 404, org
    assert console.get("/console/orgs/acme/workspaces").status_code == 200


def test_a_token_session_cannot_switch(console: TestClient, world: World) -> None:
    person = world.person("acme")
    world.person("zenith", email=person.email)
    assert sign_in(console, person.token).status_code == 303
    page = console.get("/console/organizations")
    assert "Switch to zenith" not in page.text
    refused = post_form(
        console, "/console/organizations", "/console/organizations/switch", {"org": "zenith"}
    )
    assert refused.status_code == 404


def test_without_a_console_client_the_routes_are_absent(client: TestClient, world: World) -> None:
    assert "identity provider" not in client.get("/console/sign-in").text
    assert client.get("/console/sign-in/oidc").status_code == 404
    assert client.get("/console/sign-in/oidc/callback?code=x&state=y").status_code == 404


JUNK = ["", "x" * 5000, "%00\\u0000", "../../etc", "' OR 1=1 --", "\U0001f600" * 10]


def test_junk_in_the_sign_in_routes_never_answers_500(
    console: TestClient, database: Database
) -> None:
    for junk in JUNK:
        params = {name: junk for name in ("next", "login_hint")}
        started = console.get("/console/sign-in/oidc", params=params, follow_redirects=False)
        assert started.status_code in (303, 400, 422), junk[:20]
        answer = {name: junk for name in ("code", "state", "iss", "error", "session_state")}
        refused = console.get(
            "/console/sign-in/oidc/callback", params=answer, follow_redirects=False
        )
        assert 400 <= refused.status_code < 500, (junk[:20], refused.text[-300:])
    assert _sessions(database) == 0
