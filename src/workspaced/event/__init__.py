"""Events (SPEC §7): the outbox of changes, the feed, webhook endpoints and delivery."""
