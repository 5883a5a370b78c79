"""``twinspace seed-demo``: a validated demo project with its people and their tokens.

Idempotent: running it again reuses the same project and members and
prints fresh tokens. The /demo page (server/http/demo.py) uses the same functions
on the running server's store.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import storage
from rooms.errors import Conflict
from rooms.languages import DEFAULT_LANGUAGE
from rooms.models import MemberIn, PartnerIn, ProjectIn, User
from rooms.ports import DocumentStore
from rooms.projects import ProjectService
from server.auth import mint
from server.settings import Settings

DEMO_PROJECT_ID = "prj_demo"
DEMO_TOKEN_TTL = timedelta(hours=12)  # a school day of trying things out

TEACHER_FR = User(id="teacher_fr", name="Claire Martin", role="teacher", school="Collège Jean Moulin, Lyon",
                  country="FR", lang="fr")
TEACHER_DE = User(id="teacher_de", name="Jonas Becker", role="teacher", school="Gymnasium am Stadtpark, Köln",
                  country="DE", lang="de")
PUPIL_FR = User(id="pupil_fr", name="Léa", role="pupil", school=TEACHER_FR.school, country="FR", lang="fr")
PUPIL_DE = User(id="pupil_de", name="Mats", role="pupil", school=TEACHER_DE.school, country="DE", lang="de")
VISITOR = User(id="visitor_parent", name="Parent (visitor)", role="visitor", country="FR", lang="fr")
SUPPORT = User(id="support_demo", name="National support officer", role="support", country="FR", lang="en")


# The demo's people by the key they are known by (seed-demo's output, the /demo page's user picker).
PEOPLE: dict[str, User] = {"teacher_fr": TEACHER_FR, "teacher_de": TEACHER_DE, "pupil_fr": PUPIL_FR,
                           "pupil_de": PUPIL_DE, "visitor": VISITOR, "support": SUPPORT}


async def ensure_project(documents: DocumentStore) -> dict[str, Any]:
    """Create (or reuse) the validated demo project and its members in ``documents``.

    Idempotent, and safe when two callers race: whoever comes second finds
    the project, the validation or the member already there.
    Answers ``{project_id, rooms: {general, staff}, forum_id}``.
    """
    service = ProjectService(documents)
    project = await documents.get_project(DEMO_PROJECT_ID)
    if project is None:
        try:
            await service.register(TEACHER_FR, ProjectIn(
                title="Our towns, our rivers", subject="Geography",
                description="Two classes compare the rivers of Lyon and Cologne, in English and French.",
                age_min=12, age_max=14, languages=["en", "fr", "de"],
                partners=[PartnerIn(user_id=TEACHER_DE.id, display_name=TEACHER_DE.name,
                                    school=TEACHER_DE.school, country="DE")],
            ), project_id=DEMO_PROJECT_ID)
        except Conflict:
            pass  # registered meanwhile by another caller
        project = await documents.get_project(DEMO_PROJECT_ID)
    assert project is not None
    if project.status == "pending":
        try:
            await service.review(SUPPORT, DEMO_PROJECT_ID, approve=True)
        except Conflict:
            pass  # validated meanwhile by another caller
    for person, role, adder in ((PUPIL_FR, "pupil", TEACHER_FR), (PUPIL_DE, "pupil", TEACHER_DE),
                                (VISITOR, "visitor", TEACHER_FR)):
        try:
            await service.add_member(adder, DEMO_PROJECT_ID, MemberIn(
                role=role, user_id=person.id, display_name=person.name, school=person.school,
                country=person.country))
        except Conflict:
            pass  # already there from an earlier run
    spaces = await documents.list_spaces(DEMO_PROJECT_ID, ("members", "teachers", "visitors"))
    by_key = {s.default_key: s.id for s in spaces if s.default_key}
    return {"project_id": DEMO_PROJECT_ID,
            "rooms": {"general": by_key.get("general"), "staff": by_key.get("staff")},
            "forum_id": by_key.get("forum")}


def token_for(secret: str, settings: Settings, person: User) -> str:
    """A demo token for one of ``PEOPLE``, signed with the HS256 secret."""
    return mint(secret, settings, user_id=person.id, name=person.name, role=person.role, school=person.school,
                country=person.country, lang=person.lang or DEFAULT_LANGUAGE, ttl=DEMO_TOKEN_TTL)


async def seed(settings: Settings, secret: str) -> dict[str, Any]:
    async with storage.open_documents(settings.documents_url) as documents:
        project = await ensure_project(documents)
    users = {key: {"id": person.id, "name": person.name, "role": person.role,
                   "token": token_for(secret, settings, person)}
             for key, person in PEOPLE.items()}
    return {"url": settings.public_url, **project, "users": users}
