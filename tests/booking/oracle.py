"""An independent check of a stored schedule, written without the rules module: it sorts the
platform's bookings and walks them, the way an operator would read the plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from simhub.booking.model import HOLDING, Booking, BookingMode
from simhub.facility.model import CabinSpec


def schedule_problems(bookings: Sequence[Booking], cabins: Mapping[str, CabinSpec]) -> list[str]:
    """Every overlap, missing changeover gap or cabin in two places among *bookings*."""
    held = [b for b in bookings if b.state in HOLDING]
    motion = sorted((b for b in held if b.mode is BookingMode.MOTION), key=lambda b: b.start)
    problems = []
    for i, a in enumerate(motion):
        for b in motion[i + 1 :]:
            if b.start < a.end:
                problems.append(f"motion overlap: {a.id} {b.id}")
            if a.cabin_id != b.cabin_id:
                gap = b.start - a.end
                needed = timedelta(
                    minutes=cabins[a.cabin_id].unmount_minutes + cabins[b.cabin_id].mount_minutes
                )
                if gap < needed:
                    problems.append(f"changeover gap {gap} < {needed}: {a.id} -> {b.id}")
    fixed = [b for b in held if b.mode is BookingMode.FIXED_BASE]
    for i, a in enumerate(fixed):
        for b in fixed[i + 1 :]:
            if a.cabin_id == b.cabin_id and a.start < b.end and b.start < a.end:
                problems.append(f"bay overlap: {a.id} {b.id}")
        for m in motion:
            if m.cabin_id != a.cabin_id:
                continue
            cabin = cabins[m.cabin_id]
            on_platform_from = m.start - timedelta(minutes=cabin.mount_minutes)
            on_platform_to = m.end + timedelta(minutes=cabin.unmount_minutes)
            if a.start < on_platform_to and on_platform_from < a.end:
                problems.append(f"cabin in two places: {a.id} {m.id}")
    return problems
