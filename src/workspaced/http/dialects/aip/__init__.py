"""The native `aip` dialect at /api/v1 (Google AIP style)."""
