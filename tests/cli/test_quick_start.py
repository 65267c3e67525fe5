"""README's quick start, as a newcomer runs it: `workspaced serve` with the default mail
transport (`log:`) writes an invitation to the server's log, where the newcomer finds the
`wsi_` token that accepts it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port


def test_an_invitation_is_in_the_server_log_and_accepts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSPACED_")}
    env["WORKSPACED_DATABASE_URL"] = f"sqlite:///{tmp_path / 'workspaced.db'}"
    boot = subprocess.run(
        [sys.executable, "-m", "workspaced", "bootstrap", "--org", "acme", "--email", "a@b.co"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    headers = {"Authorization": f"Bearer {json.loads(boot.stdout)['token']}"}
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "workspaced", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
            workspaces = base + "/api/v1/organizations/acme/workspaces"
            made = httpx.post(
                workspaces,
                params={"workspace_id": "research"},
                json={"title": "Research"},
                headers=headers,
            )
            assert made.status_code == 200, made.text
            sent = httpx.post(
                workspaces + "/research/invites",
                json={"email": "bob@example.com", "role": "viewer"},
                headers=headers,
            )
            assert sent.status_code == 200 and "wsi_" not in sent.text
            found = None
            while found is None and time.monotonic() < deadline + 30:
                found = re.search(r"wsi_[A-Za-z0-9_-]+", log_path.read_text())
                time.sleep(0.2)
            assert found is not None, log_path.read_text()[-2000:]
            accepted = httpx.post(
                base + "/api/v1/invites:accept",
                json={"invite_token": found.group(0), "display_name": "Bob"},
            )
            assert accepted.status_code == 200, accepted.text
            assert accepted.json()["token"].startswith("wsd_")
        finally:
            server.terminate()
            server.wait(timeout=15)
