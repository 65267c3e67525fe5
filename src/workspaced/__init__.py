"""workspaced: organizations, workspaces, memberships and roles behind four wire-compatible APIs."""

from importlib.metadata import version

__version__ = version("workspaced")  # one source of truth: pyproject.toml
