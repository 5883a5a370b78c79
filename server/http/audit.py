"""REST endpoint of the audit log: read only. Any other method on its path answers
``request.method_not_allowed``: an entry is never edited or deleted."""

from __future__ import annotations

from rooms import limits
from server.actions import audit as a
from server.http.routing import Endpoint

ENDPOINTS = [
    Endpoint("GET", "/projects/{project_id}/audit", a.audit_list,
             "The project's audit log, newest first (its admins and support officers)",
             query=(("actor_id", "only what this person did"), ("action", "only this action, e.g. member.role"),
                    ("target_id", "only what was done to this member, space, mail, ..."),
                    ("cursor", "next_cursor of the previous page"), ("limit", f"1 to {limits.AUDIT_PAGE_MAX}")),
             tag="audit"),
]
