"""The service API's guard rails (no server needed for most)."""

from __future__ import annotations

import pytest

from ssi_wallet.errors import NotFoundError, ServiceError, UsageError
from ssi_wallet.ledger.datadir import DataDir, LedgerSetupError, initialize
from ssi_wallet.ledger.service import LedgerService


def test_reset_never_deletes_a_foreign_directory(tmp_path):
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("years of work")
    with pytest.raises(UsageError):
        LedgerService(foreign).reset()
    assert (foreign / "thesis.tex").exists()


def test_existing_ledger_is_not_silently_reshaped(tmp_path):
    initialize(DataDir(tmp_path / "l"), nodes=1)
    service = LedgerService(tmp_path / "l")
    with pytest.raises(UsageError, match="has 1 nodes, not 4"):
        service.start(nodes=4)
    with pytest.raises(LedgerSetupError, match="loopback"):
        initialize(DataDir(tmp_path / "m"), nodes=1, host="192.0.2.1")


def test_commands_on_a_missing_or_stopped_ledger_say_so(tmp_path):
    service = LedgerService(tmp_path / "none")
    with pytest.raises(NotFoundError):
        service.info()
    assert service.status()["exists"] is False
    assert service.stop()["was_running"] is False
    initialize(DataDir(tmp_path / "none"), nodes=1)
    with pytest.raises(ServiceError, match="not running"):
        service.register("Th7MpTaRZVRYnPiabds81Y", "~7TYfekw4GUagBnBVCqPjiC")
    with pytest.raises(UsageError):
        service.register("not-a-did", "x")
    with pytest.raises(UsageError):
        service.txns(["BOGUS"])
    assert service.reset()["removed"]
