"""ssi-wallet: a command-line self-sovereign-identity wallet for Aries and Indy."""

__version__ = "0.1.0"
