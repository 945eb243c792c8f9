"""The pure rules: hand-made cases, DST in Europe/Berlin, and properties over random sequences."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from simhub.booking.model import (
    Blackout,
    Booking,
    BookingMode,
    BookingRules,
    BookingState,
    OpeningInterval,
    Policy,
)
from simhub.booking.planner import (
    SlotOrder,
    SlotQuery,
    StepKind,
    find_slots,
    plan_changeovers,
    taken_starts,
)
from simhub.booking.rules import (
    AVAILABILITY_RULES,
    Proposal,
    RuleContext,
    blocked_period,
    check,
    opening_windows,
    validate_opening_hours,
    validate_rules,
)
from simhub.facility.loader import load_facility
from tests.booking.oracle import schedule_problems
from tests.conftest import REPO

FACILITY = load_facility(REPO / "facility.toml", REPO / "cabins")
CABINS = {c.id: c for c in FACILITY.cabins}
NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
ALWAYS_OPEN = tuple(OpeningInterval(d, 0, 1440) for d in range(7))
RULES = BookingRules(
    min_notice_minutes=70,
    max_horizon_days=365,
    default_motion_hours_per_week=1000,
    default_motion_hours_per_month=5000,
)
POLICY = Policy("Europe/Berlin", RULES, ALWAYS_OPEN)


def booking(
    n: int, cabin: str, mode: BookingMode, start: datetime, end: datetime, org: str = "org_a"
) -> Booking:
    b0, b1 = blocked_period(CABINS[cabin], mode, start, end)
    return Booking(
        f"bkg_{n}", org, "usr", cabin, mode, BookingState.APPROVED, start, end, b0, b1,
        "", (), None, NOW, NOW,
    )  # fmt: skip


def rules_broken(proposal: Proposal, existing: list[Booking], policy: Policy = POLICY) -> set[str]:
    return {v.rule for v in check(proposal, RuleContext(policy, CABINS, existing, NOW))}


def h(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


# -- hand-made cases --------------------------------------------------------------------------


def test_changeover_gap_is_unmount_of_old_plus_mount_of_new() -> None:
    truck = booking(1, "commercial", BookingMode.MOTION, h(3, 9), h(3, 10))
    # commercial unmount 30 + passenger mount 25 = 55 min: 10:55 is too early, 11:00 fits
    assert "changeover" in rules_broken(
        Proposal("org_b", "passenger", BookingMode.MOTION, h(3, 10, 45), h(3, 11, 45)), [truck]
    )
    assert not rules_broken(
        Proposal("org_b", "passenger", BookingMode.MOTION, h(3, 11), h(3, 12)), [truck]
    )
    # the same cabin may follow back to back
    assert not rules_broken(
        Proposal("org_b", "commercial", BookingMode.MOTION, h(3, 10), h(3, 11)), [truck]
    )
    # and before it: passenger unmount 20 + commercial mount 40 = 60 min
    assert "changeover" in rules_broken(
        Proposal("org_b", "passenger", BookingMode.MOTION, h(3, 7), h(3, 8, 15)), [truck]
    )
    assert not rules_broken(
        Proposal("org_b", "passenger", BookingMode.MOTION, h(3, 7), h(3, 8)), [truck]
    )


def test_overlap_and_cabin_in_one_place() -> None:
    truck = booking(1, "commercial", BookingMode.MOTION, h(3, 9), h(3, 10))
    assert "overlap" in rules_broken(
        Proposal("org_b", "commercial", BookingMode.MOTION, h(3, 9, 30), h(3, 10, 30)), [truck]
    )
    # the truck is being mounted 08:20-09:00 and unmounted 10:00-10:30
    assert "cabin_in_use" in rules_broken(
        Proposal("org_b", "commercial", BookingMode.FIXED_BASE, h(3, 10), h(3, 11)), [truck]
    )
    assert not rules_broken(
        Proposal("org_b", "commercial", BookingMode.FIXED_BASE, h(3, 10, 30), h(3, 11)), [truck]
    )
    # another cabin may be used fixed-base while the truck is on the platform
    assert not rules_broken(
        Proposal("org_b", "special", BookingMode.FIXED_BASE, h(3, 9), h(3, 10)), [truck]
    )
    bay = booking(2, "special", BookingMode.FIXED_BASE, h(3, 12), h(3, 13))
    assert "overlap" in rules_broken(
        Proposal("org_b", "special", BookingMode.FIXED_BASE, h(3, 12, 30), h(3, 13, 30)), [bay]
    )
    assert "cabin_in_use" in rules_broken(
        Proposal("org_b", "special", BookingMode.MOTION, h(3, 13), h(3, 14)), [bay]
    )


def test_every_broken_rule_is_reported_at_once() -> None:
    policy = Policy(
        "Europe/Berlin",
        RULES,
        ALWAYS_OPEN,
        (Blackout("blk_1", h(3, 0), h(4, 0), "hexapod service"),),
    )
    truck = booking(1, "commercial", BookingMode.MOTION, h(3, 9), h(3, 10))
    broken = rules_broken(
        Proposal("org_b", "passenger", BookingMode.MOTION, h(3, 9, 10), h(3, 9, 20)),
        [truck],
        policy,
    )
    assert broken == {"granularity", "duration", "blackout", "overlap"}


def test_notice_horizon_and_quota() -> None:
    now_plus = NOW + timedelta(minutes=60)
    assert "notice" in rules_broken(
        Proposal("org_a", "passenger", BookingMode.MOTION, now_plus, now_plus + timedelta(hours=1)),
        [],
    )
    far = NOW + timedelta(days=400)
    assert "horizon" in rules_broken(
        Proposal("org_a", "passenger", BookingMode.MOTION, far, far + timedelta(hours=1)), []
    )
    tight = Policy(
        "Europe/Berlin",
        BookingRules(
            min_notice_minutes=70,
            default_motion_hours_per_week=3,
            default_motion_hours_per_month=100,
        ),
        ALWAYS_OPEN,
    )
    held = [booking(1, "passenger", BookingMode.MOTION, h(3, 9), h(3, 11))]
    assert "quota_week" in rules_broken(
        Proposal("org_a", "passenger", BookingMode.MOTION, h(4, 9), h(4, 11)), held, tight
    )
    assert not rules_broken(
        Proposal("org_a", "passenger", BookingMode.MOTION, h(4, 9), h(4, 10)), held, tight
    )
    # another organisation's hours do not count; the next week starts afresh
    assert not rules_broken(
        Proposal("org_b", "passenger", BookingMode.MOTION, h(4, 9), h(4, 11)), held, tight
    )
    assert not rules_broken(
        Proposal("org_a", "passenger", BookingMode.MOTION, h(9, 9), h(9, 11)), held, tight
    )


def test_settings_validation_names_fields() -> None:
    bad = validate_rules(BookingRules(granularity_minutes=7, min_notice_minutes=10), 70)
    assert {v.field for v in bad} == {"rules.granularity_minutes", "rules.min_notice_minutes"}
    overlapping = validate_opening_hours(
        [OpeningInterval(0, 8 * 60, 12 * 60), OpeningInterval(0, 11 * 60, 14 * 60)]
    )
    assert overlapping and "overlaps" in overlapping[0].description


# -- DST: opening hours are local wall-clock times ---------------------------------------------

BERLIN_7_TO_21 = Policy(
    "Europe/Berlin", RULES, tuple(OpeningInterval(d, 7 * 60, 21 * 60) for d in range(7))
)


def test_opening_hours_follow_spring_forward() -> None:
    # Sunday 29 March 2026: clocks go 02:00 -> 03:00; 07:00 local is 05:00 UTC (was 06:00)
    assert not rules_broken(
        Proposal("o", "passenger", BookingMode.MOTION, h(29, 5), h(29, 6)), [], BERLIN_7_TO_21
    )
    assert "opening_hours" in rules_broken(
        Proposal("o", "passenger", BookingMode.MOTION, h(28, 5), h(28, 6)), [], BERLIN_7_TO_21
    )
    # and 21:00 local closes at 19:00 UTC from that day on
    assert "opening_hours" in rules_broken(
        Proposal("o", "passenger", BookingMode.MOTION, h(29, 19), h(29, 20)), [], BERLIN_7_TO_21
    )
    assert not rules_broken(
        Proposal("o", "passenger", BookingMode.MOTION, h(28, 19), h(28, 20)), [], BERLIN_7_TO_21
    )


def test_opening_hours_follow_fall_back() -> None:
    def october(day: int, hour: int) -> datetime:
        return datetime(2026, 10, day, hour, tzinfo=UTC)

    # Sunday 25 October 2026: clocks go 03:00 -> 02:00; 07:00 local is 06:00 UTC (was 05:00)
    assert "opening_hours" in rules_broken(
        Proposal("o", "passenger", BookingMode.MOTION, october(25, 5), october(25, 6)),
        [],
        BERLIN_7_TO_21,
    )
    assert not rules_broken(
        Proposal("o", "passenger", BookingMode.MOTION, october(24, 5), october(24, 6)),
        [],
        BERLIN_7_TO_21,
    )
    # opening 01:00-04:00 local lasts four real hours on the fall-back night, two in spring
    night = Policy("Europe/Berlin", RULES, (OpeningInterval(6, 60, 240),))
    assert not rules_broken(
        # 01:00 CEST = 23:00 UTC the day before; 04:00 CET = 03:00 UTC
        Proposal("o", "passenger", BookingMode.MOTION, october(24, 23), october(25, 3)),
        [],
        night,
    )
    assert "opening_hours" in rules_broken(
        # 29 March: 01:00 CET = 00:00 UTC; 04:00 CEST = 02:00 UTC: a 3-hour session cannot fit
        Proposal("o", "passenger", BookingMode.MOTION, h(29, 0), h(29, 3)),
        [],
        night,
    )


# -- the changeover plan ----------------------------------------------------------------------


def test_plan_unmounts_early_and_mounts_just_in_time() -> None:
    truck = booking(1, "commercial", BookingMode.MOTION, h(3, 9), h(3, 10))
    car = booking(2, "passenger", BookingMode.MOTION, h(3, 12), h(3, 13))
    car_again = booking(3, "passenger", BookingMode.MOTION, h(3, 13), h(3, 14))
    steps = plan_changeovers([car_again, truck, car], [], CABINS, "passenger")
    assert [(s.kind, s.cabin_id, s.start, s.end) for s in steps] == [
        (StepKind.UNMOUNT, "passenger", h(3, 8), h(3, 8, 20)),
        (StepKind.MOUNT, "commercial", h(3, 8, 20), h(3, 9)),
        (StepKind.UNMOUNT, "commercial", h(3, 10), h(3, 10, 30)),
        (StepKind.MOUNT, "passenger", h(3, 11, 35), h(3, 12)),
    ]


def test_plan_takes_a_cabin_off_for_its_bay_session_in_between() -> None:
    car = booking(1, "passenger", BookingMode.MOTION, h(3, 9), h(3, 10))
    bay = booking(2, "passenger", BookingMode.FIXED_BASE, h(3, 11), h(3, 12))
    car_again = booking(3, "passenger", BookingMode.MOTION, h(3, 14), h(3, 15))
    steps = plan_changeovers([car, car_again], [bay], CABINS, "passenger")
    assert [(s.kind, s.start) for s in steps] == [
        (StepKind.UNMOUNT, h(3, 10)),
        (StepKind.MOUNT, h(3, 13, 35)),
    ]


# -- properties -------------------------------------------------------------------------------

CABIN_IDS = sorted(CABINS)
operations = st.lists(
    st.tuples(
        st.sampled_from(["request", "request", "request", "cancel"]),
        st.sampled_from(CABIN_IDS),
        st.sampled_from(list(BookingMode)),
        st.integers(0, 4 * 24 * 4),  # start: quarter hours over four days
        st.integers(2, 12),  # duration: quarter hours
        st.integers(0, 1000),  # which booking to cancel
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_accepted_requests_never_overlap_or_skip_a_changeover(ops: list[tuple]) -> None:  # type: ignore[type-arg]
    held: list[Booking] = []
    base = h(3, 0)
    for n, (op, cabin, mode, quarter, quarters, pick) in enumerate(ops):
        if op == "cancel":
            if held:
                held.pop(pick % len(held))
            continue
        start = base + timedelta(minutes=15 * quarter)
        proposal = Proposal("org", cabin, mode, start, start + timedelta(minutes=15 * quarters))
        if not check(proposal, RuleContext(POLICY, CABINS, held, NOW)):
            held.append(booking(n, cabin, mode, proposal.start, proposal.end))
    assert schedule_problems(held, CABINS) == []


@settings(max_examples=60, deadline=None)
@given(operations, st.sampled_from(CABIN_IDS), st.sampled_from(list(BookingMode)))
def test_every_slot_found_is_accepted(
    ops: list[tuple],  # type: ignore[type-arg]
    cabin: str,
    mode: BookingMode,
) -> None:
    held: list[Booking] = []
    base = h(3, 0)
    for n, (op, c, m, quarter, quarters, _) in enumerate(ops):
        if op == "request":
            start = base + timedelta(minutes=15 * quarter)
            p = Proposal("org", c, m, start, start + timedelta(minutes=15 * quarters))
            if not check(p, RuleContext(POLICY, CABINS, held, NOW)):
                held.append(booking(n, c, m, p.start, p.end))
    context = RuleContext(POLICY, CABINS, held, NOW)
    query = SlotQuery(
        "org", cabin, mode, 90, base, base + timedelta(days=2), 20, SlotOrder.FEWEST_SWAPS
    )
    for slot in find_slots(query, context, held, "passenger"):
        proposal = Proposal("org", cabin, mode, slot.start, slot.end)
        assert check(proposal, context) == []
        after = [*held, booking(999, cabin, mode, slot.start, slot.end)]
        assert schedule_problems(after, CABINS) == []


@settings(max_examples=60, deadline=None)
@given(
    operations,
    st.sampled_from(CABIN_IDS),
    st.sampled_from(list(BookingMode)),
    st.integers(2, 16),
)
def test_taken_starts_are_exactly_the_starts_availability_refuses(
    ops: list[tuple],  # type: ignore[type-arg]
    cabin: str,
    mode: BookingMode,
    quarters: int,
) -> None:
    """The slot finder's interval arithmetic skips a start iff ``check`` finds it taken, so it
    never hides a free slot and never needs the per-step check for a taken one."""
    held: list[Booking] = []
    base = h(3, 0)
    for n, (op, c, m, quarter, length, _) in enumerate(ops):
        if op == "request":
            start = base + timedelta(minutes=15 * quarter)
            p = Proposal("org", c, m, start, start + timedelta(minutes=15 * length))
            if not check(p, RuleContext(POLICY, CABINS, held, NOW)):
                held.append(booking(n, c, m, p.start, p.end))
    context = RuleContext(POLICY, CABINS, held, NOW)
    query = SlotQuery("org", cabin, mode, 15 * quarters, base, base + timedelta(days=5), 20)
    taken = taken_starts(query, context)
    for quarter in range(-8, 5 * 24 * 4):
        start = base + timedelta(minutes=15 * quarter)
        proposal = Proposal("org", cabin, mode, start, start + timedelta(minutes=15 * quarters))
        refused = {v.rule for v in check(proposal, context)} & AVAILABILITY_RULES
        assert any(a < start < b for a, b in taken) == bool(refused), (start, refused)


def test_opening_windows_kept_per_hours_zone_and_days() -> None:
    """``opening_windows`` keeps its answers: other hours, another zone or other days (a DST
    change inside them) must each get their own, never one kept for different arguments."""
    berlin, tokyo = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")
    early = tuple(OpeningInterval(d, 6 * 60, 12 * 60) for d in range(7))
    late = tuple(OpeningInterval(d, 12 * 60, 22 * 60) for d in range(7))
    march = date(2026, 3, 28), date(2026, 3, 30)  # Berlin moves to summer time on the 29th
    for hours in (early, late, early):
        for tz in (berlin, tokyo, berlin):
            for first, last in (march, (date(2026, 3, 2), date(2026, 3, 3)), march):
                expected = []
                day = first
                while day <= last:  # every day open from opens to closes, local time
                    for i in (i for i in hours if i.weekday == day.weekday()):
                        opens = datetime.combine(day, datetime.min.time(), tz)
                        expected.append(
                            (
                                (opens + timedelta(minutes=i.opens_minute)).astimezone(UTC),
                                (opens + timedelta(minutes=i.closes_minute)).astimezone(UTC),
                            )
                        )
                    day += timedelta(days=1)
                assert list(opening_windows(hours, tz, first, last)) == expected
