"""Messages in the user's language against a running server: a German pupil's refused sends read in
German over Socket.IO; without a lang claim, REST and Socket.IO follow Accept-Language (and the
handshake's auth.lang), an away teacher's e-mail notice too; a language the server does not have reads
English."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from rooms import limits
from tests.support.clients import Api, make_project, ok, realtime, until, without_request_id
from tests.support.server import ServerProcess
from tests.support.smtp import mail_catcher


def send(room: str, text: str) -> dict[str, Any]:
    return {"room_id": room, "client_id": str(uuid.uuid4()), "text": text}


async def test_a_german_pupils_refused_send_reads_in_german(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    german = server.token(project.pupil.id, "pupil", name=project.pupil.name, lang="de")
    async with realtime(server, german) as pupil, realtime(server, project.teacher.token) as teacher:
        await ok(pupil, "room:join", {"room_id": room})
        ack = await pupil.call("chat:send", send(room, "x" * (limits.CHAT_TEXT_MAX_CHARS + 1)))
        assert without_request_id(ack["error"]) == {
            "code": "request.invalid", "message": "Ungültige Anfrage: Prüfe „text“.", "data": {"field": "text"}}, ack
        state = await ok(teacher, "moderation:mute", {"project_id": project.id, "user_id": project.pupil.id,
                                                      "minutes": 15})
        ack = await pupil.call("chat:send", send(room, "Hallo!"))
        assert ack["error"]["code"] == "chat.muted", ack
        until = ack["error"]["data"]["until"]
        assert until and state["mutes"]
        assert ack["error"]["message"] == (f"Du bist hier bis {until} stummgeschaltet: "
                                           "Du kannst lesen, aber nicht schreiben.")
        # The teacher's own token says English: the same refusal reads in English for them.
        ack = await teacher.call("chat:send", send(room, "y" * (limits.CHAT_TEXT_MAX_CHARS + 1)))
        assert ack["error"]["message"].startswith("Invalid request: text:"), ack


async def test_without_a_lang_claim_accept_language_decides(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    no_lang = server.token(project.pupil.id, "pupil", name=project.pupil.name, lang=None)
    too_long = "x" * (limits.CHAT_TEXT_MAX_CHARS + 1)
    async with Api(server, no_lang) as api:
        me = await api.get("/me")
        assert me.status_code == 200 and me.json()["lang"] is None
        for header, message in [("pl", "Nieprawidłowe żądanie: sprawdź „text”."),
                                ("de-CH,de;q=0.9,en;q=0.8", "Ungültige Anfrage: Prüfe „text“."),
                                ("pt-BR,pt;q=0.9,es;q=0.5", "Solicitud no válida: revisa «text»."),
                                ("pt-BR", None)]:
            r = await api.post(f"/spaces/{room}/messages", {"client_id": str(uuid.uuid4()), "text": too_long},
                               headers={"Accept-Language": header})
            assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid", r.text
            if message is None:
                assert r.json()["error"]["message"].startswith("Invalid request: text:"), r.text
            else:
                assert r.json()["error"]["message"] == message, (header, r.text)
    # A token's lang comes before Accept-Language.
    italian = server.token(project.pupil.id, "pupil", name=project.pupil.name, lang="it")
    async with Api(server, italian) as api:
        r = await api.post(f"/spaces/{room}/messages", {"client_id": str(uuid.uuid4()), "text": too_long},
                           headers={"Accept-Language": "pl"})
        assert r.json()["error"]["message"] == "Richiesta non valida: controlla «text».", r.text
    # Over Socket.IO: the handshake's auth.lang, else its Accept-Language, chosen once for the connection.
    async with realtime(server, no_lang, headers={"Accept-Language": "es-ES,es;q=0.9"}) as spanish, \
            realtime(server, no_lang, headers={"Accept-Language": "es"}, lang="fr-BE") as french:
        for rt, message in [(spanish, "Solicitud no válida: revisa «text»."),
                            (french, "Requête invalide : vérifiez « text ».")]:
            await ok(rt, "room:join", {"room_id": room})
            ack = await rt.call("chat:send", send(room, too_long))
            assert ack["error"]["message"] == message, ack
            ack = await rt.call("no:such_event", {})  # the catch-all answers in the same language
            assert ack["error"]["code"] == "request.invalid" and ack["error"]["message"] != "", ack
            assert not ack["error"]["message"].startswith("Invalid request"), ack


async def test_an_away_teachers_notice_is_in_the_language_of_their_last_connection(
        make_server: Callable[..., ServerProcess]) -> None:
    with mail_catcher() as catcher:
        server = make_server("--smtp-url", f"smtp://127.0.0.1:{catcher.port}").start()
        project = await make_project(server)
        room = project.spaces["general"]
        # No lang claim: the browser's Accept-Language at the connection decides, and is remembered.
        partner = server.token(project.partner.id, "teacher", email="jonas@schule.de", lang=None)
        async with realtime(server, partner, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}) as rt:
            sid = rt.sio.get_sid()
        await until(lambda: f"disconnected sid={sid}" in server.log())
        async with realtime(server, project.pupil.token) as pupil:
            message = await ok(pupil, "chat:send", send(room, "something to report"))
        async with Api(server, project.teacher.token) as api:  # someone else reports the pupil's message
            r = await api.post("/reports", {"kind": "message", "item_id": message["id"], "room_id": room,
                                            "reason": "bullying"})
            assert r.status_code == 201, r.text
        got = await catcher.wait_for("jonas@schule.de")
    assert got.subject == "Twinspace: eine neue Meldung in „Water in our towns“", got.subject
    assert got.text.startswith("Hallo,") and "Moderationsliste" in got.text
