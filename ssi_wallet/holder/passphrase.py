"""Reading a wallet passphrase: from the terminal (never echoed) or, for scripts, the env.

The terminal is opened directly (`/dev/tty`), so a passphrase is never read from a pipe
by accident and never echoed; with no terminal and no environment variable we stop with
one line that says what to set.
"""

from __future__ import annotations

import os

from ssi_wallet.errors import SecretError

PASSPHRASE_ENV = "SSI_WALLET_PASSPHRASE"
NEW_PASSPHRASE_ENV = "SSI_WALLET_NEW_PASSPHRASE"
MIN_LENGTH = 8


def has_tty() -> bool:
    """True when this process has a controlling terminal we can prompt on."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def _prompt(prompt: str) -> str:
    import getpass

    # getpass opens /dev/tty itself and turns echo off; we checked there is one.
    return getpass.getpass(prompt)


def _no_tty(env_var: str) -> SecretError:
    return SecretError(
        f"a wallet passphrase is needed but there is no terminal to ask on: "
        f"set {env_var} for scripts"
    )


def read_passphrase(*, env_var: str = PASSPHRASE_ENV, prompt: str = "Wallet passphrase: ") -> str:
    """The passphrase of an existing wallet: from `env_var`, else asked once on the tty."""
    value = os.environ.get(env_var)
    if value:
        return value
    if not has_tty():
        raise _no_tty(env_var)
    value = _prompt(prompt)
    if not value:
        raise SecretError("no passphrase given")
    return value


def read_new_passphrase(
    *, env_var: str = PASSPHRASE_ENV, prompt: str = "New wallet passphrase: "
) -> str:
    """A new passphrase: from `env_var`, else asked twice on the tty (they must match)."""
    value = os.environ.get(env_var)
    if not value:
        if not has_tty():
            raise _no_tty(env_var)
        value = _prompt(prompt)
        if value != _prompt("Repeat the passphrase: "):
            raise SecretError("the two passphrases differ; nothing was changed")
    if len(value) < MIN_LENGTH:
        raise SecretError(f"the passphrase is too short: use at least {MIN_LENGTH} characters")
    return value
