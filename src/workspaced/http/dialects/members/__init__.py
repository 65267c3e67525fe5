"""The `members` dialect at /v1 (seed 004): workspace members with a flat error envelope."""
