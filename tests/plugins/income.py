"""The October income statement the end-to-end tests issue, as the CLI takes it
(`INCOME`) and as a stock issuer sends it, AnonCreds-encoded (`INCOME_RAW`)."""

from __future__ import annotations

INCOME = {
    "month": "2026-10",
    "net_income_cents": "1234.00 EUR",
    "gross_income_cents": "1600.00 EUR",
    "employer_name": "RideCo",
    "employee_ref": "E-1001",
    "issue_date": "2026-11-01",
    "valid_until": "2027-12-31",
}
INCOME_RAW = {
    "month": "202610",
    "net_income_cents": "123400",
    "gross_income_cents": "160000",
    "employer_name": "RideCo",
    "employee_ref": "E-1001",
    "issue_date": "20261101",
    "valid_until": "20271231",
}
