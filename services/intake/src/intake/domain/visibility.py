"""Who may see which incident and which history entry (SPEC §2, §7).

Internal entries must never reach a client by any path, and an incident outside a
client's scope must look non-existent (404). Keeping the whole rule here — and
offering :func:`visible_visibilities` to push it into SQL filters — means every list,
detail, search, count and download asks the same question the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from desk_contracts.enums import Role, Scope, Visibility

__all__ = [
    "IncidentScope",
    "Principal",
    "VisibilityNotAllowed",
    "can_see_entry",
    "can_see_incident",
    "entry_visibility_for",
    "incident_scope",
    "visible_visibilities",
]


@dataclass(frozen=True)
class Principal:
    """The authenticated user a request acts for.

    A client always belongs to one organization and has a scope; a principal built
    without them is a bug upstream and is refused here rather than silently seeing
    too much or nothing. For staff both fields are informational and ignored.
    """

    user_id: UUID
    role: Role
    organization_id: UUID | None = None
    scope: Scope | None = None

    def __post_init__(self) -> None:
        if self.role is Role.CLIENT:
            if self.organization_id is None:
                raise ValueError("a client principal needs an organization_id")
            if self.scope is None:
                raise ValueError("a client principal needs a scope")

    @property
    def is_staff(self) -> bool:
        """Every role but ``client`` works for the service company and sees all."""
        return self.role.is_staff


@dataclass(frozen=True)
class IncidentScope:
    """The incidents a client may see, as facts an incident must match: its
    organization, and (scope ``own``) its requester. Staff have no scope: they see all.

    This is the one statement of the rule: :func:`can_see_incident` checks a row
    against it and ``intake.listing.scope_filter`` turns it into SQL for lists,
    searches and counts.
    """

    organization_id: UUID
    requester_id: UUID | None  # None: every requester of the organization


def incident_scope(p: Principal) -> IncidentScope | None:
    """Which incidents exist for ``p`` (``None``: every one).

    Staff see every incident. A client sees only incidents of its own organization:
    scope ``organization`` — all of them; scope ``own`` — those it requested. The
    organization is checked for ``own`` too, so a contact moved to another company
    stops seeing its former employer's incidents.
    """
    if p.is_staff:
        return None
    assert p.organization_id is not None  # a client principal always has one
    return IncidentScope(
        organization_id=p.organization_id,
        requester_id=None if p.scope is Scope.ORGANIZATION else p.user_id,
    )


def can_see_incident(p: Principal, *, requester_id: UUID, organization_id: UUID) -> bool:
    """Whether the incident exists for ``p`` at all (otherwise answer 404): whether
    it matches :func:`incident_scope`."""
    scope = incident_scope(p)
    if scope is None:
        return True
    if organization_id != scope.organization_id:
        return False
    return scope.requester_id is None or requester_id == scope.requester_id


def can_see_entry(p: Principal, visibility: Visibility) -> bool:
    """Clients see public entries only; staff see internal notes too."""
    return visibility in visible_visibilities(p)


def visible_visibilities(p: Principal) -> tuple[Visibility, ...]:
    """The visibilities ``p`` may read, for ``WHERE visibility = ANY(...)`` filters."""
    if p.is_staff:
        return (Visibility.PUBLIC, Visibility.INTERNAL)
    return (Visibility.PUBLIC,)


class VisibilityNotAllowed(ValueError):
    """A client asked to write an internal entry; rendered as a 4xx on ``visibility``."""

    field = "visibility"


def may_link_article(p: Principal, entry: Visibility) -> bool:
    """A knowledge base article is linked by staff to a public reply: the client reads
    it there (an internal note has no reader to send to an article)."""
    return p.is_staff and entry is Visibility.PUBLIC


def entry_visibility_for(p: Principal, requested: Visibility | None) -> Visibility:
    """The visibility a new entry by ``p`` gets.

    Clients always write public entries; an explicit ``internal`` request from a
    client is an error rather than silently published, so the caller learns the
    text went public. Staff choose explicitly; when they do not, the entry is
    ``public`` — the API contract of Zendesk (``comment.public`` defaults to true)
    and Zammad (``internal`` defaults to false), where an internal note is always
    a deliberate choice.
    """
    if p.is_staff:
        return Visibility.PUBLIC if requested is None else requested
    if requested is Visibility.INTERNAL:
        raise VisibilityNotAllowed("visibility: clients can only write public entries")
    return Visibility.PUBLIC
