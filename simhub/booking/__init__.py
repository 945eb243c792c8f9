"""Booking cabin sessions on the motion platform and in the fixed-base bays.

``rules`` holds the pure checks, ``planner`` the slot finder and the day's changeover plan,
``service`` the use cases over the ``BookingStore`` port, ``ical`` the RFC 5545 export.
"""
