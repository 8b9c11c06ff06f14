"""The CLI's commands, one module per area; each registers its own subcommands.

A module here exposes `register(commands, common)`, adding parsers whose `handler` default is
a function `handler(args, context) -> int`. Add a new area by listing its module below.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from console.config import ConsoleConfig
from core.errors import InputError

COMMAND_MODULES = (
    "console.commands.demo",
    "console.commands.users",
    "console.commands.ledger",
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


def register_all(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from importlib import import_module

    for name in COMMAND_MODULES:
        import_module(name).register(commands, common)
