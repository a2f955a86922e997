"""``python -m ssi_wallet.ledger serve --data-dir D``: the ledger server process.

The CLI starts this in the background; it is also usable directly in the foreground.
Kept free of ACA-Py and of the CLI so the process starts fast and stays small.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .datadir import DataDir, LedgerSetupError, initialize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ssi_wallet.ledger")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run the ledger in the foreground")
    serve.add_argument("--data-dir", required=True, type=Path)
    serve.add_argument("--nodes", type=int, default=None, choices=(1, 4))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="base port")
    serve.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL"))
    serve.add_argument(
        "--exit-with-pid",
        type=int,
        default=None,
        help="stop when this process is gone (test fixtures)",
    )
    serve.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    data_dir = DataDir(args.data_dir)
    nodes = args.nodes
    if nodes is None:
        nodes = data_dir.load().node_count if data_dir.exists() else 4
    try:
        initialize(data_dir, nodes=nodes, host=args.host, base_port=args.port)
    except LedgerSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from .server import run

    run(data_dir, synchronous=args.synchronous, exit_with_pid=args.exit_with_pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
