"""The scan of a run's logs (tests/support/logscan.py) finds planted tokens, secrets and texts, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.logscan import Scanner, main, texts_of

TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwdXBpbF8xIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
SECRET = "k3ep-th1s-out-of-every-log-0123456789"
TEXT = "Meine Lieblingsfarbe ist blau, und deine?"
CLEAN = [
    '{"time": "2026-12-02T03:57:21.010Z", "level": "warning", "logger": "twinspace.requests", "message": '
    '"rejected event=chat:send user=pupil_1 code=request.invalid text: String should have at most 4000 '
    'characters", "event": "chat:send", "outcome": "request.invalid", "request_id": "4ed2b13342c69550"}',
    "2026-12-02 03:57:19,295 INFO uvicorn.error: Started server process [21866]",
    "2026-12-02 03:57:20,884 INFO uvicorn.access: 127.0.0.1:44088 - \"GET /api/v1/projects/p/search?… HTTP/1.1\" 200",
]


def run(tmp_path: Path, lines: list[str], secrets: tuple[str, ...] = (SECRET,),
        texts: tuple[str, ...] = (TEXT,)) -> list[str]:
    (tmp_path / "pytest-1.never").write_text("".join(
        json.dumps({"kind": kind, "value": v}) + "\n" for kind, values in (("secret", secrets), ("text", texts))
        for v in values))
    (tmp_path / "server.log").write_text("\n".join(lines) + "\n")
    return [hit.what for hit in Scanner.of_run(tmp_path).logs(tmp_path)]


def test_a_clean_log_has_no_hits(tmp_path: Path) -> None:
    assert run(tmp_path, CLEAN) == []
    assert main([str(tmp_path)]) == 0


def test_a_planted_token_is_found_whoever_signed_it(tmp_path: Path) -> None:
    assert run(tmp_path, [*CLEAN, f"INFO twinspace: connected with {TOKEN}"]) == ["token"]
    assert run(tmp_path, ["WARNING server.auth: header eyJhbGciOiJSUzI1NiJ9 of a truncated token"]) == ["token"]
    assert main([str(tmp_path)]) == 1


def test_a_planted_secret_is_found(tmp_path: Path) -> None:
    assert run(tmp_path, [*CLEAN, f"INFO twinspace: admin token {SECRET} accepted"]) == ["secret"]


def test_planted_text_is_found_whole_cut_short_or_escaped(tmp_path: Path) -> None:
    assert run(tmp_path, [*CLEAN, f"WARNING twinspace.events: refused {TEXT!s}"]) == ["text"]
    longer = TEXT + " Ich mag lieber Grün, wie die Wiesen im Mai."
    assert run(tmp_path, [f"WARNING twinspace.events: refused {longer[:45]}..."], texts=(longer,)) == ["text"]
    with_lines = "Liebe Klasse,\nheute regnet es \"sehr\" stark in Köln."
    as_json = json.dumps({"message": f"refused {with_lines}"}, ensure_ascii=False)
    assert run(tmp_path, [as_json], texts=(with_lines,)) == ["text"]


def test_short_texts_and_single_words_are_not_looked_for(tmp_path: Path) -> None:
    assert run(tmp_path, ["INFO twinspace: ok Bonjour", "INFO twinspace: request id 42",
                          "WARNING twinspace.requests: rejected event=report:create reason=personal_data"],
               texts=("ok", "Bonjour", "request", "personal_data")) == []


def test_a_text_the_server_says_itself_is_not_looked_for(tmp_path: Path) -> None:
    # A fuzzed client may send a string of the server's code (Hypothesis draws from its constants),
    # which the server then says itself: rooms/reports.py's "it was deleted".
    own = ["WARNING twinspace.requests: rejected route=POST /api/v1/reports code=report.not_reportable it was deleted"]
    assert run(tmp_path, own, texts=("it was deleted",)) == []
    assert run(tmp_path, [*own, f"refused {TEXT}"], texts=("it was deleted", TEXT)) == ["text"]


def test_no_log_at_all_is_a_failure(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 1


def test_the_texts_of_a_payload_are_its_text_fields_at_any_depth() -> None:
    payload = {"room_id": "room_1", "text": "hello there everyone",
               "poll": {"question": "Which river?", "options": ["Rhine", "Vistula"]}, "client_id": "c1"}
    assert sorted(texts_of(payload)) == ["Rhine", "Vistula", "Which river?", "hello there everyone"]


def test_a_socketio_sid_that_holds_eyj_is_not_a_token(tmp_path: Path) -> None:
    assert run(tmp_path, ["INFO twinspace.events: disconnected sid=uPkqvZ-eyJ8TK5wkAAHZ reason=transport close"]) == []
