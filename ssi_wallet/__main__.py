"""`python -m ssi_wallet` runs the same CLI as the `ssi-wallet` script."""

from ssi_wallet.cli.main import run

if __name__ == "__main__":
    run()
