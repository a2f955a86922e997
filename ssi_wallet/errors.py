"""The project's error types: each carries the one line a user sees and an exit code.

Services raise these; the CLI maps them to stderr and exit codes in one place
(`ssi_wallet.cli.main`), so no command formats its own errors.
"""

from __future__ import annotations


class SsiWalletError(Exception):
    """An error the user can act on; `str(err)` is the one line shown."""

    exit_code: int = 1
    code: str = "error"
    #: For an agent's refusal: its HTTP status and its own reason (set by the admin
    #: client), so a service can tell refusals apart without parsing the message.
    http_status: int | None = None
    http_reason: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(SsiWalletError):
    """Bad arguments or input the user typed (exit 2, like click's usage errors)."""

    exit_code = 2
    code = "usage"


class NotFoundError(SsiWalletError):
    """An id, file or record that does not exist."""

    code = "not_found"


class InvalidInputError(SsiWalletError):
    """A file, invitation or message that is malformed."""

    code = "invalid_input"


class ServiceError(SsiWalletError):
    """A service we depend on (ledger, agent, keyring) is down or misbehaves."""

    code = "service"


class AlreadyRunningError(SsiWalletError):
    """A background service is already running on this data directory."""

    code = "already_running"


class SecretError(SsiWalletError):
    """The wallet key could not be had: wrong passphrase, locked keyring."""

    code = "secret"
