"""Every method of the document port is exercised by the contract suite."""

from __future__ import annotations

from pathlib import Path

from rooms.ports import DocumentStore


def test_every_port_method_is_in_the_contract_suite() -> None:
    here = Path(__file__).parent
    text = "".join(p.read_text() for p in here.glob("test_*_store.py"))
    methods = {name for port in DocumentStore.__mro__ if port.__module__ == "rooms.ports"
               for name in vars(port) if not name.startswith("_")}
    assert sorted(m for m in methods if f".{m}(" not in text) == []
