"""The source check every private-interface patch makes before it installs."""

from __future__ import annotations

import hashlib
import inspect

from server.realtime.sources import source_sha256


def _one() -> int:
    return 1


def _two() -> int:
    return 2


def test_the_hash_is_of_the_sources_read_one_after_the_other() -> None:
    both = inspect.getsource(_one) + inspect.getsource(_two)
    assert source_sha256(_one, _two) == hashlib.sha256(both.encode()).hexdigest()
    assert source_sha256(_one) != source_sha256(_two)


def test_code_without_a_source_to_read_matches_no_pinned_hash() -> None:
    assert source_sha256(len) == ""  # built in
    assert source_sha256(None) == ""  # the method is gone
    assert source_sha256(_one, len) == ""
