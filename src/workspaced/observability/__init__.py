"""What an operator watches (SPEC §9): Prometheus metrics, structured logs, traces."""
