"""Business-time arithmetic: exact across weekends, holidays, shifts past midnight and DST."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import BusinessCalendar, Spec

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
NINE_TO_FIVE = tuple((d, time(9), time(17)) for d in range(5))
HOUR = 3600


def cal(**kwargs) -> BusinessCalendar:
    return BusinessCalendar(Spec(**kwargs))


def test_always_open_is_wall_clock():
    c = cal(hours=tuple((d, time(0), time(0)) for d in range(7)))
    a = datetime(2026, 3, 7, 12, tzinfo=UTC)
    assert c.seconds_between(a, a + timedelta(days=3)) == 3 * 86400
    assert c.add(a, 4 * HOUR) == a + timedelta(hours=4)


def test_weekend_is_skipped():
    c = cal(time_zone="UTC", hours=NINE_TO_FIVE)
    friday_4pm = datetime(2026, 3, 6, 16, tzinfo=UTC)
    # One hour left on Friday, the next seven on Monday: 8 business hours end Monday 16:00.
    assert c.add(friday_4pm, 8 * HOUR) == datetime(2026, 3, 9, 16, tzinfo=UTC)
    assert c.seconds_between(friday_4pm, datetime(2026, 3, 9, 10, tzinfo=UTC)) == 2 * HOUR
    # Starting in closed time counts from the next opening.
    saturday = datetime(2026, 3, 7, 11, tzinfo=UTC)
    assert c.add(saturday, 30 * 60) == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)


def test_add_and_between_are_inverse_to_the_second():
    c = cal(time_zone="America/New_York", hours=NINE_TO_FIVE, holiday_country="US")
    start = datetime(2026, 2, 27, 15, 17, 23, tzinfo=UTC)
    for seconds in (1, 59, 3601, 8 * HOUR, 40 * HOUR + 17, 200 * HOUR):
        end = c.add(start, seconds)
        assert c.seconds_between(start, end) == seconds


def test_public_holiday_and_closed_date_and_extra_day():
    # 2026-12-25 (Friday) is a US holiday; 2026-12-24 closed by the calendar; Saturday 26th is worked.
    c = cal(time_zone="UTC", hours=NINE_TO_FIVE, holiday_country="US", closed=frozenset({date(2026, 12, 24)}),
            extra=((date(2026, 12, 26), time(10), time(12)),))
    wednesday_5pm = datetime(2026, 12, 23, 17, tzinfo=UTC)
    assert c.add(wednesday_5pm, 2 * HOUR) == datetime(2026, 12, 26, 12, tzinfo=UTC)
    assert c.add(wednesday_5pm, 3 * HOUR) == datetime(2026, 12, 28, 10, tzinfo=UTC)
    assert not c.is_open(datetime(2026, 12, 25, 10, tzinfo=UTC))


def test_holiday_subdivision():
    # 2026-03-17 St Patrick's Day: a holiday in Northern Ireland, not in England.
    ni = cal(time_zone="Europe/London", hours=NINE_TO_FIVE, holiday_country="GB", holiday_subdivision="NIR")
    eng = cal(time_zone="Europe/London", hours=NINE_TO_FIVE, holiday_country="GB", holiday_subdivision="ENG")
    noon = datetime(2026, 3, 17, 12, tzinfo=UTC)
    assert not ni.is_open(noon)
    assert eng.is_open(noon)


def test_shift_past_midnight_belongs_to_its_start_day():
    # Night desk: Mon-Fri 22:00-06:00.
    c = cal(time_zone="UTC", hours=tuple((d, time(22), time(6)) for d in range(5)))
    friday_11pm = datetime(2026, 3, 6, 23, tzinfo=UTC)
    assert c.is_open(datetime(2026, 3, 7, 5, 59, tzinfo=UTC))  # Saturday morning, Friday's shift
    assert not c.is_open(datetime(2026, 3, 7, 23, tzinfo=UTC))  # no Saturday shift
    # 7 h left of Friday's shift, then Monday 22:00 onwards.
    assert c.add(friday_11pm, 8 * HOUR) == datetime(2026, 3, 9, 23, tzinfo=UTC)


def test_spring_forward_day_is_23_hours_in_new_york():
    c = cal(time_zone="America/New_York", hours=tuple((d, time(0), time(0)) for d in range(7)) + ((0, time(1), time(2)),),
            holiday_country="US")  # not always_open: exercises the interval path
    day_start = datetime(2026, 3, 8, 0, 0, tzinfo=NY)
    next_day = datetime(2026, 3, 9, 0, 0, tzinfo=NY)
    assert c.seconds_between(day_start, next_day) == 23 * HOUR


def test_business_hours_across_dst_in_new_york():
    c = cal(time_zone="America/New_York", hours=NINE_TO_FIVE)
    # Friday 6 March 2026 16:00 EST (21:00 UTC); the clocks go forward on Sunday 8 March.
    friday = datetime(2026, 3, 6, 16, tzinfo=NY)
    monday_due = c.add(friday, 2 * HOUR)
    assert monday_due == datetime(2026, 3, 9, 10, tzinfo=NY)  # 10:00 EDT
    assert monday_due.astimezone(UTC) == datetime(2026, 3, 9, 14, tzinfo=UTC)  # not 15:00 UTC


def test_night_shift_over_dst_end_in_london():
    # Saturday 24 Oct 2026 22:00 → Sunday 06:00 local: the clocks go back at 02:00, so the shift is 9 hours.
    c = cal(time_zone="Europe/London", hours=((5, time(22), time(6)),))
    start = datetime(2026, 10, 24, 22, tzinfo=LONDON)
    end = datetime(2026, 10, 25, 6, tzinfo=LONDON)
    assert c.seconds_between(start, end) == 9 * HOUR
    assert c.add(start, 9 * HOUR) == end


def test_window_grows_for_far_instants():
    c = cal(time_zone="UTC", hours=NINE_TO_FIVE)
    far = datetime(2040, 1, 2, 9, tzinfo=UTC)  # a Monday
    assert c.add(far, HOUR) == datetime(2040, 1, 2, 10, tzinfo=UTC)
    past = datetime(2015, 6, 1, 9, tzinfo=UTC)  # a Monday
    assert c.seconds_between(past, past + timedelta(days=7)) == 40 * HOUR


def test_no_working_time_is_an_error():
    with pytest.raises(ValueError):
        cal(time_zone="UTC", hours=()).add(datetime(2026, 1, 1, tzinfo=UTC), 60)
