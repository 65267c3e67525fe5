"""Process control and load generation shared by every benchmark.

Everything binds to 127.0.0.1. Every process a benchmark starts is registered on an
ExitStack and stopped (SIGTERM, then SIGKILL) when the benchmark ends, even on error.
Servers are pinned to CPU 0 and the load generator to CPU 1 when `taskset` exists and the
machine has at least two cores, so they do not fight over one core.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
SERVER_CPU = "0"
LOAD_CPU = "1"
WORK = Path(os.environ.get("BENCH_WORKDIR", Path(tempfile.gettempdir()) / "workspaced-bench"))


def pinning_available() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def pinned(cpu: str | None, argv: Sequence[str]) -> list[str]:
    if cpu is None or not pinning_available():
        return list(argv)
    return ["taskset", "-c", cpu, *argv]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> tuple[float, float]:
        """(current RSS, peak RSS) in MB of the server process and its children."""
        pids = [self.pid, *_children(self.pid)]
        current = peak = 0.0
        for pid in pids:
            status = _proc_status(pid)
            current += status.get("VmRSS", 0) / 1024
            peak += status.get("VmHWM", 0) / 1024
        return current, peak


def _proc_status(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            for child in map(int, text):
                found.extend([child, *_children(child)])
    return found


def start_server(
    stack: contextlib.ExitStack,
    name: str,
    argv: Sequence[str],
    *,
    port: int,
    env: dict[str, str] | None = None,
    cpu: str | None = SERVER_CPU,
    health_path: str = "/healthz",
    timeout: float = 60.0,
    cwd: str | None = None,
) -> Server:
    """Start a server process, register its shutdown on `stack`, wait until it answers."""
    WORK.mkdir(parents=True, exist_ok=True)
    log_path = WORK / f"{name}.log"
    log = log_path.open("wb")
    stack.callback(log.close)
    process = subprocess.Popen(
        pinned(cpu, argv),
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        start_new_session=True,  # its own process group: we can stop workers too
    )
    stack.callback(stop_process, process)
    server = Server(name, process, f"http://{HOST}:{port}", log_path)
    wait_until_up(server, health_path, timeout)
    return server


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def wait_until_up(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited: see {server.log_path}\n" + tail(server))
        try:
            with urllib.request.urlopen(server.base_url + path, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:  # up, just refusing an anonymous probe
                return
            time.sleep(0.1)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not come up in {timeout}s: see {server.log_path}")


def tail(server: Server, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(server.log_path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def fetch(
    url: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --- load generation ---------------------------------------------------------------


@dataclass
class Load:
    """What one load run sends: a method, a path, headers and a body (or a body factory,
    called once per request, for writes that must differ)."""

    path: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: bytes | None = None
    body_for: Callable[[int], bytes] | None = None


@dataclass
class Settings:
    seconds: float = 5.0
    connections: int = 32
    rounds: int = 3
    driver: str = "auto"  # auto | wrk | python

    def use_wrk(self) -> bool:
        # wrk runs for whole seconds; shorter (smoke-test) runs use the Python driver.
        if self.driver == "auto" and self.seconds < 1:
            return False
        return self.driver == "wrk" or (self.driver == "auto" and shutil.which("wrk") is not None)


@dataclass
class Result:
    requests_per_s: float
    errors: int
    latency_ms_p50: float | None = None
    timeouts: int = 0  # requests the load generator gave up on (wrk: 2 s)


def settle(base_url: str, path: str = "/healthz", timeout: float = 60.0) -> None:
    """Wait until the server answers promptly again: requests the previous run gave up on
    (client timeouts) may still be queued in the server and would slow the next run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with contextlib.suppress(OSError):
            urllib.request.urlopen(base_url + path, timeout=timeout).close()
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(0.2)


def run_load(
    base_url: str, load: Load, settings: Settings, connections: int | None = None
) -> Result:
    settle(base_url)
    conns = connections or settings.connections
    if settings.use_wrk() and load.body_for is None:
        return _wrk(base_url, load, settings.seconds, conns)
    return asyncio.run(_python_load(base_url, load, settings.seconds, conns))


_WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_WRK_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_WRK_P50 = re.compile(r"50%\s+([\d.]+)(us|ms|s)")


def _wrk(base_url: str, load: Load, seconds: float, connections: int) -> Result:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for key, value in load.headers.items():
        argv += ["-H", f"{key}: {value}"]
    with contextlib.ExitStack() as stack:
        if load.method != "GET" or load.body is not None:
            script = stack.enter_context(
                tempfile.NamedTemporaryFile("w", suffix=".lua", dir=WORK, delete=True)
            )
            body = (load.body or b"").decode()
            script.write(f"wrk.method = {_lua(load.method)}\nwrk.body = {_lua(body)}\n")
            script.flush()
            argv += ["-s", script.name]
        out = subprocess.run(
            pinned(LOAD_CPU, [*argv, base_url + load.path]),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    rps = _WRK_RPS.search(out)
    if rps is None:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    errors = sum(int(m) for m in _WRK_NON2XX.findall(out))
    timeouts = 0
    socket_errors = _WRK_ERRORS.search(out)
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
        timeouts = int(socket_errors.group(4))
    p50 = _WRK_P50.search(out)
    latency = None
    if p50:
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
        latency = float(p50.group(1)) * scale
    return Result(float(rps.group(1)), errors, latency, timeouts)


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


async def _python_load(base_url: str, load: Load, seconds: float, connections: int) -> Result:
    """A bounded keep-alive HTTP/1.1 driver on raw asyncio streams: `connections` workers,
    one request in flight each, for `seconds`. Much lighter than an HTTP client library,
    so it disturbs the measurement less, but it is still Python: prefer wrk."""
    host, port = base_url.removeprefix("http://").split(":")
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**12))
    done = 0
    errors = 0
    latencies: list[float] = []

    async def worker() -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < deadline:
                body = load.body_for(next(counter)) if load.body_for else load.body
                head = [f"{load.method} {load.path} HTTP/1.1", f"Host: {host}:{port}"]
                head += [f"{k}: {v}" for k, v in load.headers.items()]
                if body is not None:
                    head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
                started = time.perf_counter()
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (body or b""))
                status, close = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                done += 1
                if status >= 400:
                    errors += 1
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    p50 = statistics.median(latencies) * 1000 if latencies else None
    return Result(done / elapsed, errors, p50)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    close = False
    chunked = False
    for line in lines[1:]:
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "content-length":
            length = int(value)
        elif key == "connection" and value.strip().lower() == "close":
            close = True
        elif key == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, close


def interleaved(
    contenders: dict[str, Callable[[], Result]], rounds: int
) -> dict[str, list[Result]]:
    """Run each contender once per round, in the same order each round, so slow drifts of
    a noisy machine hit every contender alike; callers take the median per contender."""
    results: dict[str, list[Result]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            results[name].append(run())
    return results


def median_rps(results: list[Result]) -> float:
    return statistics.median(r.requests_per_s for r in results)


def total_errors(results: list[Result]) -> int:
    return sum(r.errors for r in results)


def error_note(results: list[Result]) -> str:
    """'N errors (what kind)' for a report note, or '' when every request succeeded."""
    errors = total_errors(results)
    if not errors:
        return ""
    timeouts = sum(r.timeouts for r in results)
    return f"{errors} errors ({timeouts} of them client timeouts)"


def python_server_argv(*args: str) -> list[str]:
    return [sys.executable, *args]


@contextlib.contextmanager
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as exit_stack:
        yield exit_stack
