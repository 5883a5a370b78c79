"""Reading clients' text frames from the bytes is turned on only over the code it was written for."""

from __future__ import annotations

from typing import Any

import pytest

from server.realtime import wsframes


def test_the_dependencies_as_installed_are_recognised() -> None:
    wsframes._recognised = None
    assert wsframes.recognised()


def test_other_code_turns_it_off_with_a_warning(monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    name, (function, _) = next(iter(wsframes.RECOGNISED.items()))
    monkeypatch.setitem(wsframes.RECOGNISED, name, (function, "0" * 64))
    monkeypatch.setattr(wsframes, "_recognised", None)
    with caplog.at_level("WARNING", logger=wsframes.__name__):
        assert not wsframes.recognised()

    class Protocol:  # never touched: nothing is installed
        transport = None

    assert not wsframes.install(Protocol())  # type: ignore[arg-type]
    assert "is not the one server/realtime/wsframes.py was written for" in caplog.text
