"""The per-user sliding-window rate limiter (no server)."""

from __future__ import annotations

import threading

from medsage.service._middleware import RateLimiter


def test_when_the_limit_is_reached_then_the_next_hit_waits_until_the_oldest_expires() -> None:
    limiter = RateLimiter(3)
    assert [limiter.check("user:1", now=t) for t in (100.0, 110.0, 120.0)] == [None] * 3
    assert limiter.check("user:1", now=130.0) == 30.0  # the hit at 100 s frees its slot at 160 s


def test_when_the_window_slides_past_a_hit_then_a_slot_opens_again() -> None:
    limiter = RateLimiter(2)
    assert limiter.check("k", now=0.0) is None
    assert limiter.check("k", now=1.0) is None
    assert limiter.check("k", now=59.5) == 0.5
    assert limiter.check("k", now=60.0) is None  # the hit at 0 s is exactly 60 s old
    assert limiter.check("k", now=60.5) == 0.5


def test_when_two_keys_hit_then_each_has_its_own_budget() -> None:
    limiter = RateLimiter(1)
    assert limiter.check("user:1", now=0.0) is None
    assert limiter.check("user:2", now=0.0) is None
    assert limiter.check("user:1", now=1.0) == 59.0


def test_when_refused_hits_are_made_then_they_do_not_use_up_slots() -> None:
    limiter = RateLimiter(1)
    assert limiter.check("k", now=0.0) is None
    for second in range(1, 50):
        assert limiter.check("k", now=float(second)) == 60.0 - second
    assert limiter.check("k", now=60.0) is None


def test_when_many_threads_hit_at_once_then_exactly_the_limit_is_allowed() -> None:
    limiter = RateLimiter(100)
    allowed: list[bool] = []
    lock = threading.Lock()

    def hit() -> None:
        for _ in range(50):
            result = limiter.check("shared", now=5.0) is None
            with lock:
                allowed.append(result)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(allowed), sum(allowed)) == (400, 100)
