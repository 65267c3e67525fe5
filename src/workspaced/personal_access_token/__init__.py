"""Personal access tokens: issued, listed and revoked by their owner or an organization admin."""
