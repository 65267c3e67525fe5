"""`python -m bench <command>`: the benchmark suite (see BENCHMARKS.md).

python -m bench all --quick      # the CI smoke run: small data, short runs, no peers
python -m bench all              # the published numbers (tens of minutes)
python -m bench reads|depth|writes|scaleout|peers|serving|identity|events|observability [--quick]
python -m bench seed --database-url URL [--org acme --workspaces N --members N]
python -m bench profile [--quick]       # where the server's time goes (py-spy)
python -m bench instructions [--quick]  # CPU instructions per request (callgrind)
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from bench import common
from bench.report import Report

COMMANDS = (
    "all",
    "reads",
    "depth",
    "writes",
    "scaleout",
    "peers",
    "serving",
    "identity",
    "events",
    "observability",
)


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into an exception, so every ExitStack unwinds and the servers and peers
    this run started are stopped too (by default SIGTERM ends Python without cleanup)."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    _stop_on_sigterm()
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "profile":
        from bench import profile

        profile.main(argv[1:])
        return 0
    if argv and argv[0] == "instructions":
        from bench import instructions

        instructions.main(argv[1:])
        return 0
    if argv and argv[0] == "seed":
        from bench import seed

        seed.main(argv[1:])
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("--quick", action="store_true", help="small data, short runs, no peers")
    parser.add_argument("--seconds", type=float, help="length of one load run")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (median reported)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/wsd_bench"
        ),
    )
    parser.add_argument("--reseed", action="store_true", help="ignore cached data sets")
    parser.add_argument("--markdown", help="also write the result table to this file")
    args = parser.parse_args(argv)

    settings = common.Settings(
        seconds=args.seconds or (0.3 if args.quick else 5.0),
        rounds=args.rounds or (1 if args.quick else 3),
        connections=args.connections,
        driver=args.driver,
    )
    from bench import suite

    plan = suite.Plan(
        quick=args.quick, settings=settings, postgres_url=args.postgres_url, reseed=args.reseed
    )
    report = Report()
    started = time.perf_counter()
    print(
        f"driver: {'wrk' if settings.use_wrk() else 'python asyncio'}; "
        f"{settings.rounds} round(s) x {settings.seconds}s, {settings.connections} connections; "
        f"pinning: {common.pinning_available()}",
        flush=True,
    )
    suite.run(args.command, plan, report)
    print(f"\n{report.markdown()}\n\n({time.perf_counter() - started:.0f}s)")
    report.save(common.WORK / "results.json")
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(report.markdown() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
