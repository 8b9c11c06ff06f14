"""The CLI's commands, one module per area; each registers its own subcommands.

A module here exposes `register(commands, common)`, adding parsers whose `handler` default is
a function `handler(args, context) -> int`. Add a new area by listing its module below
(conventions for a whole new capability: docs/development.md).
"""
from __future__ import annotations

import argparse
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from console.config import ConsoleConfig
from core.errors import InputError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator

    from console.session import Session

COMMAND_MODULES = (
    "console.commands.demo",
    "console.commands.users",
    "console.commands.ledger",
    "console.commands.rates",
    "console.commands.calendar",
    "console.commands.reads",
    "console.commands.workorders",
    "console.commands.account",
    "console.commands.payments",
    "console.commands.deposits",
    "console.commands.refunds",
    "console.commands.adjust",
    "console.commands.lockoff",
    "console.commands.collections",
    "console.commands.bill",
)


@dataclass(frozen=True)
class CommandContext:
    """What every command gets: merged configuration and the (movable) today."""

    config: ConsoleConfig
    today: date

    def db_path(self) -> Path:
        if not self.config.db:
            raise InputError("no database given: pass --db PATH, set MTL_DB, or set `db` in "
                             "~/.config/meterline/config.toml")
        return Path(self.config.db)


# Every `meterline` start, the console's too, imports this module and start-up is a budget: the
# session and database modules are imported inside these two, when a command runs.
@contextmanager
def opened_database(context: CommandContext) -> Iterator[sqlite3.Connection]:
    """A connection to the district's database, closed when the command is done."""
    from db.connection import open_database

    conn = open_database(context.db_path())
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def signed_in(context: CommandContext) -> Iterator[tuple[Session, sqlite3.Connection, str]]:
    """(the clerk's session, a connection, the stamp for this command's writes).

    The OS user must be an active district user: anyone else is refused before anything opens.
    """
    from console.session import now_stamp, start_session

    session = start_session(context.db_path(), context.today)
    with opened_database(context) as conn:
        yield session, conn, now_stamp()


def register_all(commands: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 argv: list[str] | None = None) -> None:
    """Register the command named in `argv`, or every command when none is named (for --help).

    A module's last name is its command's name ("console.commands.ledger" is `meterline
    ledger`), so opening the console imports no command module: start-up is a budget.
    """
    from importlib import import_module

    names = {module.rsplit(".", 1)[-1]: module for module in COMMAND_MODULES}
    words = [word for word in (argv or []) if not word.startswith("-")]
    wanted = [names[word] for word in words if word in names][:1]
    if argv is not None and not wanted and not any(w in ("-h", "--help") for w in argv):
        # No command named: still list them all in usage errors, without importing them.
        for name in names:
            commands.add_parser(name, help=f"see `meterline {name} --help`")
        return
    for module in wanted or COMMAND_MODULES:
        import_module(module).register(commands, common)
