"""Where the wallet keeps its data, and the user's `config.toml` inside it.

The data home is `SSI_WALLET_HOME` when set (tests, pilots and scripts use a home of
their own), else the platform's user data directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from ssi_wallet.errors import InvalidInputError
from ssi_wallet.files import atomic_write, private_dir

HOME_ENV = "SSI_WALLET_HOME"
CONFIG_NAME = "config.toml"


def data_home() -> Path:
    """The data directory, created 0700 on first use."""
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        home = Path(explicit).expanduser()
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("ssi-wallet", appauthor=False))
    return private_dir(home.resolve())


def config_path(home: Path | None = None) -> Path:
    return (home or data_home()) / CONFIG_NAME


def load_config(home: Path | None = None) -> dict[str, Any]:
    """The parsed `config.toml`, or an empty mapping when there is none yet."""
    path = config_path(home)
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise InvalidInputError(f"{path}: not valid TOML ({err})") from err


def save_config(config: dict[str, Any], home: Path | None = None) -> Path:
    """Write `config.toml` atomically."""
    import tomli_w

    return atomic_write(config_path(home), tomli_w.dumps(config))


def get_setting(config: dict[str, Any], dotted: str, default: Any = None) -> Any:
    """`get_setting(cfg, "ledger.genesis")` reads nested tables without KeyErrors."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def set_setting(config: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """Set a nested key, creating tables on the way."""
    *parents, leaf = dotted.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return config
