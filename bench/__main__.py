"""``python -m bench``: run every benchmark and write ``bench/RESULTS.md``.

``--smoke`` runs tiny rounds of everything (what ``make test`` checks) and
writes nowhere unless ``--output`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from pathlib import Path

from bench.report import render
from bench.run import Config, run

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny rounds, to check the harness")
    parser.add_argument("--rounds", type=int, help="interleaved rounds")
    parser.add_argument("--no-postgres", action="store_true", help="skip (e), PostgreSQL")
    parser.add_argument("--postgres-url", help="an empty PostgreSQL database for (e)")
    parser.add_argument("--output", type=Path, help=f"where to write (default {RESULTS})")
    args = parser.parse_args(argv)
    config = Config.smoke() if args.smoke else Config()
    if args.rounds:
        config = replace(config, rounds=args.rounds)
    if args.no_postgres:
        config = replace(config, postgres=False)
    results = asyncio.run(run(config, postgres_url=args.postgres_url, log=_log))
    text = render(results)
    output = args.output or (None if args.smoke else RESULTS)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        _log(f"wrote {output}")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
