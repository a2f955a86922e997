"""The command-line interface: argument parsing and rendering only, no protocol logic."""
