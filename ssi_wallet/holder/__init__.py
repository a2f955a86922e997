"""The citizen's holder wallet: its key, and the ACA-Py holder agent the CLI supervises."""
