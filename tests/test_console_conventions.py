"""STYLE.md's console habits, checked over every screen and widget module."""
from __future__ import annotations

import asyncio
import inspect
import pkgutil
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from rich.cells import cell_len
from textual.binding import Binding
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer

import console.screens
import console.widgets
from console import app as app_module
from console.screens.help import binding_rows
from console.widgets.key_line import KeyLine
from console.worker_errors import ReportsWorkerErrors
from tests.console_support import (
    build_small_district,
    copy_district,
    make_app,
    open_by_palette,
    settle,
)


def _modules() -> list[ModuleType]:
    modules: list[ModuleType] = [app_module]
    for package in (console.screens, console.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            modules.append(import_module(f"{package.__name__}.{info.name}"))
    return modules


def _nodes() -> list[type[DOMNode]]:
    found: dict[str, type[DOMNode]] = {}
    for module in _modules():
        for value in vars(module).values():
            if (inspect.isclass(value) and issubclass(value, DOMNode)
                    and value.__module__ == module.__name__):
                found[f"{module.__name__}.{value.__name__}"] = value
    return list(found.values())


def test_every_binding_has_an_id_and_a_description() -> None:
    missing = []
    for node in _nodes():
        for binding in node.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and (not binding.id or not binding.description):
                missing.append(f"{node.__qualname__}: {binding.key} -> {binding.action}")
    assert missing == []


def test_binding_ids_are_area_dot_verb_and_unique_per_class() -> None:
    problems = []
    for node in _nodes():
        ids = [b.id for b in node.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
        if len(ids) != len(set(ids)):
            problems.append(f"{node.__qualname__}: duplicate ids")
        problems += [f"{node.__qualname__}: {i}" for i in ids if i and "." not in i]
    assert problems == []


def test_every_node_that_starts_workers_reports_their_errors() -> None:
    """Worker.StateChanged does not bubble: a class with @work methods must mix the reporter in."""
    silent = []
    for node in _nodes():
        starts_workers = any(
            "@work" in inspect.getsource(member)
            for member in node.__dict__.values() if inspect.isfunction(member)
            and _has_source(member))
        if starts_workers and not issubclass(node, ReportsWorkerErrors):
            silent.append(node.__qualname__)
    assert silent == []


def _has_source(function: object) -> bool:
    try:
        inspect.getsource(function)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    return True


# Every screen a clerk can open: each area of console/app.py by its F-key (or the command
# palette when it has none), and an account opened with Enter from the F3 list.
SCREENS = [(area.name, area.screen_path.rpartition(":")[2]) for area in app_module.AREAS]
SCREENS.append(("Account", "AccountScreen"))
# Workers that never finish while the screen is open: a dialog flow waits on the clerk, and
# the payments poster runs until its screen closes.
WAITING_GROUPS = ("account-form", "payments-poster")


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_district(tmp_path_factory.mktemp("district"))


async def _open(app: Any, pilot: Pilot[Any], name: str, screen_class: str) -> Screen[Any]:
    area = next((a for a in app_module.AREAS if a.name == name), None)
    if area is None:  # the account screen
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("enter")
    elif area.key:
        await pilot.press(area.key)
    else:
        await open_by_palette(app, pilot, name)
    for _ in range(4):  # a dialog the screen opens on arrival (Payments: no open batch) closes
        busy = [w for w in app.workers if not w.is_finished and w.group not in WAITING_GROUPS]
        await asyncio.gather(*(w.wait() for w in busy), return_exceptions=True)
        await pilot.pause()
        if isinstance(app.screen, ModalScreen) and type(app.screen).__name__ != screen_class:
            await pilot.press("escape")
    assert type(app.screen).__name__ == screen_class
    return app.screen  # type: ignore[no-any-return]


def _cut_keys(screen: Screen[Any]) -> list[str]:
    """The keys of the screen's key line that do not show whole at its width."""
    cut: list[str] = []
    for footer in screen.query(Footer):
        keys: list[Any] = list(footer.query("FooterKey"))
        palette = [key for key in keys if key.has_class("-command-palette")]
        right = palette[0].region.x if palette else footer.content_region.right
        cut += [f"{key.key_display} {key.description}" for key in keys
                if key not in palette and key.region.right > right]
    for line in screen.query(KeyLine):
        text = str(line.render())
        if cell_len(text) > line.content_region.width:
            cut.append(text)
    return cut


def _own_ids(screen: Screen[Any]) -> set[str]:
    """The binding ids the screen's class and its bases declare."""
    return {binding.id for cls in type(screen).__mro__
            for binding in cls.__dict__.get("BINDINGS", [])
            if isinstance(binding, Binding) and binding.id}


@pytest.mark.parametrize(("name", "screen_class"), [
    pytest.param(name, screen_class, id=name) for name, screen_class in SCREENS])
async def test_every_screens_footer_fits_80_columns(
        district: Path, tmp_path: Path, name: str, screen_class: str) -> None:
    """STYLE.md: at 80 columns a clerk learns the keys from the footer, so none may be cut;
    less-used keys leave it with show=False and stay in F1. Checked with each widget that
    can have focus, since a focused widget's own keys join the footer."""
    app = make_app(copy_district(district, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = await _open(app, pilot, name, screen_class)
        cut: set[str] = set()
        in_help: set[str] = set()
        for widget in [screen.focused, *screen.focus_chain]:
            if widget is not None:
                widget.focus()
            await pilot.pause()
            await pilot.pause()  # the footer is composed again after the focus moves
            cut.update(_cut_keys(screen))
            in_help.update(row[2] for row in binding_rows(screen))
        assert sorted(cut) == []
        assert sorted(_own_ids(screen) - in_help) == []  # F1 lists every key, shown or not
