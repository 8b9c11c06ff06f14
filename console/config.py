"""The console's layered configuration: system file, user file, MTL_* variables, then flags.

Later layers win. Every problem names the file (or variable) and the key.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SYSTEM_CONFIG = Path("/etc/meterline/config.toml")
COLOR_SYSTEMS = ("auto", "standard", "256", "truecolor")


class ConfigError(ValueError):
    """An unreadable or invalid configuration value; the message names where and which key."""


@dataclass(frozen=True)
class ConsoleConfig:
    """What the console reads from configuration."""

    db: str = ""
    theme: str = "textual-dark"
    color_system: str = "auto"
    mouse: bool = False
    animations: bool = False
    keymap: dict[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


def user_config_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    return Path(base).expanduser() / "meterline" / "config.toml"


def _check(where: str, key: str, value: Any) -> Any:
    if key == "db":
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: db: must be a file path in quotes")
        return value
    if key == "theme":
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: theme: must be a theme name in quotes")
        return value
    if key == "color_system":
        if value not in COLOR_SYSTEMS:
            raise ConfigError(f"{where}: color_system: {value!r} is not one of "
                              f"{', '.join(COLOR_SYSTEMS)}")
        return value
    if key in ("mouse", "animations"):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key}: must be true or false, not {value!r}")
        return value
    if key == "keymap":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()):
            raise ConfigError(f"{where}: keymap: must be a table of binding-id = \"keys\"")
        return dict(value)
    raise ConfigError(f"{where}: {key}: is not a setting Meterline knows "
                      f"(known: db, theme, color_system, mouse, animations, [keymap])")


def _read_file(path: Path) -> dict[str, Any]:
    import tomllib  # only when a config file exists: start-up is a budget

    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    return {key: _check(str(path), key, value) for key, value in data.items()}


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ("db", "theme", "color_system"):
        name = f"MTL_{key.upper()}"
        if name in environ:
            values[key] = _check(name, key, environ[name])
    for key in ("mouse", "animations"):
        name = f"MTL_{key.upper()}"
        if name in environ:
            raw = environ[name].strip().lower()
            if raw not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ConfigError(f"{name}: must be true or false, not {environ[name]!r}")
            values[key] = raw in ("1", "true", "yes", "on")
    return values


def load_config(*, environ: Mapping[str, str] | None = None,
                system_path: Path = SYSTEM_CONFIG, user_path: Path | None = None,
                flags: Mapping[str, Any] | None = None) -> ConsoleConfig:
    """Merge the layers in order; a later layer's key replaces an earlier one's."""
    env = os.environ if environ is None else environ
    user = user_path if user_path is not None else user_config_path(env)
    merged: dict[str, Any] = {}
    keymap: dict[str, str] = {}
    sources: list[str] = []
    for path in (system_path, user):
        if path.exists():
            layer = _read_file(path)
            keymap.update(layer.pop("keymap", {}))
            merged.update(layer)
            sources.append(str(path))
    env_layer = _from_environ(env)
    if env_layer:
        sources.append("environment")
    merged.update(env_layer)
    for key, value in (flags or {}).items():
        if value is not None:
            merged[key] = _check(f"--{key.replace('_', '-')}", key, value)
    return replace(ConsoleConfig(), **merged, keymap=keymap, sources=tuple(sources))


def apply_to_environment(config: ConsoleConfig) -> None:
    """Textual reads its colour system and animation level from the environment at import."""
    if config.color_system != "auto":
        os.environ["TEXTUAL_COLOR_SYSTEM"] = config.color_system
    os.environ["TEXTUAL_ANIMATIONS"] = "full" if config.animations else "none"
