"""The console in a real browser (headless Debian chromium, selenium) against a live
`workspaced serve`: an owner signs in with a token, creates a workspace and invites a
colleague; the colleague opens the mail's link in a second browser and accepts, creating
their account; the owner changes their role, finds the change in the audit log,
creates and revokes an API key, and sees the revocation's webhook delivery. Another owner
signs in through the identity provider (panva's oidc-provider, its own login and consent
pages), lands on the organization's workspaces, and signs out, which ends the session.

Screenshots of the browsers land in the test's tmp_path when a step fails.
WORKSPACED_CONSOLE_SCREENSHOT=path also saves the members page there (docs/console-members.png).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.console.browser import (
    browser,
    fill,
    require_browser,
    screenshot,
    submit,
    wait_for,
    wait_for_text,
)
from tests.mail_support import Mailbox
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, IdentityProvider, require_node
from tests.support import World, free_port, live_server
from tests.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.slow
_LINK = re.compile(r"https?://\S+(/console/invitations/accept\?token=\S+)")


@contextmanager
def _browsers(
    tmp_path: Path, request: pytest.FixtureRequest, *sizes: tuple[int, int]
) -> Iterator[list[webdriver.Chrome]]:
    """Browsers of these window sizes; their screenshots and pages are saved in tmp_path
    when the test fails."""
    require_browser()
    opened: list[webdriver.Chrome] = []
    with ExitStack() as stack:

        def save_screenshots() -> None:
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                for i, driver in enumerate(opened):
                    screenshot(driver, tmp_path / f"browser-{i}.png")
                    (tmp_path / f"browser-{i}.html").write_text(driver.page_source)

        for width, height in sizes:
            opened.append(stack.enter_context(browser(width, height)))
        stack.callback(save_screenshots)  # runs first, while the browsers are open
        yield opened


@pytest.fixture
def browsers(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[list[webdriver.Chrome]]:
    with _browsers(tmp_path, request, (1280, 900), (390, 844)) as opened:  # and a phone's
        yield opened


@pytest.fixture
def one_browser(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[webdriver.Chrome]:
    with _browsers(tmp_path, request, (1280, 900)) as opened:
        yield opened[0]


def test_invite_accept_change_role_and_audit(
    browsers: list[webdriver.Chrome],
    database_url: str,
    world: World,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner_browser, colleague_browser = browsers
    owner = world.person("acme", email="olivia@example.com", name="Olivia Owner")
    # The receiver listens on loopback, which endpoints may use only when allowed.
    monkeypatch.setenv("WORKSPACED_WEBHOOK_ALLOW_PRIVATE", "true")
    with webhook_receiver() as receiver, live_server(database_url, smtp_url=mailbox.url) as base:
        # The owner signs in with their personal access token.
        owner_browser.get(base + "/console/")
        wait_for(owner_browser, "form[action='/console/sign-in']")
        fill(owner_browser, "Personal access token", owner.token)
        submit(owner_browser, owner_browser.find_element(By.XPATH, "//button[.='Sign in']"))
        wait_for_text(owner_browser, "h1", "Workspaces of acme")

        # ...creates a workspace,
        fill(owner_browser, "Title", "Launch Plan")
        submit(
            owner_browser, owner_browser.find_element(By.XPATH, "//button[.='Create workspace']")
        )
        wait_for_text(owner_browser, ".notice", "The workspace was created.")
        members_url = owner_browser.current_url.split("?")[0]

        # ...and invites a colleague, who gets the mail.
        owner_browser.find_element(By.LINK_TEXT, "Invitations").click()
        wait_for_text(owner_browser, "h2", "Invite someone")
        fill(owner_browser, "Email", "colin@example.com")
        Select(owner_browser.find_element(By.ID, "send-role")).select_by_visible_text(
            "Workspace Viewer"
        )
        submit(owner_browser, owner_browser.find_element(By.XPATH, "//button[.='Send invitation']"))
        wait_for_text(owner_browser, "#invitations", "colin@example.com")
        mail = mailbox.wait_for("colin@example.com")[0]
        link = _LINK.search(mail.body)
        assert link, mail.body

        # The colleague opens the link in another browser and creates their account.
        colleague_browser.get(base + link.group(1))
        wait_for_text(colleague_browser, "#invitation-state", "Pending")
        fill(colleague_browser, "Your name", "Colin Colleague")
        submit(
            colleague_browser,
            colleague_browser.find_element(By.XPATH, "//button[.='Create my account and accept']"),
        )
        wait_for_text(colleague_browser, ".notice", "You accepted the invitation")
        assert wait_for(colleague_browser, "#new-token").get_attribute("value") or "".startswith(
            "wsd_"
        )
        colleague_browser.find_element(By.LINK_TEXT, "Go to the workspace").click()
        wait_for_text(colleague_browser, "#members", "Colin Colleague")
        # Readable on a phone: nothing wider than the window.
        assert colleague_browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )

        # The owner makes the colleague an editor.
        owner_browser.get(members_url)
        row = wait_for(owner_browser, "tr[data-email='colin@example.com']")
        Select(row.find_element(By.TAG_NAME, "select")).select_by_visible_text("Workspace Editor")
        submit(owner_browser, row.find_element(By.XPATH, ".//button[.='Change role']"))
        wait_for_text(owner_browser, ".notice", "The member's role was changed.")
        wait_for_text(owner_browser, "tr[data-email='colin@example.com'] .role", "Workspace Editor")
        saved = os.environ.get("WORKSPACED_CONSOLE_SCREENSHOT")
        if saved:
            screenshot(owner_browser, Path(saved))

        # ...and finds the change in the audit log.
        owner_browser.find_element(By.LINK_TEXT, "Audit log").click()
        fill(owner_browser, "Action", "workspace.member.role_changed")
        submit(owner_browser, owner_browser.find_element(By.XPATH, "//button[.='Apply']"))
        wait_for_text(owner_browser, "#audit-events", "workspace.member.role_changed")
        assert "editor" in owner_browser.find_element(By.ID, "audit-events").text

        # An API key: its secret shown once, then revoked (after the browser's confirm).
        owner_browser.find_element(By.LINK_TEXT, "API keys").click()
        fill(owner_browser, "Name", "ci-backend")
        owner_browser.find_element(By.XPATH, "//label[code='workspaces:get']").click()
        submit(owner_browser, owner_browser.find_element(By.XPATH, "//button[.='Create key']"))
        assert (wait_for(owner_browser, "#new-key").get_attribute("value") or "").startswith("wsk_")
        # ...with a webhook endpoint listening first, to see the revocation delivered.
        owner_browser.find_element(By.LINK_TEXT, "Webhooks").click()
        fill(owner_browser, "URL", receiver.url + "/hook")
        submit(owner_browser, owner_browser.find_element(By.XPATH, "//button[.='Add endpoint']"))
        assert (wait_for(owner_browser, "#new-secret").get_attribute("value") or "").startswith(
            "whsec_"
        )
        owner_browser.find_element(By.LINK_TEXT, "API keys").click()
        wait_for_text(owner_browser, "#api-keys", "ci-backend")
        revoke = owner_browser.find_element(By.XPATH, "//button[.='Revoke']")
        page = owner_browser.find_element(By.TAG_NAME, "html")
        revoke.click()
        WebDriverWait(owner_browser, 10).until(expected_conditions.alert_is_present())
        owner_browser.switch_to.alert.accept()
        WebDriverWait(owner_browser, 10).until(expected_conditions.staleness_of(page))
        wait_for_text(owner_browser, ".notice", "The API key was revoked")
        assert "ci-backend" not in owner_browser.find_element(By.ID, "api-keys").text

        # The endpoint's deliveries show the event and the receiver's answer.
        receiver.wait("/hook", 1)
        owner_browser.find_element(By.LINK_TEXT, "Webhooks").click()
        owner_browser.find_element(By.LINK_TEXT, "Deliveries").click()
        for _ in range(50):
            if "Delivered" in wait_for(owner_browser, "#deliveries").text:
                break
            time.sleep(0.2)
            owner_browser.refresh()
        table = owner_browser.find_element(By.ID, "deliveries").text
        assert "api_key.revoked" in table and "HTTP 200" in table


def test_sign_in_through_the_identity_provider_and_sign_out(
    one_browser: webdriver.Chrome,
    database_url: str,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_node()
    driver = one_browser
    owner = world.person("acme", email="ida@example.com", name="Ida Owner")
    # The console's callback must be registered at the provider before either starts.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with IdentityProvider(redirect_uris=[base + "/console/sign-in/oidc/callback"]) as provider:
        # The provider asserts the owner's email, verified: the sign-in links to them.
        provider.add_account("ida", email=owner.email, email_verified=True, name="Ida at IdP")
        for name, value in {
            "WORKSPACED_OIDC_ISSUER": provider.issuer,
            "WORKSPACED_OIDC_AUDIENCE": "https://api.test",
            "WORKSPACED_CONSOLE_OIDC_CLIENT_ID": CLIENT_ID,
            "WORKSPACED_CONSOLE_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "WORKSPACED_PUBLIC_URL": base,
        }.items():
            monkeypatch.setenv(name, value)
        with live_server(database_url, port=port):
            driver.get(base + "/console/")
            wait_for(driver, "form[action='/console/sign-in/oidc']")
            submit(
                driver,
                driver.find_element(By.XPATH, f"//button[.='Sign in with {provider.issuer}']"),
            )

            # oidc-provider's own login page (devInteractions): login and any password.
            login = wait_for(driver, "form input[name='login']")
            assert driver.current_url.startswith(provider.issuer + "/interaction/")
            login.send_keys("ida")
            driver.find_element(By.CSS_SELECTOR, "input[name='password']").send_keys("secret")
            submit(driver, driver.find_element(By.XPATH, "//button[.='Sign-in']"))

            # ...its consent page, if it asks, then back to the console.
            consent = "input[name='prompt'][value='consent']"
            WebDriverWait(driver, 15).until(
                lambda d: (
                    d.find_elements(By.CSS_SELECTOR, consent)
                    or d.current_url.startswith(base + "/console/orgs/")
                )
            )
            if driver.find_elements(By.CSS_SELECTOR, consent):
                submit(driver, driver.find_element(By.XPATH, "//button[.='Continue']"))
            wait_for_text(driver, "h1", "Workspaces of acme")
            assert driver.current_url == base + "/console/orgs/acme/workspaces"
            assert driver.find_element(By.CSS_SELECTOR, "header .who").text == owner.email

            # The session cookie opens pages (HttpOnly: read through the driver, not JS).
            cookie = driver.get_cookie("wsd_console_session")
            assert cookie is not None and cookie["httpOnly"]
            jar = {"wsd_console_session": cookie["value"]}
            page = base + "/console/orgs/acme/workspaces"
            assert httpx.get(page, cookies=jar, follow_redirects=False).status_code == 200

            # Sign out: back at the sign-in page, and the old cookie opens nothing.
            submit(driver, driver.find_element(By.XPATH, "//button[.='Sign out']"))
            wait_for(driver, "form[action='/console/sign-in/oidc']")
            assert driver.get_cookie("wsd_console_session") is None
            stale = httpx.get(page, cookies=jar, follow_redirects=False)
            assert stale.status_code == 303, stale.text[-300:]
            assert stale.headers["location"].startswith("/console/sign-in")
            driver.get(page)
            wait_for(driver, "form[action='/console/sign-in']")
            assert "/console/sign-in" in driver.current_url
