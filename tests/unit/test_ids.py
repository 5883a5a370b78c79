"""Ids: random, of the documented shape, never repeated, and a forked child's are its own."""

from __future__ import annotations

import os
import re

from rooms import ids


def test_ids_are_80_random_bits_and_do_not_repeat_across_pools() -> None:
    made = [ids.new_id("msg") for _ in range(3 * ids.RANDOM_POOL_BYTES // 10)]  # past several pools
    assert all(re.fullmatch(r"msg_[0-9a-f]{20}", i) for i in made)
    assert len(set(made)) == len(made)
    assert len(ids.random_hex(ids.RANDOM_POOL_BYTES + 5)) == 2 * (ids.RANDOM_POOL_BYTES + 5)


def test_a_forked_child_draws_bytes_of_its_own() -> None:
    ids.new_id("msg")  # the parent has a pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, ids.random_hex(16).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child != ids.random_hex(16)
