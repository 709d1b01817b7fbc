"""A setting declared once, with its default and help text (node and center each list theirs)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


def defaults_of(settings: list[Setting]) -> dict:
    return {s.name: s.default for s in settings}


def read_setting(name: str, defaults: dict, config_file: Path, env_prefix: str):
    """One setting as `create_app` reads it (the default, then the data dir's config file, then
    `<PREFIX>_<NAME>` in the environment), for commands that open the database without the app
    (the legal zone must be the app's when a migration converts legal wall times)."""
    from flask import Config
    config = Config(str(config_file.parent))
    config.from_mapping(defaults)
    if config_file.is_file():
        config.from_pyfile(str(config_file))
    config.from_prefixed_env(env_prefix)
    return config.get(name)
