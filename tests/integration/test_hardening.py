"""Security hardening: quotas under concurrency, enrolment by id, presence views, room-wide floods."""

from __future__ import annotations

from tests.support.clients import Api, make_project
from tests.support.server import ServerProcess


async def test_a_pupil_joins_another_project_only_through_their_own_teacher(server: ServerProcess) -> None:
    """Naming another project's pupil or visitor by id is refused; their own teacher may bring them."""
    a = await make_project(server)
    b = await make_project(server)
    async with Api(server, b.admin.token) as api:
        for who, role in ((a.pupil, "pupil"), (a.visitor, "visitor"), (a.pupil, "visitor")):
            r = await api.post(f"/projects/{b.id}/members", {"role": role, "user_id": who.id, "display_name": "X"})
            assert r.status_code == 403 and r.json()["error"]["code"] == "member.not_yours", r.text
        r = await api.get(f"/projects/{b.id}/members")
        assert a.pupil.id not in r.text and a.visitor.id not in r.text  # nothing stored
        # An adult joins by id as before; a new pupil without an id always can.
        r = await api.post(f"/projects/{b.id}/members", {"role": "admin", "user_id": a.admin.id,
                                                         "display_name": "Mme A"})
        assert r.status_code == 201, r.text
        r = await api.post(f"/projects/{b.id}/members", {"role": "pupil", "display_name": "New"})
        assert r.status_code == 201, r.text
    # A's admin, now staff in both, brings their own pupil.
    async with Api(server, a.admin.token) as api:
        r = await api.post(f"/projects/{b.id}/members", {"role": "pupil", "user_id": a.pupil.id,
                                                         "display_name": "Tom"})
        assert r.status_code == 201, r.text
