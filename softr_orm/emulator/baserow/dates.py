"""Baserow's multi-step date filters (``date_is``, ``date_is_before``, ...; baserow-api.md
§5.4): the value ``"<timezone>?<value>?<operator>"`` names a half-open period of local dates
``[lower, upper)``; a row's date (a date-time truncated to its date in that timezone) is
compared with it. Weeks start on Monday. Empty timezone means UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["date_predicate"]

Row = Callable[[dict[str, Any]], Any]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _period(operator: str, argument: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    one = dt.timedelta(days=1)
    monday = today - dt.timedelta(days=today.weekday())
    month = today.replace(day=1)
    year = today.replace(month=1, day=1)
    if operator == "today":
        return today, today + one
    if operator == "yesterday":
        return today - one, today
    if operator == "tomorrow":
        return today + one, today + 2 * one
    if operator == "one_week_ago":
        return monday - 7 * one, monday
    if operator == "this_week":
        return monday, monday + 7 * one
    if operator == "next_week":
        return monday + 7 * one, monday + 14 * one
    if operator == "one_month_ago":
        return _add_months(month, -1), month
    if operator == "this_month":
        return month, _add_months(month, 1)
    if operator == "next_month":
        return _add_months(month, 1), _add_months(month, 2)
    if operator == "one_year_ago":
        return year.replace(year=year.year - 1), year
    if operator == "this_year":
        return year, year.replace(year=year.year + 1)
    if operator == "next_year":
        return year.replace(year=year.year + 1), year.replace(year=year.year + 2)
    if operator == "exact_date":
        try:
            day = dt.date.fromisoformat(argument)
        except ValueError:
            return None
        return day, day + one
    if operator.startswith("nr_"):
        try:
            count = int(argument)
        except ValueError:
            return None
        sign = -1 if operator.endswith("_ago") else 1
        unit = operator[3:].rsplit("_", 2)[0] if operator.endswith("_from_now") else operator[3:-4]
        if unit == "days":
            day = today + sign * count * one
            return day, day + one
        if unit == "weeks":
            start = monday + sign * count * 7 * one
            return start, start + 7 * one
        if unit == "months":
            start = _add_months(month, sign * count)
            return start, _add_months(start, 1)
        if unit == "years":
            start = year.replace(year=year.year + sign * count)
            return start, start.replace(year=start.year + 1)
    return None


def _local_date(value: Any, zone: dt.tzinfo) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(zone).date()


def date_predicate(
    type_: str, value: str, read: Callable[[Row], Any], *, now: dt.datetime | None = None
) -> Callable[[Row], bool] | None:
    """The predicate of one date filter; None when Baserow drops it."""
    parts = value.split("?")
    if len(parts) != 3:
        return (lambda row: True) if type_ == "date_is_not" else (lambda row: False)
    zone_name, argument, operator = parts
    if (operator in ("exact_date",) or operator.startswith("nr_")) and argument == "":
        return None
    try:
        zone: dt.tzinfo = ZoneInfo(zone_name) if zone_name else dt.timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.timezone.utc
    today = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone).date()
    period = _period(operator, argument, today)
    if period is None or (type_ == "date_is_within" and operator == "today"):
        return (lambda row: True) if type_ == "date_is_not" else (lambda row: False)
    lower, upper = period

    def test(day: dt.date) -> bool:
        if type_ == "date_is":
            return lower <= day < upper
        if type_ == "date_is_not":
            return not lower <= day < upper
        if type_ == "date_is_before":
            return day < lower
        if type_ == "date_is_on_or_before":
            return day < upper
        if type_ == "date_is_after":
            return day >= upper
        if type_ == "date_is_on_or_after":
            return day >= lower
        # date_is_within: between today and the period's end
        return min(today, lower) <= day < max(upper, today + dt.timedelta(days=1))

    def predicate(row: Row) -> bool:
        day = _local_date(read(row), zone)
        if day is None:
            return type_ == "date_is_not"
        return test(day)

    return predicate
