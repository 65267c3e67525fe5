"""workspaced: organizations, workspaces, memberships and roles behind four wire-compatible APIs."""

__version__ = "0.1.0"
