"""Settings: flags over variables over defaults, and one line per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import OPTIONS, SettingsError, load


def flags(**given: str) -> dict[str, str | None]:
    return {o.name: given.get(o.name) for o in OPTIONS}


def test_defaults_make_the_embedded_server(tmp_path: Path) -> None:
    settings = load(flags(data_dir=str(tmp_path)), {})
    assert settings.documents_url == f"sqlite://{tmp_path / 'twinspace.db'}"
    assert settings.objects_url == f"file://{tmp_path / 'files'}"
    assert settings.fanout_url == "memory://"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.ws_compression is False and settings.allowed_origins is None


def test_flags_win_over_variables() -> None:
    settings = load(flags(port="9001"), {"TWINSPACE_PORT": "9002", "TWINSPACE_WS_COMPRESSION": "on",
                                         "TWINSPACE_ALLOWED_ORIGINS": "https://a.example, https://b.example/"})
    assert settings.port == 9001 and settings.ws_compression is True
    assert settings.allowed_origins == ("https://a.example", "https://b.example")


def test_settings_are_frozen() -> None:
    settings = load(flags(), {})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_every_bad_value_is_reported_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load(flags(port="http", host=" "), {
            "TWINSPACE_FANOUT_URL": "kafka://x", "TWINSPACE_JWT_SECRET": "short",
            "TWINSPACE_ALLOWED_ORIGINS": "portal.example.org", "TWINSPACE_CHAT_RATE_MESSAGES": "0",
            "TWINSPACE_OBJECTS_URL": "s3://key:topsecret@host:9000", "TWINSPACE_JWT_PUBLIC_KEY_FILE": "/nope.pem",
        })
    problems = caught.value.problems
    assert len(problems) == 8, problems
    text = "\n".join(problems)
    assert "--port='http': must be a whole number" in text
    assert "TWINSPACE_JWT_SECRET=(hidden)" in text and "short" not in text
    assert "topsecret" not in text and "***" in text
    assert "no such file: /nope.pem" in text
    assert "must be between 1 and" in text


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://cache.example:6380/1", "memory://"])
def test_fanout_urls(url: str) -> None:
    assert load(flags(fanout_url=url), {}).fanout_url == url


@pytest.mark.parametrize("url", ["redis+cluster://10.0.0.1:7000,10.0.0.2:7000", "rediss+cluster://u:pw@c.example:6380/0"])
def test_a_redis_cluster_url_takes_sharded_pubsub(url: str) -> None:
    settings = load(flags(fanout_url=url), {})
    assert settings.fanout_url == url and settings.fanout_pubsub == "sharded"
    assert load(flags(fanout_url=url, fanout_pubsub="sharded"), {}).fanout_pubsub == "sharded"
    assert load(flags(fanout_url="redis://127.0.0.1:6379/0"), {}).fanout_pubsub == "rooms"
    with pytest.raises(SettingsError) as caught:
        load(flags(fanout_url=url, fanout_pubsub="rooms"), {})
    assert "sharded pub/sub only" in caught.value.problems[0]


@pytest.mark.parametrize("url", ["redis+cluster://", "redis+cluster://h:7000/1", "redis+cluster://h:x",
                                 "redis+cluster://h:7000?ssl=1"])
def test_a_bad_redis_cluster_url_is_refused(url: str) -> None:
    with pytest.raises(SettingsError):
        load(flags(fanout_url=url), {})


def test_a_redis_cluster_url_gives_its_seeds_and_login() -> None:
    from storage.ephemeral.redis import parse_cluster_url

    address = parse_cluster_url("rediss+cluster://app:p%40ss@10.0.0.1:7000,[::1]:7001")
    assert address.seeds == (("10.0.0.1", 7000), ("::1", 7001))
    assert address.options == {"ssl": True, "username": "app", "password": "p@ss"}
    assert parse_cluster_url("redis+cluster://h:1").options == {"ssl": False}
