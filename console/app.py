"""The Meterline Textual app: screens by F-key, command palette, help, one error modal.

Adding a screen area, a CLI command or a migration: follow docs/development.md.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from typing import Any, cast

from rich.markup import escape
from textual import events
from textual.actions import SkipAction
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import ModalScreen, Screen
from textual.worker import WorkerState

from console.config import ConsoleConfig
from console.screens.home import HomeScreen
from console.session import Session
from core.errors import ConflictError, InputError, PermissionDenied
from db.connection import Connector, DatabaseError


@dataclass(frozen=True)
class Area:
    """A screen area reached by an F-key; only areas that really work are listed.

    The area's screen is named "module:Class" and imported when first opened (the first paint
    is a budget); its key binding is derived from the same row. The F-keys are all taken, so
    an area may have no key (key ""): it is reached from the command palette and its screens.
    """

    key: str
    name: str
    help: str
    screen_path: str
    binding_id: str
    action: str = ""  # default: go_to_area('<name>')

    def screen(self) -> Screen[Any]:
        module, _, class_name = self.screen_path.partition(":")
        return cast("Screen[Any]", getattr(import_module(module), class_name)())

    def binding(self) -> Binding:
        # Off the footers (Home's grid and F1 list the area keys): after a screen's own keys
        # and F1 they would run off the right edge at 80 columns. An F-key bound to an area
        # runs as it arrives (MeterlineApp.on_event).
        return Binding(self.key, self.action or f"go_to_area('{self.name}')", self.name,
                       id=self.binding_id, show=False)

    def palette_text(self) -> str:
        return f"Go to {self.name}" + (f" ({self.key.upper()})" if self.key else "")


AREAS = (
    Area("f10", "Home", "district summary and the work due today",
         "console.screens.home:HomeScreen", "app.home"),
    Area("f2", "Search", "find an account by number, name, address, meter or phone",
         "console.screens.search:SearchScreen", "app.search", action="search"),
    Area("f3", "Accounts", "every account, paged; Enter opens one",
         "console.screens.accounts:AccountsScreen", "app.accounts"),
    Area("f4", "Calendar", "billing calendar: every cycle's dates and why",
         "console.screens.calendar:CalendarScreen", "app.calendar"),
    Area("f5", "Read audit", "read exceptions: import, triage, dispositions",
         "console.screens.read_audit:ReadAuditScreen", "app.reads"),
    Area("f6", "Billing", "billing run: draft, diff, approve, freeze, print file",
         "console.screens.billing:BillingScreen", "app.billing"),
    Area("f7", "Payments", "payment batches, lockbox files, returned checks",
         "console.screens.payments:PaymentsScreen", "app.payments"),
    Area("f8", "Lock-off", "lock-off list: every SB 998 gate, make, re-check, print",
         "console.screens.lockoff:LockoffScreen", "app.lockoff"),
    Area("f9", "Adjustments", "adjustments, leak and meter re-rates, approvals",
         "console.screens.adjustments:AdjustmentsScreen", "app.adjustments"),
    Area("", "Work orders", "re-reads, meter checks, leak letters: schedule, done, cancel",
         "console.screens.work_orders:WorkOrdersScreen", "app.work_orders"),
    Area("", "Refunds", "refund register: approve, cancel, pay approved refunds to A/P",
         "console.screens.refunds:RefundsScreen", "app.refunds"),
    Area("", "Lock-off orders", "the crew's dispatch list: every open lock-off order, results",
         "console.screens.lockoff_orders:LockoffOrdersScreen", "app.lockoff_orders"),
    Area("", "Collections", "after lock-off: final notices, liens, agency, write-offs",
         "console.screens.collections:CollectionsScreen", "app.collections"),
)
# The area keys that run as they arrive (MeterlineApp.on_event).
AREA_BINDING_IDS = frozenset(area.binding_id for area in AREAS if area.key)
FUNCTION_KEY = re.compile(r"f\d{1,2}")


def _meterline(app: App[Any]) -> MeterlineApp:
    return cast("MeterlineApp", app)


class ScreensCommands(Provider):
    """Command palette: jump to any working screen area."""

    async def discover(self) -> Hits:
        app = _meterline(self.app)
        for area in AREAS:
            yield DiscoveryHit(area.palette_text(), partial(app.go_to_area, area.name),
                               help=area.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for area in AREAS:
            text = area.palette_text()
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text),
                          partial(_meterline(self.app).go_to_area, area.name), help=area.help)


class AccountCommands(Provider):
    """Command palette: type an account number (or its start) to open the account."""

    async def search(self, query: str) -> Hits:
        prefix = query.strip()
        if len(prefix) < 2 or not prefix[0].isdigit():
            return
        rows = await asyncio.to_thread(self._lookup, prefix)
        for number, name, line1 in rows:
            yield Hit(100 if number == prefix else 50, f"Open account {number}",
                      partial(_meterline(self.app).open_account, number),
                      help=escape(f"{name} — {line1}"))

    def _lookup(self, prefix: str) -> list[tuple[str, str, str]]:
        from db.accounts import account_numbers_like

        with _meterline(self.app).connect() as conn:
            return [(r[0], r[1], r[2]) for r in account_numbers_like(conn, prefix)]


class MeterlineApp(App[int]):
    """The console a clerk signs into over SSH."""

    TITLE = "Meterline"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ScreensCommands, AccountCommands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        *(area.binding() for area in AREAS if area.key),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
        Binding("ctrl+p", "command_palette", "Commands", id="app.commands", show=False),
    ]

    async def on_event(self, event: events.Event) -> None:
        """An F-key bound to an area runs as it arrives, before the keys typed behind it are
        sent anywhere, and its screen is mounted before they are read: they reach the area's
        screen, not the one being left (F2 then a name). Only F-keys: an area key remapped to
        a letter or a ctrl key ([keymap]) waits behind the field being typed in, as every
        other binding does, so ctrl+a still moves to the start of the field."""
        if isinstance(event, events.Key) and not event.is_forwarded \
                and FUNCTION_KEY.fullmatch(event.key):
            active = self.active_bindings.get(event.key)
            if active is not None and active.node is self and active.enabled \
                    and active.binding.id in AREA_BINDING_IDS \
                    and await self.run_action(active.binding.action, self):
                return  # a skipped action (a form or dialog is open) goes on as usual
        await super().on_event(event)

    def __init__(self, session: Session, config: ConsoleConfig) -> None:
        super().__init__()
        self.session = session
        self.config = config
        self.connect = Connector(session.db_path)
        self.animation_level = "full" if config.animations else "none"
        # Where each area was left (its own key, e.g. the billing cycle-month), so a clerk who
        # opens it again comes back there; this session only.
        self.places: dict[str, Any] = {}

    def on_mount(self) -> None:
        self.theme = self.config.theme
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.push_screen(HomeScreen())

    def areas_text(self, columns: int = 3, width: int = 26) -> str:
        """The F-key areas as a compact grid for the home screen, with help and the palette."""
        cells = [f"{area.key.upper():>3} {area.name}" for area in AREAS if area.key]
        cells += [" F1 Help", "^p Commands / account no.", "^q Quit"]
        rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
        return "\n".join("".join(cell.ljust(width) for cell in row).rstrip() for row in rows)

    def action_help(self) -> None:
        from console.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def go_to_area(self, name: str) -> Awaitable[Any] | None:
        """The area's screen over Home; what to await for it to be mounted (None: Home)."""
        area = next(a for a in AREAS if a.name == name)
        # Return to Home first so the stack never grows without bound.
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if area.name != "Home":
            return self.push_screen(area.screen())
        return None

    async def action_go_to_area(self, name: str) -> None:
        """An area's key: its screen, mounted before the next key is read, so keys typed
        right behind the area's key (a fast clerk, a paste over SSH) reach the new screen,
        not the one being left."""
        if isinstance(self.screen, ModalScreen):
            raise SkipAction()  # a form, a dialog, the search or the help keeps the key
        mounted = self.go_to_area(name)
        if mounted is not None:
            await mounted

    async def action_search(self) -> None:
        """F2 from anywhere: the search opens over the current screen; Esc returns to it. It
        is mounted before the next key is read, so a name typed right behind F2 is searched."""
        from console.screens.search import SearchScreen

        if isinstance(self.screen, ModalScreen):
            raise SkipAction()
        await self.push_screen(SearchScreen())

    def open_account(self, number: str) -> None:
        from console.screens.account import AccountScreen

        # One account at a time: opening another replaces it, so the stack never piles up.
        if isinstance(self.screen, AccountScreen):
            self.switch_screen(AccountScreen(number))
        else:
            self.push_screen(AccountScreen(number))

    def on_worker_state_changed(self, event: Any) -> None:
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker.error)

    def worker_failed(self, error: BaseException | None) -> None:
        """One place turns a failed worker into the error modal; a clerk never sees a traceback."""
        if isinstance(error, (InputError, DatabaseError, PermissionDenied, ConflictError)):
            self.show_error("That did not work", str(error))
        else:
            self.show_error("Something went wrong",
                            f"{type(error).__name__}: {error}. Nothing was changed by this "
                            "screen; try again, and tell your supervisor if it repeats.")

    def show_error(self, title: str, message: str) -> None:
        from console.screens.error import ErrorModal

        self.push_screen(ErrorModal(title, message))
