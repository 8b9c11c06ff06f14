"""`meterline users add|list`: who may use Meterline, and in which role."""
from __future__ import annotations

import argparse

from console.commands import CommandContext, opened_database, signed_in
from console.session import now_stamp, os_login


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    users = commands.add_parser("users", parents=[common], help="who may use Meterline")
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[common], help="add a user or change a role")
    add.add_argument("name", metavar="NAME", help="the person's OS login name")
    add.add_argument("--role", required=True, help="clerk, supervisor, trainer or admin")
    add.add_argument("--full-name", default="", help="the person's name as shown on screens")
    add.set_defaults(handler=add_user)
    listing = actions.add_parser("list", parents=[common], help="list users and roles")
    listing.set_defaults(handler=list_users)


def add_user(args: argparse.Namespace, context: CommandContext) -> int:
    from db.users import add_user as add

    # Not signed_in: a new database's first user is added before any user exists; add_user
    # itself lets only an admin add users once there is one.
    with opened_database(context) as conn:
        user = add(conn, login=args.name, role=args.role, full_name=args.full_name,
                   actor=os_login(), at=now_stamp())
    print(f"{user.login} is now a {user.role.value} of {context.db_path()}.")
    return 0


def list_users(args: argparse.Namespace, context: CommandContext) -> int:
    from tabulate import tabulate

    from db.users import list_users as listed

    # Signed in, like every command that reads the district's records: who holds which role
    # is not shown to someone who is not a user (their refusal says an admin adds them).
    with signed_in(context) as (_, conn, _at):
        rows = [(u.login, u.role.value, u.full_name) for u in listed(conn)]
    print(tabulate(rows, headers=("login", "role", "name")))
    return 0
