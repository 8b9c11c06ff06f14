"""STYLE.md's console habits, checked over every screen and widget module."""
from __future__ import annotations

import inspect
import pkgutil
from importlib import import_module
from types import ModuleType

from textual.binding import Binding
from textual.dom import DOMNode

import console.screens
import console.widgets
from console import app as app_module
from console.worker_errors import ReportsWorkerErrors


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
