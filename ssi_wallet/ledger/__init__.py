"""Embedded development Indy ledger: 1 or 4 simulated validator nodes in one process,
speaking the Indy node client protocol (ZeroMQ + CURVE) so that stock indy-vdr and
ACA-Py use it unchanged. See docs/ledger.md."""
