"""Target 2 (depth and counts cost O(1) in workspace size) and target 4 (memory while
serving the large organization), on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import uuid
from functools import partial

from sqlalchemy import select

from bench import common, servers
from bench.report import Report
from bench.seed import Dataset
from bench.suite import Plan
from workspaced.kit.db import Database
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.models import ServerSecret, WorkspaceMembership

DEPTH_GOAL = 1.2
RSS_GOAL_MB = 200


def deep_token(ds: Dataset, position: int) -> str:
    """The page token a client holds after reading `position` members of `big` in the
    default order, made with the server's own codec (walking 18,000 pages to get it
    would only slow the benchmark down)."""
    database = Database(ds.database_url)
    try:
        with database.read() as session:
            key = session.scalar(
                select(ServerSecret.value).where(ServerSecret.name == "page_token_key")
            )
            wm = WorkspaceMembership
            row = session.execute(
                select(wm.create_time, wm.user_id)
                .where(wm.org_id == uuid.UUID(ds.org_id), wm.workspace_id == uuid.UUID(ds.big_id))
                .order_by(wm.create_time.desc(), wm.user_id.desc())
                .offset(position - 1)
                .limit(1)
            ).one()
    finally:
        database.dispose()
    assert key is not None
    query_id = fingerprint("workspace-users", ds.big_id, "", "")
    return PageTokenCodec(key).encode(query_id, [row.create_time.isoformat(), str(row.user_id)])


def run(plan: Plan, report: Report) -> None:
    for ds in (plan.sqlite_dataset(report), plan.postgres_dataset(report)):
        if ds is not None:
            run_one(ds, plan.settings, report)


def run_one(ds: Dataset, settings: common.Settings, report: Report) -> None:
    backend = "sqlite" if ds.database_url.startswith("sqlite") else "postgresql"
    print(f"target 2/4 on {backend}: {ds.members:,} members", flush=True)
    position = ds.members * 9 // 10
    token = deep_token(ds, position)
    auth = {"Authorization": f"Bearer {ds.viewer_token}"}
    users = f"/api/v1/organizations/{ds.org}/workspaces/{ds.big}/users?page_size=50"
    with contextlib.ExitStack() as stack:
        ours = servers.start_ours(stack, ds.database_url, name=f"workspaced-{backend}")
        status, _, body = common.fetch(ours.base_url + users + f"&page_token={token}", auth)
        if status != 200 or len(json.loads(body)["users"]) != 50:
            raise RuntimeError(f"deep page answered {status}: {body[:200]!r}")
        pairs = {
            f"list users: page at {position:,} vs first page": (
                common.Load(users, auth),
                common.Load(users + f"&page_token={token}", auth),
            )
        }
        members_small = f"/v1/orgs/{ds.org_id}/workspaces/{ds.small_id}/members?limit=1"
        members_big = f"/v1/orgs/{ds.org_id}/workspaces/{ds.big_id}/members?limit=1"
        if common.fetch(ours.base_url + members_big, auth)[0] == 200:
            pairs[f"members total: {ds.members:,} vs {ds.small_members} members"] = (
                common.Load(members_small, auth),
                common.Load(members_big, auth),
            )
        else:
            report.add("2", f"{backend}: members total", "skipped", note="members dialect absent")
        count = f"/api/v1/organizations/{ds.org}/workspaces:countUsers"
        post = {**auth, "Content-Type": "application/json"}
        pairs[f":countUsers: {ds.members:,} vs {ds.small_members} members"] = (
            common.Load(count, post, "POST", json.dumps({"workspace_ids": [ds.small]}).encode()),
            common.Load(count, post, "POST", json.dumps({"workspace_ids": [ds.big]}).encode()),
        )
        for name, (small, big) in pairs.items():
            results = common.interleaved(
                {
                    "small": partial(common.run_load, ours.base_url, small, settings),
                    "big": partial(common.run_load, ours.base_url, big, settings),
                },
                settings.rounds,
            )
            cost = common.median_rps(results["small"]) / common.median_rps(results["big"])
            errors = common.total_errors(results["small"]) + common.total_errors(results["big"])
            report.add(
                "2",
                f"{backend}: {name}",
                f"{cost:.2f}x cost ({common.median_rps(results['big']):,.0f} vs "
                f"{common.median_rps(results['small']):,.0f} req/s)",
                f"<= {DEPTH_GOAL}x",
                cost <= DEPTH_GOAL and errors == 0,
                common.error_note(results["small"] + results["big"]),
            )
        workspaces = f"/api/v1/organizations/{ds.org}/workspaces?page_size=50"
        owner = {"Authorization": f"Bearer {ds.owner_token}"}
        listed = common.run_load(ours.base_url, common.Load(workspaces, owner), settings)
        report.add(
            "4",
            f"{backend}: list {ds.workspaces:,} workspaces (first page, org owner)",
            f"{listed.requests_per_s:,.0f} req/s",
            note=common.error_note([listed]),
        )
        current, peak = ours.rss_mb()
        report.add(
            "4",
            f"{backend}: server resident memory after serving",
            f"{current:.0f} MB (peak {peak:.0f} MB)",
            f"< {RSS_GOAL_MB} MB",
            peak < RSS_GOAL_MB,
        )
