"""Value encodings and predicate wording: what people type and read vs what AnonCreds sees."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssi_wallet import encoding as enc
from ssi_wallet.errors import InvalidInputError


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1500", 150000), ("1,500.00 EUR", 150000), ("€ 1500,50", 150050), ("EUR 0.99", 99),
     ("1234.5", 123450), ("-12.00", -1200), ("1.234,56", 123456), ("EUR 1.500,00", 150000)],
)
def test_euros_to_cents(text: str, cents: int) -> None:
    assert enc.euros_to_cents(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "12.345", "EUR", "1.2.3", "€€5"])
def test_bad_money_is_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        enc.euros_to_cents(text)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_money_round_trips(cents: int) -> None:
    assert enc.euros_to_cents(enc.format_cents(cents)) == cents


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_dates_round_trip(day: dt.date) -> None:
    assert enc.int_to_date(enc.date_to_int(day)) == day
    assert enc.parse_date(day.isoformat()) == day


def test_kinds_follow_the_naming_convention() -> None:
    assert enc.kind_of("net_income_cents") is enc.Kind.MONEY
    assert enc.kind_of("issue_date") is enc.Kind.DATE
    assert enc.kind_of("valid_until") is enc.Kind.DATE
    assert enc.kind_of("month") is enc.Kind.MONTH
    assert enc.kind_of("employer_name") is enc.Kind.TEXT


def test_display_and_encode_human() -> None:
    assert enc.display("net_income_cents", "123400") == "EUR 1,234.00"
    assert enc.display("month", 202610) == "October 2026"
    assert enc.display("issue_date", "20261031") == "31 Oct 2026"
    assert enc.display("issue_date", "not-a-date") == "not-a-date"
    assert enc.encode_human("net_income_cents", "1,234.00 EUR") == "123400"
    assert enc.encode_human("net_income_cents", "123400") == "123400"
    assert enc.encode_human("valid_until", "2027-01-31") == "20270131"
    assert enc.encode_human("month", "2026-10") == "202610"
    assert enc.encode_human("employer_name", " RideCo ") == "RideCo"


def test_relative_dates() -> None:
    today = dt.date.today()
    assert enc.parse_date("today") == today
    assert enc.parse_date("today-45d") == today - dt.timedelta(days=45)
    with pytest.raises(InvalidInputError):
        enc.parse_date("yesterday-ish")


def test_impossible_dates_and_months_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        enc.int_to_date(20261331)
    with pytest.raises(InvalidInputError):
        enc.month_to_int("2026-13")


def test_predicate_words() -> None:
    assert enc.predicate_words("net_income_cents", "<", 150000, context="for October 2026") == (
        "net income for October 2026 is below EUR 1,500.00; the amount itself stays hidden"
    )
    assert enc.predicate_words("valid_until", ">=", 20261121) == (
        "valid until is on or after 21 Nov 2026; the date itself stays hidden"
    )
    assert enc.predicate_words("age", ">=", 18) == (
        "age is at least 18; the value itself stays hidden"
    )
    with pytest.raises(InvalidInputError):
        enc.predicate_words("age", "==", 18)


def test_parse_operand() -> None:
    assert enc.parse_operand("net_income_cents", "1500.00 EUR") == 150000
    assert enc.parse_operand("issue_date", "2026-01-01") == 20260101
    assert enc.parse_operand("age", 18) == 18
    with pytest.raises(InvalidInputError):
        enc.parse_operand("employer_name", "RideCo")


@given(st.text(max_size=40))
def test_money_parser_never_crashes(text: str) -> None:
    try:
        assert isinstance(enc.euros_to_cents(text), int)
    except InvalidInputError:
        pass


@given(st.text(max_size=30))
def test_date_parser_never_crashes(text: str) -> None:
    try:
        assert isinstance(enc.parse_date(text), dt.date)
    except InvalidInputError:
        pass
