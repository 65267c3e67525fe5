"""The audit log: one event per mutation, in the mutation's own transaction."""
