"""Roles and permissions as data, and the single `require` every service calls."""
