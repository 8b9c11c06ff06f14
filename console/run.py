"""Start the interactive console: session, configuration into Textual, then run."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from console.config import ConfigError, ConsoleConfig, apply_to_environment
from console.session import start_session


def run_console(db_path: Path, config: ConsoleConfig, today: date) -> int:
    session = start_session(db_path, today)
    apply_to_environment(config)  # before Textual is imported: it reads these at import
    from console.app import MeterlineApp

    app = MeterlineApp(session, config)
    check_config_against_app(app, config)
    result = app.run(mouse=config.mouse)
    return int(result or 0)


def known_binding_ids() -> set[str]:
    """Every binding id a [keymap] table may name: the app's, every screen's, every widget's."""
    import pkgutil
    from importlib import import_module

    from textual.binding import Binding

    import console.screens
    import console.widgets
    from console import app as app_module

    modules = [app_module]
    for package in (console.screens, console.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            modules.append(import_module(f"{package.__name__}.{info.name}"))
    ids: set[str] = set()
    for module in modules:
        for value in vars(module).values():
            for binding in getattr(value, "BINDINGS", []) if isinstance(value, type) else []:
                if isinstance(binding, Binding) and binding.id:
                    ids.add(binding.id)
    return ids


def check_config_against_app(app: object, config: ConsoleConfig) -> None:
    """Refuse an unknown theme or binding id, naming the key."""
    where = ", ".join(config.sources) or "flags"
    themes = getattr(app, "available_themes", {})
    if config.theme not in themes:
        raise ConfigError(f"{where}: theme: {config.theme!r} is not a theme "
                          f"(try one of: {', '.join(sorted(themes)[:8])}, …)")
    unknown = sorted(set(config.keymap) - known_binding_ids()) if config.keymap else []
    if unknown:
        raise ConfigError(f"{where}: keymap: {', '.join(unknown)} is not a binding id "
                          f"(F1 in the console lists the ids)")
