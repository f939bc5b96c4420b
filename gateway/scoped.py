"""The matrix's scopes applied to data: what a principal reaches, and refusals for what it does not.

A person, pass or site outside the caller's scope is answered as if it did not exist (404): the
caller learns nothing about people outside their community. Writing a person into an affiliation
outside the scope is a 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .access import EVERYTHING, Reach, resolve
from .auth import Principal
from .db import Conn
from .errors import Forbidden, NotFound
from .store import sites as site_store
from .store.people import PersonRow


async def reach(conn: Conn, principal: Principal) -> Reach:
    """The principal's scope resolved against the sites' policies as they are now."""
    if principal.scope.city:
        return EVERYTHING
    rows = await site_store.list_sites(conn)
    return resolve(principal.scope, [(r.code, r.policy) for r in rows])


def covers(reach_: Reach, person: PersonRow | Mapping[str, Any]) -> bool:
    if isinstance(person, PersonRow):
        return reach_.covers_person(person.community, person.employer, person.school, person.school_class)
    return reach_.covers_person(person.get("community"), person.get("employer"), person.get("school"),
                                person.get("school_class"))


async def check_person(conn: Conn, principal: Principal, person: PersonRow | None, person_id: int) -> PersonRow:
    """The person, or NotFound when missing or outside the principal's scope (the same answer)."""
    if person is None or not covers(await reach(conn, principal), person):
        raise NotFound(f"no person {person_id}")
    return person


async def check_values(conn: Conn, principal: Principal, values: Mapping[str, Any]) -> None:
    """Refuse to write a person whose affiliations the principal does not reach."""
    if not covers(await reach(conn, principal), values):
        raise Forbidden("this person's community, employer or school is outside your scope "
                        f"({principal.scope.text()})", code="out_of_scope")


async def check_site(conn: Conn, principal: Principal, code: str) -> None:
    if not (await reach(conn, principal)).covers_site(code):
        raise NotFound(f"no site {code}")
