"""Sets of integers kept as sorted, disjoint, non-adjacent closed intervals.

They hold addresses (IPv4 as 32-bit integers), protocol numbers and ports: every operation is exact,
so reachability computed with them is exact too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator

MAX_IPV4 = (1 << 32) - 1
MAX_PORT = 65535


class IntervalSet:
    """An immutable set of integers: ``IntervalSet([(1, 3), (7, 7)])`` is {1, 2, 3, 7}."""

    __slots__ = ("spans",)

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self.spans: tuple[tuple[int, int], ...] = _normalise(spans)

    @classmethod
    def of(cls, first: int, last: int | None = None) -> IntervalSet:
        return cls([(first, first if last is None else last)])

    @classmethod
    def _raw(cls, spans: list[tuple[int, int]]) -> IntervalSet:
        made = cls.__new__(cls)
        made.spans = tuple(spans)
        return made

    def __bool__(self) -> bool:
        return bool(self.spans)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IntervalSet) and self.spans == other.spans

    def __hash__(self) -> int:
        return hash(self.spans)

    def __repr__(self) -> str:
        return f"IntervalSet({list(self.spans)!r})"

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.spans)

    def __contains__(self, value: int) -> bool:
        return any(first <= value <= last for first, last in self.spans)

    def size(self) -> int:
        return sum(last - first + 1 for first, last in self.spans)

    def __or__(self, other: IntervalSet) -> IntervalSet:
        if not other.spans:
            return self
        if not self.spans:
            return other
        out: list[tuple[int, int]] = []
        a, b = self.spans, other.spans
        i = j = 0
        while i < len(a) or j < len(b):
            if j >= len(b) or (i < len(a) and a[i][0] <= b[j][0]):
                first, last = a[i]
                i += 1
            else:
                first, last = b[j]
                j += 1
            if out and first <= out[-1][1] + 1:
                if last > out[-1][1]:
                    out[-1] = (out[-1][0], last)
            else:
                out.append((first, last))
        return IntervalSet._raw(out)

    def __and__(self, other: IntervalSet) -> IntervalSet:
        a, b = self.spans, other.spans
        if not a or not b:
            return EMPTY
        if len(a) == 1 and a[0][0] <= b[0][0] and a[0][1] >= b[-1][1]:
            return other
        if len(b) == 1 and b[0][0] <= a[0][0] and b[0][1] >= a[-1][1]:
            return self
        out: list[tuple[int, int]] = []
        i = j = 0
        n, m = len(a), len(b)
        while i < n and j < m:
            a0, a1 = a[i]
            b0, b1 = b[j]
            first = a0 if a0 > b0 else b0
            if a1 < b1:
                if first <= a1:
                    out.append((first, a1))
                i += 1
            else:
                if first <= b1:
                    out.append((first, b1))
                j += 1
        return IntervalSet._raw(out)

    def __sub__(self, other: IntervalSet) -> IntervalSet:
        if not self.spans or not other.spans:
            return self
        out: list[tuple[int, int]] = []
        b = other.spans
        j = 0
        for first, last in self.spans:
            start = first
            while j < len(b) and b[j][1] < start:
                j += 1
            k = j
            while k < len(b) and b[k][0] <= last:
                if b[k][0] > start:
                    out.append((start, b[k][0] - 1))
                start = max(start, b[k][1] + 1)
                if start > last:
                    break
                k += 1
            if start <= last:
                out.append((start, last))
        return IntervalSet._raw(out)

    def issubset(self, other: IntervalSet) -> bool:
        return not (self - other)

    def complement(self, maximum: int) -> IntervalSet:
        return IntervalSet.of(0, maximum) - self


EMPTY = IntervalSet._raw([])


def _normalise(spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    ordered = sorted((int(a), int(b)) for a, b in spans)
    out: list[tuple[int, int]] = []
    for first, last in ordered:
        if first > last:
            raise ValueError(f"empty interval {first}-{last}")
        if out and first <= out[-1][1] + 1:
            if last > out[-1][1]:
                out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return tuple(out)


ALL_ADDRESSES = IntervalSet.of(0, MAX_IPV4)
ALL_PORTS = IntervalSet.of(0, MAX_PORT)


def parse_network(text: str) -> IntervalSet:
    """``10.1.0.0/16``, ``10.1.2.3``, ``10.1.2.3-10.1.2.9`` or ``any`` → the addresses (IPv4 only:
    ValueError otherwise)."""
    value = text.strip()
    if value.lower() in ("any", "*", "0/0"):
        return ALL_ADDRESSES
    if "-" in value and "/" not in value:
        low, _, high = value.partition("-")
        first, last = ipaddress.IPv4Address(low.strip()), ipaddress.IPv4Address(high.strip())
        if int(first) > int(last):
            raise ValueError(f"{text!r}: the range ends before it starts")
        return IntervalSet.of(int(first), int(last))
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 address, network (CIDR) or range") from None
    if network.version != 4:
        raise ValueError(f"{text!r}: IPv6 is not analysed yet")
    return IntervalSet.of(int(network.network_address), int(network.broadcast_address))


def format_addresses(addresses: IntervalSet, limit: int = 6) -> str:
    """Addresses as CIDRs (``10.1.0.0/16, 10.2.0.5``), the rest counted after ``limit`` of them."""
    if addresses == ALL_ADDRESSES:
        return "any"
    parts: list[str] = []
    for first, last in addresses:
        for net in ipaddress.summarize_address_range(
            ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)
        ):
            parts.append(str(net.network_address) if net.prefixlen == 32 else str(net))
    shown = ", ".join(parts[:limit])
    return shown if len(parts) <= limit else f"{shown} (+{len(parts) - limit})"


def format_ports(ports: IntervalSet) -> str:
    """``22, 80-89, 443``; ``any`` for every port."""
    if ports == ALL_PORTS:
        return "any"
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ports)


def parse_ports(text: str) -> IntervalSet:
    """``80``, ``80-89``, ``80:89``, ``22,80,443`` or ``any`` → the ports (ValueError otherwise)."""
    value = text.strip().lower()
    if value in ("any", "*", ""):
        return ALL_PORTS
    spans: list[tuple[int, int]] = []
    for part in value.replace(" ", "").split(","):
        low, sep, high = part.replace(":", "-").partition("-")
        if not low.isdigit() or (sep and not high.isdigit()):
            raise ValueError(f"{text!r} is not a port, a range of ports or a list of them")
        first, last = int(low), int(high) if sep else int(low)
        if last > MAX_PORT or first > last:
            raise ValueError(f"{text!r}: ports go from 0 to 65535, the first before the last")
        spans.append((first, last))
    return IntervalSet(spans)
