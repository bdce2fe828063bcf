#!/usr/bin/env python3
"""Writes tests/data/billing_dates.csv: the n-th billing date of cycles across month ends, leap years and year
ends, computed with Python's own calendar (datetime, calendar.monthrange), independent of the library's C++.
tests/unit/calendar_test.cpp checks billing_date() against every row; tests/python/test_subscriptions.py checks
the rows against Python's calendar again, so a hand edit of the file cannot pass."""
import calendar
import csv
import datetime
import pathlib

ORIGINS = ["2026-01-31T00:00:00Z", "2026-01-30T12:30:00Z", "2026-01-29T23:59:59Z", "2026-01-28T00:00:00Z",
           "2024-01-31T08:00:00Z", "2024-02-29T00:00:00Z", "2023-02-28T00:00:00Z", "2100-01-31T00:00:00Z",
           "2000-02-29T06:00:00Z", "2026-12-31T23:00:00Z", "2026-11-30T00:00:00Z", "2025-08-31T00:00:00Z",
           "2027-03-31T00:00:00Z", "1999-12-31T23:59:59.999999Z", "2026-06-15T10:00:00Z"]
UNITS = ["day", "week", "month", "year"]


def parse(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def show(at: datetime.datetime) -> str:
    text = at.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{at.microsecond:06d}" if at.microsecond else "") + "Z"


def billing_date(origin: datetime.datetime, unit: str, anchor_day: int, n: int) -> datetime.datetime:
    if unit == "day":
        return origin + datetime.timedelta(days=n)
    if unit == "week":
        return origin + datetime.timedelta(weeks=n)
    months = n if unit == "month" else 12 * n
    index = origin.year * 12 + origin.month - 1 + months
    year, month = divmod(index, 12)
    day = min(anchor_day, calendar.monthrange(year, month + 1)[1])
    return origin.replace(year=year, month=month + 1, day=day)


def rows() -> list[list[str]]:
    out = []
    for text in ORIGINS:
        origin = parse(text)
        for unit in UNITS:
            anchors = [origin.day] if unit in ("day", "week") else sorted({origin.day, 31, 30, 29, 1})
            for anchor in anchors:
                for n in range(-2, 15) if unit != "year" else range(-1, 9):
                    out.append([text, unit, str(anchor), str(n), show(billing_date(origin, unit, anchor, n))])
    return out


if __name__ == "__main__":
    path = pathlib.Path(__file__).with_name("billing_dates.csv")
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["origin", "unit", "anchor_day", "n", "date"])
        writer.writerows(rows())
