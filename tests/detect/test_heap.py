"""glibc's mmap threshold is fixed for the processes that scan events, and left alone elsewhere."""

from __future__ import annotations

import ctypes
import platform

import pytest

from hygie.detect import heap


def test_the_threshold_is_set_once_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []

    class Libc:
        @staticmethod
        def mallopt(parameter: int, value: int) -> int:
            calls.append((parameter, value))
            return 1

    monkeypatch.setattr(platform, "system", lambda: "Linux")
    monkeypatch.setattr(platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    heap.keep_heap_flat.cache_clear()
    try:
        assert heap.keep_heap_flat() is True
        assert heap.keep_heap_flat() is True
    finally:
        heap.keep_heap_flat.cache_clear()
    assert calls == [(-3, 131072)]  # M_MMAP_THRESHOLD, 128 KiB, once


@pytest.mark.parametrize(("system", "libc"), [("Darwin", ""), ("Linux", "musl")])
def test_other_platforms_are_left_alone(system: str, libc: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.setattr(platform, "libc_ver", lambda: (libc, ""))
    monkeypatch.setattr(ctypes, "CDLL", lambda name: pytest.fail("the C library must not be called"))
    heap.keep_heap_flat.cache_clear()
    try:
        assert heap.keep_heap_flat() is False
    finally:
        heap.keep_heap_flat.cache_clear()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_the_real_call_succeeds() -> None:
    heap.keep_heap_flat.cache_clear()
    assert heap.keep_heap_flat() is True
