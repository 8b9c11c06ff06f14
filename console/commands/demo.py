"""`meterline demo`: build the demo district database."""
from __future__ import annotations

import argparse

from console.commands import CommandContext
from console.session import os_login
from core.errors import InputError


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = commands.add_parser("demo", parents=[common], help="build the demo district database")
    demo.add_argument("--accounts", type=int, default=2000, help="number of accounts (2000)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (1)")
    demo.set_defaults(handler=build)


def build(args: argparse.Namespace, context: CommandContext) -> int:
    from fixtures.demo import build_demo

    if args.accounts < 1:
        raise InputError("--accounts must be at least 1")
    path = context.db_path()
    summary = build_demo(path, accounts=args.accounts, seed=args.seed, today=context.today,
                         admin_login=os_login())
    print(f"Built the demo district at {path}: {summary}")
    return 0
