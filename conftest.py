"""Registers the suite's shared fixtures (each plugin module starts and stops its own service)."""

pytest_plugins = ["tests.plugins.cli", "tests.plugins.secret_service", "tests.plugins.agents",
                  "tests.plugins.ledger", "tests.plugins.stock_agents",
                  "tests.plugins.postgres"]
