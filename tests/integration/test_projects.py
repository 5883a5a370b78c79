"""Registration -> validation -> membership, end to end over REST and Socket.IO."""

from __future__ import annotations

from tests.support.clients import Api, make_project, person, realtime, without_request_id
from tests.support.server import ServerProcess

REGISTRATION = {
    "title": "Birds across Europe", "subject": "Biology", "description": "Counting birds",
    "age_min": 9, "age_max": 11, "languages": ["en", "de"],
}


async def test_registration_validation_membership(server: ServerProcess) -> None:
    founder = person(server, "t_fr", "teacher", school="École Jules Ferry", country="FR")
    partner = person(server, "t_de", "teacher", school="Grundschule Nord", country="DE")
    support = person(server, "nso", "support")
    async with Api(server, founder.token) as api:
        r = await api.post("/projects", {**REGISTRATION, "partners": [
            {"user_id": partner.id, "display_name": "Herr Braun", "school": "Grundschule Nord", "country": "DE"}]})
        assert r.status_code == 201, r.text
        project = r.json()
        assert project["status"] == "pending"
        pid = project["id"]
        # A pending project opens nothing: no spaces, no member management.
        assert (await api.get(f"/projects/{pid}/spaces")).json() == []
        r = await api.post(f"/projects/{pid}/members", {"role": "pupil", "display_name": "Tom"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "project.not_open"
        # Nobody but support validates.
        r = await api.post(f"/projects/{pid}/validate")
        assert r.status_code == 403 and r.json()["error"]["code"] == "permission.denied"

    async with Api(server, support.token) as api:
        queue = (await api.get("/projects", params={"status": "pending"})).json()
        assert pid in [p["id"] for p in queue]
        r = await api.post(f"/projects/{pid}/validate")
        assert r.status_code == 200 and r.json()["status"] == "validated"
        r = await api.post(f"/projects/{pid}/validate")
        assert r.status_code == 409 and r.json()["error"]["code"] == "project.bad_state"

    async with Api(server, partner.token) as api:
        # The partner is a founder: an admin from the start.
        r = await api.get(f"/projects/{pid}")
        assert r.json()["role"] == "admin"
        spaces = (await api.get(f"/projects/{pid}/spaces")).json()
        assert sorted((s["default_key"], s["kind"], s["visibility"]) for s in spaces) == [
            ("forum", "forum", "members"), ("general", "chat", "members"), ("staff", "chat", "teachers")]
        # Pupils are known by a display name; the server makes their id when none is given.
        r = await api.post(f"/projects/{pid}/members", {"role": "pupil", "display_name": "Anna B."})
        assert r.status_code == 201, r.text
        pupil = r.json()
        assert pupil["user_id"].startswith("pup_") and pupil["email"] is None
        r = await api.post(f"/projects/{pid}/members", {"role": "pupil", "display_name": "Ben", "email": "b@x.eu"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid"
        r = await api.post(f"/projects/{pid}/members", {"role": "visitor", "display_name": "Mme Durand"})
        visitor = r.json()
        teacher = person(server, "t_es", "teacher", school="IES Sur", country="ES")
        r = await api.post(f"/projects/{pid}/members", {"role": "teacher", "user_id": teacher.id,
                                                         "display_name": "Sra. Ruiz", "email": "ruiz@ies.es"})
        assert r.status_code == 201
        r = await api.post(f"/projects/{pid}/members", {"role": "teacher", "user_id": teacher.id,
                                                         "display_name": "again"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "member.exists"
        r = await api.patch(f"/projects/{pid}/members/{teacher.id}", {"role": "admin"})
        assert r.status_code == 200 and r.json()["role"] == "admin"
        r = await api.patch(f"/projects/{pid}/members/{pupil['user_id']}", {"role": "teacher"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "member.role_not_allowed"
        r = await api.post(f"/projects/{pid}/spaces", {"name": "Parents' corner", "visibility": "visitors"})
        assert r.status_code == 201

    # The pupil's token: the portal signs it for the id the server made.
    pupil_token = server.token(pupil["user_id"], "pupil", name="Anna B.")
    async with Api(server, pupil_token) as api:
        mine = (await api.get("/projects")).json()
        assert [p["id"] for p in mine] == [pid]
        names = {s["name"] for s in (await api.get(f"/projects/{pid}/spaces")).json()}
        assert names == {"General", "Forum", "Parents' corner"}  # never the staff room

    visitor_token = server.token(visitor["user_id"], "visitor")
    async with Api(server, visitor_token) as api:
        members = (await api.get(f"/projects/{pid}/members")).json()
        pupils = [m for m in members if m["role"] == "pupil"]
        assert pupils == [{"role": "pupil", "display_name": "Anna B.", "user_id": None, "school": None,
                           "country": None, "email": None, "joined_at": None}]
        assert all(m["email"] is None for m in members)  # e-mail addresses are for staff only
        names = {s["name"] for s in (await api.get(f"/projects/{pid}/spaces")).json()}
        assert names == {"Parents' corner"}

    # The same reads over Socket.IO give the same answers.
    async with realtime(server, pupil_token) as rt:
        ack = await rt.call("project:list", {})
        assert ack["ok"] is True and [p["project"]["id"] for p in ack["data"]] == [pid]
        ack = await rt.call("space:list", {"project_id": pid})
        assert {s["name"] for s in ack["data"]} == {"General", "Forum", "Parents' corner"}
        staff_id = next(s["id"] for s in spaces if s["default_key"] == "staff")
        ack = await rt.call("space:get", {"space_id": staff_id})
        assert ack["ok"] is False and without_request_id(ack["error"]) == {
            "code": "permission.denied", "message": "You may not do this here.", "data": {"action": "space.read"}}


async def test_registration_needs_a_partner_from_another_school(server: ServerProcess) -> None:
    founder = person(server, "t", "teacher", school="Liceo Galilei", country="IT")
    async with Api(server, founder.token) as api:
        r = await api.post("/projects", {**REGISTRATION, "partners": [
            {"user_id": "same_school_colleague", "display_name": "Marco", "school": " liceo  GALILEI ",
             "country": "IT"}]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "project.partners_required"
        r = await api.post("/projects", {**REGISTRATION, "partners": []})
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid"
        assert (await api.get("/projects")).json() == []
    pupil = person(server, "p", "pupil", school="X")
    async with Api(server, pupil.token) as api:
        r = await api.post("/projects", {**REGISTRATION, "partners": [
            {"user_id": "t2", "display_name": "T", "school": "Y", "country": "DE"}]})
        assert r.status_code == 403 and r.json()["error"]["code"] == "permission.denied"


async def test_rejection_and_archive(server: ServerProcess) -> None:
    rejected = await make_project(server, validate=False)
    async with Api(server, rejected.support.token) as api:
        r = await api.post(f"/projects/{rejected.id}/reject", {"reason": "  "})
        assert r.status_code == 400
        r = await api.post(f"/projects/{rejected.id}/reject", {"reason": "Partner school not registered"})
        assert r.status_code == 200
        assert r.json()["status"] == "rejected" and r.json()["status_reason"] == "Partner school not registered"

    project = await make_project(server)
    async with Api(server, project.pupil.token) as api:
        r = await api.post(f"/projects/{project.id}/archive")
        assert r.status_code == 403
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/archive")
        assert r.status_code == 200 and r.json()["status"] == "archived"
        # Read-only for everyone, admins included; reading still works.
        r = await api.post(f"/projects/{project.id}/members", {"role": "pupil", "display_name": "Late"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "project.archived"
        assert (await api.get(f"/projects/{project.id}/members")).status_code == 200


async def test_last_admin_stays(server: ServerProcess) -> None:
    project = await make_project(server)
    async with Api(server, project.admin.token) as api:
        r = await api.delete(f"/projects/{project.id}/members/{project.partner.id}")
        assert r.status_code == 204
        r = await api.patch(f"/projects/{project.id}/members/{project.admin.id}", {"role": "teacher"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "member.last_admin"
        r = await api.delete(f"/projects/{project.id}/members/{project.admin.id}")
        assert r.status_code == 409 and r.json()["error"]["code"] == "member.last_admin"
        r = await api.delete(f"/projects/{project.id}/members/nobody")
        assert r.status_code == 404 and r.json()["error"]["code"] == "member.not_found"


async def test_a_pupil_token_never_acts_as_staff(server: ServerProcess) -> None:
    """Even when a membership says admin, a pupil's token acts as a pupil."""
    project = await make_project(server)
    impostor = person(server, "pupil_as_admin", "pupil")
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/members",
                           {"role": "teacher", "user_id": impostor.id, "display_name": "?"})
        assert r.status_code == 201
    async with Api(server, impostor.token) as api:
        assert (await api.get(f"/projects/{project.id}")).json()["role"] == "pupil"
        r = await api.post(f"/projects/{project.id}/members", {"role": "pupil", "display_name": "x"})
        assert r.status_code == 403
        r = await api.get(f"/spaces/{project.spaces['staff']}")
        assert r.status_code == 403


async def test_outsiders_cannot_tell_a_project_exists(server: ServerProcess) -> None:
    project = await make_project(server)
    async with Api(server, project.outsider.token) as api:
        for path in (f"/projects/{project.id}", f"/projects/{project.id}/members",
                     f"/spaces/{project.spaces['general']}", "/projects/prj_doesnotexist"):
            r = await api.get(path)
            assert r.status_code == 404, path
        assert (await api.get(f"/projects/{project.id}")).json()["error"]["code"] == "project.not_found"
        assert (await api.get("/projects/prj_doesnotexist")).json()["error"]["code"] == "project.not_found"
