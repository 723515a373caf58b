"""What a calendar app's import relies on in an iCalendar feed: CRLF line endings, 75-octet
folding, the calendar's and every event's required properties, unique UIDs, all-day dates, and
two independent parsers (``vobject``, and ``ical``, a strict RFC 5545 reader) reading the same
events as ``icalendar``."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream

REQUIRED = ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "CATEGORIES", "STATUS")


def lines_of(ics: bytes) -> list[bytes]:
    """The physical lines, checking CRLF endings and the 75-octet limit on the way."""
    assert ics.endswith(b"\r\n")
    assert b"\n" not in ics.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in ics.replace(b"\r\n", b""), "a bare CR"
    physical = ics[:-2].split(b"\r\n")
    for line in physical:
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # folding never splits a UTF-8 character
    return physical


def unfolded(ics: bytes) -> list[str]:
    return ics.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]


def validate_ics(ics: bytes) -> icalendar.Calendar:
    """Every check a calendar app's import relies on; the parsed calendar."""
    physical = lines_of(ics)
    assert physical[0] == b"BEGIN:VCALENDAR" and physical[-1] == b"END:VCALENDAR"
    cal = icalendar.Calendar.from_ical(ics)
    for prop, value in (
        ("VERSION", "2.0"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-TIMEZONE", "Asia/Shanghai"),
    ):
        assert str(cal[prop]) == value
    assert str(cal["PRODID"]).startswith("-//doudi//")
    events = list(cal.walk("VEVENT"))
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)), "UIDs must be unique"
    for e in events:
        for prop in REQUIRED:
            assert prop in e, (prop, e.get("UID"))
        start, end = e.decoded("DTSTART"), e.decoded("DTEND")
        assert type(start) is dt.date and type(end) is dt.date  # all-day: VALUE=DATE
        assert end > start
        stamp = e.decoded("DTSTAMP")
        assert isinstance(stamp, dt.datetime) and stamp.utcoffset() == dt.timedelta(0)
        assert str(e["STATUS"]) in ("TENTATIVE", "CONFIRMED")
    raw = unfolded(ics)
    assert sum(1 for x in raw if x.startswith("DTSTART;VALUE=DATE:")) == len(events)
    assert sum(1 for x in raw if x.startswith("DTEND;VALUE=DATE:")) == len(events)
    assert all(re.fullmatch(r"DTSTAMP:\d{8}T\d{6}Z", x) for x in raw if x.startswith("DTSTAMP"))
    # Two independent parsers read the same events.
    other = vobject.readOne(ics.decode("utf-8"))
    assert sorted(str(v.uid.value) for v in getattr(other, "vevent_list", [])) == sorted(uids)
    strict = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8"))
    assert sorted(str(e.uid) for e in strict.events) == sorted(uids)
    by_uid = {str(e.uid): e for e in strict.events}
    for e in events:
        s = by_uid[str(e["UID"])]
        assert s.dtstart == e.decoded("DTSTART") and s.dtend == e.decoded("DTEND")
        assert s.summary == str(e["SUMMARY"])
    return cal
