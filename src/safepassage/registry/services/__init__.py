"""Registry use cases: the only code that changes registry data.

Each function checks permission through the policy, changes state through model methods, and commits
once. The change history is written by ``safepassage.history`` in the same transaction. Callers use
this facade (``services.register_household``); the modules behind it group the use cases by subject.
"""

from safepassage.registry.services.erasure import ErasureReport, erase_person
from safepassage.registry.services.households import (
    add_member,
    change_head,
    merge_households,
    remove_member,
    split_household,
)
from safepassage.registry.services.lookups import (
    get_household_or_raise,
    get_person_or_raise,
    get_site_by_code_or_raise,
    get_site_or_raise,
)
from safepassage.registry.services.persons import (
    add_document,
    add_phone,
    add_spelling,
    check_in,
    check_out,
    record_consent,
    state_intention,
    update_person,
)
from safepassage.registry.services.registration import (
    add_person,
    register_household,
    register_household_returning,
)
from safepassage.registry.services.retention import RetentionReport, apply_retention
from safepassage.registry.services.sites import create_site, update_site

__all__ = [
    "ErasureReport",
    "RetentionReport",
    "add_document",
    "add_member",
    "add_person",
    "add_phone",
    "add_spelling",
    "apply_retention",
    "change_head",
    "check_in",
    "check_out",
    "create_site",
    "erase_person",
    "get_household_or_raise",
    "get_person_or_raise",
    "get_site_by_code_or_raise",
    "get_site_or_raise",
    "merge_households",
    "record_consent",
    "register_household",
    "register_household_returning",
    "remove_member",
    "split_household",
    "state_intention",
    "update_person",
    "update_site",
]
