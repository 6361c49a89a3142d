"""The access policy, without a database: role × unit scope."""

import pytest

from riskctl.core.access import (
    ALL_UNITS,
    GRANTS,
    Action,
    Principal,
    Role,
    can,
    require,
    visible_units,
)
from riskctl.core.errors import Forbidden

OWN, OTHER, SCOPED = 1, 2, 3


def principal(*roles: Role, scope: frozenset[int] = frozenset()) -> Principal:
    return Principal(person_id=9, unit_id=OWN, roles=frozenset(roles), scope_unit_ids=scope)


def test_staff_see_their_own_unit_only():
    staff = principal(Role.STAFF)
    assert visible_units(staff, Action.VIEW_ORG) == {OWN}
    assert can(staff, Action.VIEW_PEOPLE, OWN)
    assert not can(staff, Action.VIEW_PEOPLE, OTHER)


def test_discipline_leaders_see_their_own_unit_only():
    leader = principal(Role.DISCIPLINE_LEADER)
    assert visible_units(leader, Action.VIEW_PEOPLE) == {OWN}


def test_inspectors_see_their_scope_and_not_their_own_unit_by_that_role():
    inspector = principal(Role.INSPECTOR, scope=frozenset({SCOPED}))
    assert visible_units(inspector, Action.VIEW_ORG) == {SCOPED}
    assert not can(inspector, Action.VIEW_ORG, OWN)


def test_roles_combine_an_inspector_who_is_also_staff_sees_both():
    both = principal(Role.INSPECTOR, Role.STAFF, scope=frozenset({SCOPED}))
    assert visible_units(both, Action.VIEW_ORG) == {OWN, SCOPED}


def test_admins_reach_every_unit():
    admin = principal(Role.ADMIN)
    assert visible_units(admin, Action.VIEW_ORG) is ALL_UNITS
    assert can(admin, Action.MANAGE_ORG, 12345)


@pytest.mark.parametrize("role", [Role.STAFF, Role.DISCIPLINE_LEADER, Role.INSPECTOR])
def test_only_admins_manage_the_organisation(role):
    with pytest.raises(Forbidden):
        require(principal(role, scope=frozenset({OWN, OTHER})), Action.MANAGE_ORG)


def test_a_person_without_a_unit_reaches_nothing_by_own_unit_grants():
    nobody = Principal(1, None, frozenset({Role.STAFF}))
    assert visible_units(nobody, Action.VIEW_ORG) == frozenset()


def test_every_role_has_a_row_in_the_grant_table():
    assert set(GRANTS) == set(Role)
