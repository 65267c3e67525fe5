"""The HTTP server behind `workspaced serve`: granian (hyper, in Rust), HTTP/1.1.

Chosen for SPEC §6's bounded requests, which uvicorn cannot give: measured on this
service (BENCHMARKS.md, "HTTP server"), uvicorn accepted a 1 MiB header, and held a
connection with partial headers, or with no bytes at all, open indefinitely (its
keep-alive timeout starts only after a first response); granian answers 431 past
`max_header_bytes` before buffering more, and closes any connection that has not
delivered a whole request head within `header_timeout_s`, which also bounds idle
keep-alive (hyper runs the same timer while it waits for the next request). Plain
`http1` mode, not protocol auto-detection: detection waits for the first bytes without
a timer, so a client that connects and sends nothing would never be closed.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

# hyper's smallest read buffer: a limit below it cannot be enforced.
MIN_HEADER_BYTES = 8192
# How long requests in flight get after SIGTERM (WORKSPACED_SHUTDOWN_GRACE).
DEFAULT_GRACE_S = 30


@dataclass(frozen=True)
class ServerLimits:
    max_header_bytes: int = 16 * 1024  # request line and headers, in total
    header_timeout_s: float = 10.0  # to deliver a request head; also idle keep-alive

    def __post_init__(self) -> None:
        if self.max_header_bytes < MIN_HEADER_BYTES:
            raise ValueError(f"the header limit must be at least {MIN_HEADER_BYTES} bytes")
        if not 0 < self.header_timeout_s <= 3600:
            raise ValueError("the header timeout must be between 0 and 3600 seconds")


def serve(
    target: str,
    *,
    host: str,
    port: int,
    workers: int,
    limits: ServerLimits,
    grace_s: int = DEFAULT_GRACE_S,
) -> None:
    """Serve the ASGI app that `target` ("module:factory") builds, until SIGTERM or SIGINT:
    then stop accepting, let requests in flight finish (a worker still busy after
    `grace_s` is killed), run the app's shutdown, and return. Raises OSError when the
    address cannot be bound."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    check_bindable(host, port)
    Server(
        target,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        factory=True,
        workers=workers,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(limits.header_timeout_s * 1000),
            max_buffer_size=limits.max_header_bytes,
            keep_alive=True,
        ),
        websockets=False,
        respawn_failed_workers=True,
        workers_kill_timeout=grace_s,
    ).serve()


def check_bindable(host: str, port: int) -> None:
    """Raise OSError now when the address is taken: granian would report it as a Rust
    panic with a backtrace, not as one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
