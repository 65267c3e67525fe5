"""The admin console at /console: server-rendered pages over the same domain services as
the API (docs/console.md)."""
