"""The console over HTTP: sign-in, sessions, cookies and headers, CSRF, and the pages'
actions going through the domain (its refusals shown on the page)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.console.console_support import csrf_of, post_form, sign_in
from tests.mail_support import Mailbox
from tests.support import World, issue_api_key, principal_of
from tests.webhook_receiver import webhook_receiver
from workspaced.console.app import CONTENT_SECURITY_POLICY
from workspaced.event.delivery import WebhookSettings
from workspaced.http.app import create_app
from workspaced.http.rate_limits import RateLimitSettings
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.mail import MailSettings
from workspaced.models import AuditEvent, ConsoleSession, WebhookEndpoint, Workspace


def _count(database: Database, model: type[object]) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_anonymous_pages_redirect_to_sign_in(client: TestClient) -> None:
    response = client.get("/console/orgs/acme/workspaces?filter=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/console/sign-in?next=/console/orgs/acme/workspaces%3Ffilter%3Dx"
    )
    assert client.get("/console", follow_redirects=False).headers["location"] == (
        "/console/sign-in"
    )


def test_every_console_response_carries_the_policy_and_no_store(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme")
    for response in (
        client.get("/console/sign-in"),
        client.get("/console/orgs/acme/workspaces", follow_redirects=False),
        client.get("/console/nowhere"),
        sign_in(client, owner.token),
        client.get("/console/orgs/acme/workspaces"),
    ):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"
    page = client.get("/console/orgs/acme/workspaces").text
    assert "<style" not in page and "style=" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline script"
    assert client.get("/console/static/console.css").status_code == 200


def test_session_cookie_flags(client: TestClient, world: World, database: Database) -> None:
    owner = world.person("acme")
    response = sign_in(client, owner.token)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("wsd_console_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http, public URL http
    session_id = cookie.split(";")[0].split("=", 1)[1]
    with database.read() as session:
        stored = session.scalars(select(ConsoleSession)).one()
    assert session_id.encode() not in stored.id_sha256  # only its digest is stored

    https = create_app(database, mail=MailSettings(smtp_url="log:"))
    with TestClient(https, base_url="https://testserver") as secure_client:
        assert "Secure" in sign_in(secure_client, owner.token).headers["set-cookie"]


def test_api_keys_and_bad_tokens_do_not_sign_in(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    _, key = issue_api_key(database, owner, ["workspaces:get"])
    refused = sign_in(client, key)
    assert refused.status_code == 400
    assert "API keys are for services" in refused.text
    assert "wsd_" in refused.text
    assert (
        "set-cookie" not in refused.headers
        or "wsd_console_session" not in (refused.headers["set-cookie"])
    )
    wrong = sign_in(client, owner.token[:-1] + ("A" if owner.token[-1] != "A" else "B"))
    assert wrong.status_code == 400
    assert _count(database, ConsoleSession) == 0


def test_sign_out_deletes_the_session(client: TestClient, world: World, database: Database) -> None:
    owner = world.person("acme")
    sign_in(client, owner.token)
    assert _count(database, ConsoleSession) == 1
    page = client.get("/console/orgs/acme/workspaces")
    response = client.post(
        "/console/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert _count(database, ConsoleSession) == 0
    assert client.get("/console/orgs/acme/workspaces", follow_redirects=False).status_code == 303


def test_revoking_the_token_or_removing_the_user_ends_the_session(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    sign_in(client, member.token)
    assert client.get("/console/orgs/acme/workspaces").status_code == 200
    # Revoked through the API, with the same token.
    token_id = principal_of(database, member).token_id
    assert client.delete(f"/api/v1/me/tokens/{token_id}", headers=member.headers).is_success
    gone = client.get("/console/orgs/acme/workspaces", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/console/sign-in")

    other = world.person("acme", org_role="member")
    client.cookies.clear()
    sign_in(client, other.token)
    assert client.get("/console/orgs/acme/workspaces").status_code == 200
    removed = client.delete(
        f"/api/v1/organizations/acme/users/{other.user_id}", headers=owner.headers
    )
    assert removed.is_success
    assert client.get("/console/orgs/acme/workspaces", follow_redirects=False).status_code == 303


def test_posts_without_or_with_a_wrong_csrf_token_change_nothing(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    sign_in(client, owner.token)
    before = _count(database, Workspace), _count(database, AuditEvent)
    for data in ({"title": "Sneaky"}, {"title": "Sneaky", "csrf_token": "wrong"}):
        response = client.post("/console/orgs/acme/workspaces", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "Nothing was changed" in response.text
    assert (_count(database, Workspace), _count(database, AuditEvent)) == before
    # The sign-in form: a token from another browser (no matching cookie) is refused too.
    client.cookies.clear()
    forged = client.post("/console/sign-in", data={"csrf_token": "x" * 43, "token": owner.token})
    assert forged.status_code == 403
    assert _count(database, ConsoleSession) == 1


def test_workspace_lifecycle_through_the_pages(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    sign_in(client, owner.token)
    listing = "/console/orgs/acme/workspaces"
    created = post_form(client, listing, listing, {"title": "Design", "workspace_id": "design"})
    assert created.status_code == 303
    assert created.headers["location"].startswith("/console/orgs/acme/workspaces/design/members")
    invalid = post_form(client, listing, listing, {"title": "Bad", "workspace_id": "Not A Slug"})
    assert invalid.status_code == 400
    assert 'id="create-workspace_id-error"' in invalid.text  # next to its field
    uid = _uid(database)
    renamed = post_form(client, listing, f"{listing}/{uid}/rename", {"title": "Design Team"})
    assert renamed.status_code == 303
    rename = f"{listing}/{uid}/rename"
    iconed = post_form(client, listing, rename, {"title": "Design Team", "icon": "palette"})
    assert iconed.status_code == 303
    assert 'value="palette"' in client.get(listing).text
    with database.read() as session:
        assert session.scalars(select(Workspace.icon)).one() == "palette"
    too_long = post_form(client, listing, rename, {"title": "Design Team", "icon": "x" * 201})
    assert too_long.status_code == 400 and f'id="rename-{uid}-icon-error"' in too_long.text
    colored = post_form(
        client,
        listing,
        rename,
        {"title": "Design Team", "icon": "palette", "icon_color": "#3b82f6"},
    )
    assert colored.status_code == 303
    with database.read() as session:
        assert session.execute(select(Workspace.icon, Workspace.icon_color)).one() == (
            "palette",
            "#3b82f6",
        )
    assert 'value="#3b82f6"' in client.get(listing).text
    bad_color = post_form(client, listing, rename, {"title": "Design Team", "icon_color": "x" * 51})
    assert bad_color.status_code == 400 and f'id="rename-{uid}-icon_color-error"' in bad_color.text
    cleared = post_form(
        client, listing, rename, {"title": "Design Team", "icon": "", "icon_color": ""}
    )
    assert cleared.status_code == 303
    with database.read() as session:
        assert session.execute(select(Workspace.icon, Workspace.icon_color)).one() == (None, None)
    assert post_form(client, listing, f"{listing}/{uid}/delete", {}).status_code == 303
    deleted = client.get(listing + "?show_deleted=true")
    assert "Design Team" in deleted.text and "Undelete" in deleted.text
    assert post_form(client, listing, f"{listing}/{uid}/undelete", {}).status_code == 303
    page = client.get(listing + "?filter=" + 'title:"Team"' + "&order_by=title")
    assert "Design Team" in page.text
    bad = client.get(listing + "?filter=nonsense%20%3D")
    assert bad.status_code == 400 and 'class="error"' in bad.text


def _uid(database: Database) -> str:
    with database.read() as session:
        return str(session.scalars(select(Workspace.id).where(Workspace.slug == "design")).one())


def test_members_page_explains_the_last_owner_rule(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    colleague = world.person("acme", org_role="member")
    sign_in(client, owner.token)
    listing = "/console/orgs/acme/workspaces"
    post_form(client, listing, listing, {"title": "Ops", "workspace_id": "ops"})
    members = f"{listing}/ops/members"
    added = post_form(client, members, members, {"email": colleague.email, "role": "viewer"})
    assert added.status_code == 303
    assert colleague.email in client.get(members).text
    unknown = post_form(client, members, members, {"email": "nobody@example.com", "role": "viewer"})
    assert unknown.status_code in (400, 404)
    assert 'class="error"' in unknown.text
    demote = post_form(client, members, f"{members}/{owner.user_id}/role", {"role": "viewer"})
    assert demote.status_code == 409
    assert "must keep at least one owner" in demote.text
    assert "Make someone else an owner first" in demote.text
    changed = post_form(client, members, f"{members}/{colleague.user_id}/role", {"role": "editor"})
    assert changed.status_code == 303
    audit = client.get("/console/orgs/acme/audit?action=workspace.member.role_changed")
    assert audit.status_code == 200
    assert "workspace.member.role_changed" in audit.text
    assert colleague.user_id in audit.text
    removed = post_form(client, members, f"{members}/{colleague.user_id}/remove", {})
    assert removed.status_code == 303
    assert colleague.email not in client.get(members).text


def test_invitation_mail_link_opens_the_console_and_creates_the_account(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    sign_in(client, owner.token)
    listing = "/console/orgs/acme/workspaces"
    post_form(client, listing, listing, {"title": "Sales", "workspace_id": "sales"})
    invitations = f"{listing}/sales/invitations"
    sent = post_form(
        client, invitations, invitations, {"email": "new@example.com", "role": "editor"}
    )
    assert sent.status_code == 303
    page = client.get(invitations).text
    assert "new@example.com" in page and "Pending" in page
    mail = mailbox.wait_for("new@example.com")[0]
    token = mail.invite_token
    assert f"http://127.0.0.1:8000/console/invitations/accept?token={token}" in mail.body
    assert token not in page  # rule 2: the inviter never sees it

    invitee = TestClient(client.app)
    landing = invitee.get(f"/console/invitations/accept?token={token}")
    assert landing.status_code == 200
    assert "sales" in landing.text and "Workspace Editor" in landing.text
    empty_name = invitee.post(
        "/console/invitations/accept",
        data={"csrf_token": csrf_of(landing.text), "token": token, "display_name": " "},
    )
    assert empty_name.status_code == 400 and 'id="accept-display_name-error"' in empty_name.text
    accepted = invitee.post(
        "/console/invitations/accept",
        data={"csrf_token": csrf_of(landing.text), "token": token, "display_name": "New Person"},
    )
    assert accepted.status_code == 200
    assert "wsd_" in accepted.text  # the first token, shown once
    assert accepted.headers["cache-control"] == "no-store"
    # ...and the new account is signed in to the console.
    assert invitee.get("/console/orgs/acme/workspaces/sales/members").status_code == 200
    assert "Accepted" in client.get(invitations).text
    again = invitee.get(f"/console/invitations/accept?token={token}")
    assert "can no longer be accepted" in again.text
    missing = invitee.get("/console/invitations/accept?token=wsi_" + "A" * 64)
    assert missing.status_code == 404


def test_revoking_an_invitation(client: TestClient, world: World, mailbox: Mailbox) -> None:
    owner = world.person("acme")
    sign_in(client, owner.token)
    listing = "/console/orgs/acme/workspaces"
    post_form(client, listing, listing, {"title": "Legal", "workspace_id": "legal"})
    invitations = f"{listing}/legal/invitations"
    post_form(client, invitations, invitations, {"email": "x@example.com", "role": "viewer"})
    page = client.get(invitations).text
    invite_id = re.search(r"invitations/([0-9a-f-]{36})/revoke", page)
    assert invite_id
    revoke = f"{invitations}/{invite_id.group(1)}/revoke"
    assert post_form(client, invitations, revoke, {}).status_code == 303
    assert "Revoked" in client.get(invitations + "?state=REVOKED").text
    twice = post_form(client, invitations, revoke, {})
    assert twice.status_code == 409 and 'class="error"' in twice.text


def test_resending_an_invitation(
    client: TestClient, world: World, mailbox: Mailbox, database: Database
) -> None:
    owner = world.person("acme")
    viewer = world.person("acme", org_role="member")
    sign_in(client, owner.token)
    listing = "/console/orgs/acme/workspaces"
    post_form(client, listing, listing, {"title": "Ops", "workspace_id": "ops"})
    members = f"{listing}/ops/members"
    post_form(client, members, members, {"email": viewer.email, "role": "viewer"})
    invitations = f"{listing}/ops/invitations"
    post_form(client, invitations, invitations, {"email": "y@example.com", "role": "viewer"})
    first = mailbox.invite_token("y@example.com")
    invite_id = re.search(r"invitations/([0-9a-f-]{36})/resend", client.get(invitations).text)
    assert invite_id
    resend = f"{invitations}/{invite_id.group(1)}/resend"
    resent = post_form(client, invitations, resend, {})
    assert resent.status_code == 303 and "invitation-resent" in resent.headers["location"]
    second = mailbox.invite_token("y@example.com", nth=2)
    assert second != first
    # The old link is dead, the new one opens the invitation.
    assert "y@example.com" in client.get(f"/console/invitations/accept?token={second}").text
    assert client.get(f"/console/invitations/accept?token={first}").status_code == 404
    with database.read() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "invite.resent" in actions
    # A viewer is refused by the domain, the reason shown at the invitation.
    client.cookies.clear()
    sign_in(client, viewer.token)
    refused = client.post(
        resend,
        data={"csrf_token": csrf_of(client.get(members).text)},
        follow_redirects=False,
    )
    assert refused.status_code == 403 and "invites:list" in refused.text
    # Revoked: nothing to resend, said on the page.
    client.cookies.clear()
    sign_in(client, owner.token)
    post_form(client, invitations, f"{invitations}/{invite_id.group(1)}/revoke", {})
    again = post_form(client, invitations, resend, {})
    assert again.status_code == 409 and "revoked" in again.text


def test_sign_in_attempts_are_limited_per_address(database: Database, world: World) -> None:
    owner = world.person("acme")
    app = create_app(
        database,
        mail=MailSettings(smtp_url="log:"),
        rate_limits=RateLimitSettings(per_credential=1000, per_address=3, window_s=60),
    )
    with TestClient(app) as limited:
        answers = [sign_in(limited, "wsd_" + "A" * 40).status_code for _ in range(3)]
        assert answers == [400, 400, 400]
        refused = sign_in(limited, owner.token)  # even the right token, past the limit
        assert refused.status_code == 429
        assert "Too many attempts" in refused.text
    assert _count(database, ConsoleSession) == 0


def test_api_keys_secret_shown_once_and_revoked(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    sign_in(client, owner.token)
    keys = "/console/orgs/acme/api-keys"
    none_picked = post_form(client, keys, keys, {"display_name": "backend"})
    assert none_picked.status_code == 400 and "at least one permission" in none_picked.text
    created = post_form(
        client, keys, keys, {"display_name": "backend", "permission:workspaces:get": "on"}
    )
    assert created.status_code == 200
    secret = re.search(r'value="(wsk_[A-Za-z0-9]+)"', created.text)
    assert secret
    assert created.headers["cache-control"] == "no-store"
    listing = client.get(keys).text
    assert "backend" in listing and secret.group(1) not in listing  # shown once
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert client.get("/api/v1/organizations/acme/workspaces", headers=headers).status_code == 200
    key_id = re.search(r"api-keys/([0-9a-f-]{36})/revoke", listing)
    assert key_id
    revoked = post_form(client, keys, f"{keys}/{key_id.group(1)}/revoke", {})
    assert revoked.status_code == 303
    assert client.get("/api/v1/organizations/acme/workspaces", headers=headers).status_code == 401


def test_webhook_endpoint_deliveries_and_retry(database: Database, world: World) -> None:
    owner = world.person("acme")
    settings = WebhookSettings(
        allow_private=True, retry_schedule=(timedelta(seconds=0.2),) * 3, poll_interval_s=0.05
    )
    app = create_app(database, mail=MailSettings(smtp_url="log:"), webhooks=settings)
    with webhook_receiver() as receiver, TestClient(app) as client:
        sign_in(client, owner.token)
        hooks = "/console/orgs/acme/webhooks"
        private = post_form(client, hooks, hooks, {"url": "not a url"})
        assert private.status_code == 400 and 'id="create-url-error"' in private.text
        created = post_form(
            client, hooks, hooks, {"url": receiver.url + "/hook", "event:workspace.created": "on"}
        )
        assert created.status_code == 200
        secret = re.search(
            r'id="new-secret" type="text" readonly value="(whsec_[^"]+)"', created.text
        )
        assert secret and secret.group(1) not in client.get(hooks).text
        listing = "/console/orgs/acme/workspaces"
        post_form(client, listing, listing, {"title": "Hooked", "workspace_id": "hooked"})
        receiver.wait("/hook", 1)
        endpoint_id = re.search(r"webhooks/([0-9a-f-]{36})/deliveries", client.get(hooks).text)
        assert endpoint_id
        deliveries = f"{hooks}/{endpoint_id.group(1)}/deliveries"
        deadline = time.monotonic() + 10
        while "Delivered" not in (page := client.get(deliveries).text):
            assert time.monotonic() < deadline, "the delivery was not recorded"
            time.sleep(0.1)
        assert "workspace.created" in page and "HTTP 200" in page
        retry = re.search(r'action="([^"]+/retry)"', page)
        assert retry
        assert post_form(client, deliveries, retry.group(1), {}).status_code == 303
        receiver.wait("/hook", 2)


def test_webhook_endpoint_edit_disable_enable_and_rotate(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    sign_in(client, owner.token)
    hooks = "/console/orgs/acme/webhooks"
    # Public address literals (no DNS).
    created = post_form(client, hooks, hooks, {"url": "https://93.184.215.14/a"})
    first_secret = re.search(
        r'id="new-secret" type="text" readonly value="(whsec_[^"]+)"', created.text
    )
    assert first_secret
    endpoint_id = re.search(r"webhooks/([0-9a-f-]{36})/deliveries", client.get(hooks).text)
    assert endpoint_id
    edit = f"{hooks}/{endpoint_id.group(1)}"
    assert 'value="https://93.184.215.14/a"' in client.get(edit).text

    # Refusals at the field, the input kept.
    bad = post_form(client, edit, edit, {"url": "http://127.0.0.1/x", "description": "kept"})
    assert bad.status_code == 400 and 'id="edit-url-error"' in bad.text
    assert 'value="kept"' in bad.text
    changed = post_form(
        client,
        edit,
        edit,
        {
            "url": "https://93.184.215.14/b",
            "description": "billing",
            "event:role.created": "on",
            "event:role.deleted": "on",
        },
    )
    assert changed.status_code == 303 and "endpoint-updated" in changed.headers["location"]
    page = client.get(edit).text
    assert 'value="https://93.184.215.14/b"' in page and 'value="billing"' in page
    assert 'name="event:role.created" checked' in page
    assert 'name="event:workspace.created" checked' not in page
    with database.read() as session:
        endpoint = session.scalars(select(WebhookEndpoint)).one()
        assert endpoint.url == "https://93.184.215.14/b"
        assert sorted(endpoint.event_types) == ["role.created", "role.deleted"]
    # An emptied description clears it (it was a 500: NULL into a NOT NULL column).
    cleared = post_form(client, edit, edit, {"url": "https://93.184.215.14/b", "description": ""})
    assert cleared.status_code == 303, cleared.text
    with database.read() as session:
        assert session.scalars(select(WebhookEndpoint.description)).one() == ""

    state = f"{edit}/state"
    disabled = post_form(client, hooks, state, {"disabled": "true"})
    assert disabled.status_code == 303 and "endpoint-disabled" in disabled.headers["location"]
    assert "Enable" in client.get(hooks).text
    enabled = post_form(client, hooks, state, {"disabled": "false"})
    assert enabled.status_code == 303 and "endpoint-enabled" in enabled.headers["location"]
    with database.read() as session:
        assert session.scalars(select(WebhookEndpoint.disabled)).one() is False

    rotated = post_form(client, hooks, f"{edit}/rotate", {})
    assert rotated.status_code == 200
    secret = re.search(
        r'id="rotated-secret" type="text" readonly value="(whsec_[^"]+)"', rotated.text
    )
    assert secret and secret.group(1) != first_secret.group(1)
    assert secret.group(1) not in client.get(hooks).text  # shown once
    with database.read() as session:
        actions = set(session.scalars(select(AuditEvent.action)).all())
    assert {"webhook.updated", "webhook.secret_rotated"} <= actions


def test_custom_roles_create_edit_delete(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    sign_in(client, owner.token)
    roles = "/console/orgs/acme/roles"
    assert "Workspace Viewer" in client.get(roles).text
    role = {"role_id": "auditor", "display_name": "Auditor", "permission:members:list": "on"}
    assert post_form(client, roles, roles, role).status_code == 303
    clash = post_form(client, roles, roles, {**role, "display_name": "Other"})
    assert clash.status_code == 409 and 'class="error"' in clash.text
    bad = post_form(client, roles, roles, {**role, "role_id": "Bad Id"})
    assert bad.status_code == 400 and 'id="create-role_id-error"' in bad.text
    edit = f"{roles}/auditor"
    page = client.get(edit).text
    assert 'name="permission:members:list" checked' in page
    changed = post_form(
        client,
        edit,
        edit,
        {
            "display_name": "Auditor",
            "permission:members:list": "on",
            "permission:invites:list": "on",
        },
    )
    assert changed.status_code == 303
    assert "invites:list" in client.get(roles).text
    assert post_form(client, roles, f"{edit}/delete", {}).status_code == 303
    assert "Auditor" not in client.get(roles).text


def test_sessions_end_after_12_hours_idle_or_7_days(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    home = "/console/orgs/acme/workspaces"
    sign_in(client, owner.token)
    clock.advance(timedelta(hours=11))
    assert client.get(home).status_code == 200  # seen: the idle clock starts again
    clock.advance(timedelta(hours=11))
    assert client.get(home).status_code == 200
    clock.advance(timedelta(hours=12, minutes=1))
    assert client.get(home, follow_redirects=False).status_code == 303  # idle
    sign_in(client, owner.token)
    for _ in range(16):  # busy all week: the absolute limit still ends it
        clock.advance(timedelta(hours=11))
        client.get(home)
    assert client.get(home, follow_redirects=False).status_code == 303
    sign_in(client, owner.token)  # the token itself still works: the session ended
    assert client.get(home).status_code == 200


def test_organization_settings_rename_and_transfer(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    admin = world.person("acme", org_role="admin")
    sign_in(client, owner.token)
    settings = "/console/orgs/acme/settings"
    empty = post_form(client, settings, f"{settings}/rename", {"display_name": ""})
    assert empty.status_code == 400 and 'id="rename-display_name-error"' in empty.text
    renamed = post_form(client, settings, f"{settings}/rename", {"display_name": "Acme Inc."})
    assert renamed.status_code == 303
    assert "Acme Inc." in client.get(settings).text
    stranger = post_form(client, settings, f"{settings}/transfer", {"user": "no@example.com"})
    assert stranger.status_code == 400 and 'id="transfer-user-error"' in stranger.text
    moved = post_form(client, settings, f"{settings}/transfer", {"user": admin.email})
    assert moved.status_code == 303
    # The former owner is an admin now: a second transfer is an owner's power.
    again = post_form(client, settings, f"{settings}/transfer", {"user": admin.email})
    assert again.status_code == 403 and "Refused" in again.text
    organizations = client.get("/console/organizations").text
    assert "admin" in organizations and "Open (current)" in organizations


def test_signing_in_again_replaces_the_session(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    first = sign_in(client, owner.token).headers["set-cookie"].split(";")[0]
    second = sign_in(client, owner.token).headers["set-cookie"].split(";")[0]
    assert first != second
    assert _count(database, ConsoleSession) == 1
    clock.advance(timedelta(days=8))
    other = TestClient(client.app)
    sign_in(other, owner.token)  # the ended session's row goes
    assert _count(database, ConsoleSession) == 1


def test_accepting_signed_in_as_the_invitee_or_as_someone_else(
    client: TestClient, world: World, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    invitee = world.person("acme", org_role="member")
    someone = world.person("acme", org_role="member")
    sign_in(client, owner.token)
    listing = "/console/orgs/acme/workspaces"
    post_form(client, listing, listing, {"title": "Docs", "workspace_id": "docs"})
    invitations = f"{listing}/docs/invitations"
    post_form(client, invitations, invitations, {"email": invitee.email, "role": "viewer"})
    link = f"/console/invitations/accept?token={mailbox.invite_token(invitee.email)}"

    wrong = TestClient(client.app)
    sign_in(wrong, someone.token)
    page = wrong.get(link)
    assert "sent to another address" in page.text
    refused = wrong.post(
        "/console/invitations/accept",
        data={"csrf_token": csrf_of(page.text), "token": link.split("=", 1)[1]},
    )
    assert refused.status_code == 403 and "different email address" in refused.text

    anonymous = TestClient(client.app)
    landing = anonymous.get(link).text
    assert "/console/sign-in?next=%2Fconsole%2Finvitations%2Faccept%3Ftoken%3D" in landing
    right = TestClient(client.app)
    signed_in = right.post(
        "/console/sign-in",
        data={
            "csrf_token": csrf_of(right.get("/console/sign-in").text),
            "token": invitee.token,
            "next": link,
        },
        follow_redirects=False,
    )
    assert signed_in.headers["location"] == link  # back to the invitation
    page = right.get(link)
    accepted = right.post(
        "/console/invitations/accept",
        data={"csrf_token": csrf_of(page.text), "token": link.split("=", 1)[1]},
    )
    assert accepted.status_code == 200 and "You accepted the invitation" in accepted.text
    assert "wsd_" not in accepted.text  # their token already acts here: no new one
    assert invitee.email in client.get(f"{listing}/docs/members").text
