"""Money amounts and conversion to a workspace currency with a dated rates table (pure)."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


class MissingRate(LookupError):
    """No exchange rate covers the currency on the day asked for."""

    def __init__(self, currency: str, day: dt.date) -> None:
        super().__init__(f"no exchange rate for {currency} on or before {day.isoformat()}")
        self.currency = currency
        self.day = day


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


class RateTable:
    """Converts amounts into one base currency using the latest rate valid on a given day."""

    def __init__(self, base: str, rates: Iterable[tuple[str, dt.date, Decimal]]) -> None:
        self.base = base
        by_currency: dict[str, list[tuple[dt.date, Decimal]]] = {}
        for currency, valid_from, rate in rates:
            by_currency.setdefault(currency, []).append((valid_from, Decimal(rate)))
        self._days: dict[str, list[dt.date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, pairs in by_currency.items():
            pairs.sort()
            self._days[currency] = [day for day, _ in pairs]
            self._rates[currency] = [rate for _, rate in pairs]

    def rate(self, currency: str, day: dt.date) -> Decimal:
        if currency == self.base:
            return Decimal(1)
        days = self._days.get(currency)
        if not days:
            raise MissingRate(currency, day)
        index = bisect.bisect_right(days, day) - 1
        if index < 0:
            raise MissingRate(currency, day)
        return self._rates[currency][index]

    def convert(self, amount: Decimal, currency: str, day: dt.date) -> Decimal:
        return quantize(Decimal(amount) * self.rate(currency, day))

    def covers(self, currency: str, day: dt.date) -> bool:
        try:
            self.rate(currency, day)
        except MissingRate:
            return False
        return True


def format_money(amount: Decimal, currency: str) -> str:
    symbols = {"USD": "$", "EUR": "€", "GBP": "£"}
    prefix = symbols.get(currency)
    number = f"{quantize(Decimal(amount)):,.2f}"
    if number.endswith(".00"):
        number = number[:-3]
    return f"{prefix}{number}" if prefix else f"{number} {currency}"
