"""The pilots' three cases as runnable scenarios: guided (narrated, paused for pilot
staff) or unattended (`ssi-wallet demo`, the tests)."""
