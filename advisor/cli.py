"""``advisor``: run a spec, run the demo."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AdvisorError

if TYPE_CHECKING:
    from .report.schema import Report


class _Progress:
    """One status line per stage on stderr, rewritten in place on a terminal."""

    def __init__(self) -> None:
        self._stage = ""
        self._last = 0.0
        self._tty = sys.stderr.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self._stage and done < total and now - self._last < 0.5:
            return
        self._last = now
        if stage != self._stage and self._stage and self._tty:
            sys.stderr.write("\n")
        self._stage = stage
        line = f"[advisor] {stage}: {done}/{total}"
        if self._tty:
            sys.stderr.write("\r" + line)
        elif done in (0, total) or done == 1:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self._tty and self._stage:
            sys.stderr.write("\n")


def _print_summary(report: Report, paths: Mapping[str, Path]) -> None:
    """The verdict, its reason, and every file written (report.html first: it is the one to open)."""
    v = report.verdict
    print(f"Verdict: {v.decision}" + (f" ({v.student})" if v.student else ""))
    print(v.reason)
    order = ["html", "md", "pdf", "summary", "json", "predictions"]
    shown = sorted(paths, key=lambda k: order.index(k) if k in order else len(order))
    for i, key in enumerate(shown):
        print(f"{'Report:' if i == 0 else '':<8}{paths[key]}")


def cmd_run(args: argparse.Namespace) -> int:
    """Run a spec to a report folder."""
    from .pipeline import run_spec
    from .spec import load_spec

    spec = load_spec(args.spec)
    progress = _Progress()
    try:
        report, paths = run_spec(spec, args.out, progress=progress)
    finally:
        progress.close()
    _print_summary(report, paths)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the bundled demo: a teacher over HTTP on 127.0.0.1 and local students."""
    from .demo import run_demo

    progress = _Progress()
    try:
        report, paths = run_demo(args.out, progress=progress)
    finally:
        progress.close()
    _print_summary(report, paths)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the HTTP service (settings from ADVISOR_* variables; flags override them)."""
    import uvicorn

    from .api import create_app
    from .config import Settings

    overrides = {k: v for k, v in vars(args).items() if k in Settings.model_fields and v is not None}
    settings = Settings(**overrides)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``advisor``."""
    parser = argparse.ArgumentParser(prog="advisor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run SPEC.yaml end to end and write the reports")
    run.add_argument("spec", help="run spec (YAML)")
    run.add_argument("--out", default="out", help="report folder (default: ./out)")
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="offline demo on the bundled support-ticket task")
    demo.add_argument("--out", default="demo-report", help="report folder (default: ./demo-report)")
    demo.set_defaults(func=cmd_demo)
    serve = sub.add_parser("serve", help="start the HTTP service (see docs/service.md)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--data-dir", dest="data_dir", help="SQLite store folder (default ./advisor-data)")
    serve.add_argument("--database-url", dest="database_url", help="e.g. postgresql+psycopg://user@host/db")
    serve.add_argument("--executor", choices=["inprocess", "ray"], help="where runs execute")
    serve.add_argument("--ray-address", dest="ray_address", help="ray.init(address=...) for --executor ray")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; domain errors become one clear line and exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except AdvisorError as e:
        print(f"advisor: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
