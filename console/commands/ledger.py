"""`meterline ledger check`: prove every balance equals its entries and the control totals agree."""
from __future__ import annotations

import argparse

from console.commands import CommandContext, signed_in
from core.money import format_money


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ledger = commands.add_parser("ledger", parents=[common], help="ledger commands")
    actions = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", parents=[common],
                               help="prove balances equal entries and control totals agree")
    check.set_defaults(handler=check_ledger)


def check_ledger(args: argparse.Namespace, context: CommandContext) -> int:
    """Exit 0 when the ledger balances, 1 (naming the accounts) when it does not."""
    from db.ledger import check

    with signed_in(context) as (_, conn, _at):
        result = check(conn)
        from db.payment_checks import batch_problems

        result.problems.extend(batch_problems(conn))  # payment batches vs control totals
    print(f"Checked {result.entries_checked:,} entries on {result.accounts_checked:,} accounts: "
          f"receivable {format_money(result.receivable_cents)}, "
          f"deposits held {format_money(result.deposit_cents)}.")
    if result.ok:
        print("Every balance equals its entries; control totals agree.")
        return 0
    for problem in result.problems:
        print(f"OUT OF BALANCE: {problem}")
    return 1
