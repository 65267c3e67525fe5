"""The tenancy guard itself must be able to fail."""

from __future__ import annotations

from tests.tenancy_guard import _PACKAGE, TenancyGuard, unscoped_tables


def test_flags_tenant_queries_without_org_id() -> None:
    assert unscoped_tables("SELECT workspaces.id FROM workspaces WHERE workspaces.slug = ?") == [
        "workspaces"
    ]
    assert (
        unscoped_tables(
            "SELECT workspaces.id FROM workspaces WHERE workspaces.org_id = ? AND slug = ?"
        )
        == []
    )
    assert unscoped_tables("UPDATE workspace_memberships SET role_id=? WHERE user_id=?") == [
        "workspace_memberships"
    ]
    assert unscoped_tables("INSERT INTO workspaces (id) VALUES (?)") == []
    assert unscoped_tables("SELECT users.id FROM users") == []


def test_guard_checks_only_statements_issued_by_the_application() -> None:
    guard = TenancyGuard()
    statement = "SELECT workspaces.id FROM workspaces"
    guard(None, None, statement)  # issued from this test file: ignored
    assert guard.violations == []
    # The same statement issued from a module inside the package is a violation.
    code = compile(
        "def issue(guard, s):\n    guard(None, None, s)\n",
        f"{_PACKAGE}/workspace/fake_repository.py",
        "exec",
    )
    namespace: dict[str, object] = {}
    exec(code, namespace)  # a function whose frame lives "in" the package
    namespace["issue"](guard, statement)  # type: ignore[operator]
    assert len(guard.violations) == 1
