"""The `meterline` command: the console, and the commands clerks and cron run without it."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date

from console.config import ConfigError, load_config
from core.clock import resolve_today
from core.errors import ConflictError, InputError, PermissionDenied
from db.connection import DatabaseError


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    from console.commands import register_all

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help="district database file (config key `db`, MTL_DB)")
    common.add_argument("--today", default=argparse.SUPPRESS, metavar="YYYY-MM-DD",
                        help="move the clock: the date the whole console works on (MTL_TODAY)")
    parser = argparse.ArgumentParser(
        prog="meterline", parents=[common],
        description="Meterline: the billing department's operations console. "
                    "With no command, opens the console.")
    parser.add_argument("--theme", help="Textual theme name (config key `theme`)")
    parser.add_argument("--color-system", choices=("auto", "standard", "256", "truecolor"),
                        help="colours the terminal can show (config key `color_system`)")
    parser.add_argument("--mouse", action="store_true", default=None,
                        help="turn the mouse on (off by default for SSH)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_all(commands, common, argv)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; bad input and refusals print one sentence and exit non-zero."""
    from console.commands import CommandContext

    words = list(sys.argv[1:] if argv is None else argv)
    args = _parser(words).parse_args(words)
    try:
        config = load_config(flags={"db": getattr(args, "db", None), "theme": args.theme,
                                    "color_system": args.color_system, "mouse": args.mouse})
        today = resolve_today(getattr(args, "today", None) or os.environ.get("MTL_TODAY"),
                              date.today())
        context = CommandContext(config=config, today=today)
        handler = getattr(args, "handler", None)
        if handler is not None:
            return int(handler(args, context))
        from console.run import run_console

        return run_console(context.db_path(), config, today)
    except ConfigError as exc:
        print(f"meterline: configuration: {exc}", file=sys.stderr)
        return 2
    except (InputError, PermissionDenied, ConflictError, DatabaseError) as exc:
        print(f"meterline: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `meterline calendar | head`: the reader left; say nothing more and exit quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
