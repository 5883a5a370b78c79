"""REST endpoints for projects, their members and their spaces."""

from __future__ import annotations

from rooms.models import HoldIn, MemberIn, MemberRoleIn, ProjectIn, ProjectSettingsIn, RejectIn, SpaceIn
from server.actions import projects as a
from server.http.routing import Endpoint

P = "/projects/{project_id}"

ENDPOINTS = [
    Endpoint("GET", "/me", a.me_get, "The user the token speaks for", tag="users"),
    Endpoint("GET", "/projects", a.projects_query,
             "The caller's projects; with ?status=, the review queue of a support officer",
             query=(("status", "pending, validated, rejected or archived"),)),
    Endpoint("POST", "/projects", a.project_register, "Register a project (starts pending)", body=ProjectIn,
             status=201),
    Endpoint("GET", P, a.project_get, "A project and the caller's role in it"),
    Endpoint("POST", P + "/validate", a.project_validate, "Validate a pending project (support officer)"),
    Endpoint("POST", P + "/reject", a.project_reject, "Reject a pending project with a reason (support officer)",
             body=RejectIn),
    Endpoint("POST", P + "/archive", a.project_archive, "Archive a project: read-only for everyone (admin)"),
    Endpoint("PATCH", P + "/settings", a.project_configure,
             "Change project settings: how many days chat, forum posts, mail and unattached files are kept, "
             "or null to keep them until the project ends; fields left out stay as they are (admin)",
             body=ProjectSettingsIn),
    Endpoint("POST", P + "/hold", a.project_hold,
             "Hold a project so that it is not deleted after its grace period, or release it (support officer)",
             body=HoldIn),
    Endpoint("GET", P + "/members", a.member_list, "The project's members"),
    Endpoint("POST", P + "/members", a.member_add, "Invite a teacher or create pupil or visitor access (admin)",
             body=MemberIn, status=201),
    Endpoint("PATCH", P + "/members/{user_id}", a.member_role, "Change a member's role (admin)",
             body=MemberRoleIn),
    Endpoint("DELETE", P + "/members/{user_id}", a.member_remove, "Remove a member (admin)"),
    Endpoint("GET", P + "/spaces", a.space_list, "The chat rooms and forums the caller may read", tag="spaces"),
    Endpoint("POST", P + "/spaces", a.space_create, "Add a chat room or forum (admin)", body=SpaceIn,
             status=201, tag="spaces"),
    Endpoint("GET", "/spaces/{space_id}", a.space_get, "One chat room or forum", tag="spaces"),
]
