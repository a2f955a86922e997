"""How values become AnonCreds integers and back, and how predicates read in plain words.

AnonCreds predicates compare integers only, so money travels in euro cents and dates as
YYYYMMDD (months as YYYYMM). People see euros and dates. The kind of an attribute is
read from its name, a convention the shipped credential types follow and that works for
credentials from any issuer that follows it too:

    *_cents            money       150000   -> EUR 1,500.00
    *_date, valid_until date       20261031 -> 31 Oct 2026
    month, *_month     month       202610   -> October 2026
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from ssi_wallet.errors import InvalidInputError


class Kind(StrEnum):
    MONEY = "money"
    DATE = "date"
    MONTH = "month"
    INTEGER = "integer"
    TEXT = "text"


PREDICATE_TYPES = (">=", ">", "<=", "<")
_DATE_NAMES = {"valid_until", "valid_from", "expiry", "expires"}
_MONEY_RE = re.compile(
    r"^\s*(?:(?:EUR|€)\s*)?(?P<num>-?[0-9][0-9.,_ ]*)\s*(?:EUR|€)?\s*$", re.IGNORECASE
)


def kind_of(name: str) -> Kind:
    """The kind of attribute `name`, by the naming convention above."""
    lowered = name.lower()
    if lowered.endswith("_cents"):
        return Kind.MONEY
    if lowered.endswith("_date") or lowered in _DATE_NAMES:
        return Kind.DATE
    if lowered == "month" or lowered.endswith("_month"):
        return Kind.MONTH
    return Kind.TEXT


def label_of(name: str) -> str:
    """`net_income_cents` -> `net income`: the words people read."""
    base = re.sub(r"_(cents)$", "", name)
    return base.replace("_", " ").strip()


# --- money -------------------------------------------------------------------------------


def euros_to_cents(text: str | int | float | Decimal) -> int:
    """`"1,500.00 EUR"`, `"€ 1500"`, `1500` -> 150000. Refuses fractions of a cent."""
    if isinstance(text, bool):
        raise InvalidInputError(f"not an amount of money: {text!r}")
    if isinstance(text, int):
        return text * 100
    raw = str(text)
    match = _MONEY_RE.match(raw)
    if not match:
        raise InvalidInputError(f"not an amount of money: {raw!r} (write e.g. 1500.00 EUR)")
    number = match.group("num").replace("_", "").replace(" ", "")
    if "," in number and "." in number:
        # Whichever comes last is the decimal mark: 1,234.56 or the Dutch 1.234,56.
        if number.rfind(",") > number.rfind("."):
            number = number.replace(".", "").replace(",", ".")
        else:
            number = number.replace(",", "")
    elif number.count(",") == 1 and len(number.split(",")[1]) == 2:
        number = number.replace(",", ".")  # 1500,00: the Dutch decimal comma
    else:
        number = number.replace(",", "")
    try:
        amount = Decimal(number)
    except InvalidOperation as error:
        raise InvalidInputError(f"not an amount of money: {raw!r}") from error
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise InvalidInputError(f"{raw!r} has fractions of a cent")
    return int(cents)


def format_cents(cents: int) -> str:
    """150000 -> `EUR 1,500.00` (negative amounts keep their sign)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"EUR {sign}{whole:,}.{rest:02d}"


# --- dates -------------------------------------------------------------------------------


def date_to_int(value: dt.date | str) -> int:
    """A date (or `2026-10-31` / `20261031`) -> 20261031."""
    if isinstance(value, str):
        value = parse_date(value)
    return value.year * 10000 + value.month * 100 + value.day


def int_to_date(value: int | str) -> dt.date:
    """20261031 -> date(2026, 10, 31); raises InvalidInputError for impossible dates."""
    try:
        number = int(value)
        return dt.date(number // 10000, number // 100 % 100, number % 100)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(f"not a YYYYMMDD date: {value!r}") from error


def parse_date(text: str) -> dt.date:
    """`2026-10-31`, `20261031` or `today`, `today-45d`, `today+1d` -> a date."""
    raw = text.strip().lower()
    relative = re.fullmatch(r"today(?:\s*([+-])\s*(\d+)\s*d(?:ays?)?)?", raw)
    if relative:
        today = dt.date.today()
        if relative.group(1):
            delta = dt.timedelta(days=int(relative.group(2)))
            return today + delta if relative.group(1) == "+" else today - delta
        return today
    if re.fullmatch(r"\d{8}", raw):
        return int_to_date(raw)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise InvalidInputError(f"not a date: {text!r} (write YYYY-MM-DD)") from error


def format_date(value: int | str) -> str:
    """20261031 -> `31 Oct 2026`."""
    day = int_to_date(value)
    return f"{day.day} {day.strftime('%b')} {day.year}"


def month_to_int(value: str | dt.date) -> int:
    """`2026-10`, `202610` or a date -> 202610."""
    if isinstance(value, dt.date):
        return value.year * 100 + value.month
    raw = value.strip()
    match = re.fullmatch(r"(\d{4})-?(\d{2})", raw)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInputError(f"not a month: {value!r} (write YYYY-MM)")
    return int(match.group(1)) * 100 + int(match.group(2))


def format_month(value: int | str) -> str:
    """202610 -> `October 2026`."""
    try:
        number = int(value)
        return dt.date(number // 100, number % 100, 1).strftime("%B %Y")
    except (TypeError, ValueError) as error:
        raise InvalidInputError(f"not a YYYYMM month: {value!r}") from error


# --- both ways, by kind ------------------------------------------------------------------


def encode_human(name: str, text: str) -> str:
    """What a person typed for attribute `name` -> the raw credential value (a string).

    Money in euros becomes cents, dates become YYYYMMDD; anything already in raw integer
    form passes unchanged, so CSV files may hold either.
    """
    kind = kind_of(name)
    raw = text.strip()
    if kind is Kind.MONEY:
        return str(int(raw)) if re.fullmatch(r"-?\d+", raw) else str(euros_to_cents(raw))
    if kind is Kind.DATE:
        return str(date_to_int(raw))
    if kind is Kind.MONTH:
        return str(month_to_int(raw))
    return raw


def display(name: str, raw: str | int | None) -> str:
    """A raw credential value as people read it; falls back to the raw text."""
    if raw is None:
        return ""
    kind = kind_of(name)
    try:
        if kind is Kind.MONEY:
            return format_cents(int(raw))
        if kind is Kind.DATE:
            return format_date(raw)
        if kind is Kind.MONTH:
            return format_month(raw)
    except (ValueError, InvalidInputError):
        return str(raw)
    return str(raw)


def parse_operand(name: str, text: str | int) -> int:
    """A predicate operand as written in a policy (`1500.00 EUR`, `2026-01-01`) -> int."""
    if isinstance(text, bool):
        raise InvalidInputError(f"{name}: not a number: {text!r}")
    if isinstance(text, int):
        return text
    value = encode_human(name, str(text))
    try:
        return int(value)
    except ValueError as error:
        raise InvalidInputError(
            f"{name}: predicates compare integers only; {text!r} is not a number"
        ) from error


_WORDS = {
    Kind.DATE: {"<": "is before", "<=": "is on or before", ">": "is after",
                ">=": "is on or after"},
    Kind.MONTH: {"<": "is before", "<=": "is at the latest", ">": "is after",
                 ">=": "is at the earliest"},
}
_DEFAULT_WORDS = {"<": "is below", "<=": "is at most", ">": "is above", ">=": "is at least"}


def predicate_words(name: str, p_type: str, p_value: int, *, context: str | None = None) -> str:
    """`net_income_cents < 150000` -> `net income is below EUR 1,500.00; the amount
    itself stays hidden`. `context` (e.g. `for October 2026`) follows the subject."""
    if p_type not in PREDICATE_TYPES:
        raise InvalidInputError(f"unknown predicate operator {p_type!r}")
    kind = kind_of(name)
    verb = _WORDS.get(kind, _DEFAULT_WORDS)[p_type]
    subject = label_of(name) + (f" {context}" if context else "")
    hidden = {Kind.MONEY: "the amount", Kind.DATE: "the date", Kind.MONTH: "the month"}.get(
        kind, "the value"
    )
    return f"{subject} {verb} {display(name, p_value)}; {hidden} itself stays hidden"
