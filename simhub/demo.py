"""The demo facility for ``make run``: a demo company with an engineer, and the facility's own
organisation with an operator. Tokens are printed once, when the organisations are created."""

from __future__ import annotations

from dataclasses import dataclass

from simhub.identity.model import IssuedToken, Role
from simhub.identity.service import IdentityService

DEMO_COMPANY = "Demo Motors"
FACILITY_ORG = "Simulator Facility"


@dataclass(frozen=True)
class DemoTokens:
    engineer: IssuedToken
    operator: IssuedToken


def load_demo(identity: IdentityService) -> DemoTokens | None:
    """Create the demo organisations and their users; None if they exist already."""
    if identity.has_organisation(DEMO_COMPANY):
        return None
    company = identity.create_organisation(DEMO_COMPANY)
    facility = (
        identity.find_organisation(FACILITY_ORG)
        if identity.has_organisation(FACILITY_ORG)
        else identity.create_organisation(FACILITY_ORG)
    )
    engineer = identity.create_user(company.id, "demo-engineer", Role.ENGINEER)
    operator = identity.create_user(facility.id, "demo-operator", Role.OPERATOR)
    return DemoTokens(
        engineer=identity.issue_token(engineer.id), operator=identity.issue_token(operator.id)
    )
