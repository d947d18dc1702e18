"""The allocators of the processes that write or scan events: glibc's mmap threshold fixed for a scan,
jemalloc as Arrow's pool while events are written (the earlier pool back after)."""

from __future__ import annotations

import ctypes
import platform

import pyarrow as pa
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
    heap.fix_mmap_threshold.cache_clear()
    try:
        assert heap.fix_mmap_threshold() is True
        assert heap.fix_mmap_threshold() is True
    finally:
        heap.fix_mmap_threshold.cache_clear()
    assert calls == [(-3, 262144)]  # M_MMAP_THRESHOLD, 256 KiB, once


@pytest.mark.parametrize(("system", "libc"), [("Darwin", ""), ("Linux", "musl")])
def test_other_platforms_are_left_alone(system: str, libc: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.setattr(platform, "libc_ver", lambda: (libc, ""))
    monkeypatch.setattr(ctypes, "CDLL", lambda name: pytest.fail("the C library must not be called"))
    heap.fix_mmap_threshold.cache_clear()
    try:
        assert heap.fix_mmap_threshold() is False
    finally:
        heap.fix_mmap_threshold.cache_clear()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_the_real_call_succeeds() -> None:
    heap.fix_mmap_threshold.cache_clear()
    assert heap.fix_mmap_threshold() is True


def test_events_are_written_with_jemalloc_then_the_pool_is_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    earlier = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        with heap.writing_pool():
            assert pa.default_memory_pool().backend_name == "jemalloc"
            kept = pa.array(range(1000))  # allocated from jemalloc, still readable after
        assert pa.default_memory_pool().backend_name == "system"
        assert kept[999].as_py() == 999
        with pytest.raises(RuntimeError), heap.writing_pool():
            raise RuntimeError
        assert pa.default_memory_pool().backend_name == "system"
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")  # chosen by the user: left alone
        with heap.writing_pool():
            assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(earlier)
