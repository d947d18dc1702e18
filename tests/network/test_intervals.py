from hypothesis import given
from hypothesis import strategies as st

from hygie.network.intervals import IntervalSet, format_addresses, format_ports, parse_network, parse_ports
from hygie.network.services import ServiceSet, default_catalogue, parse_service

spans = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 8)).map(lambda t: (t[0], t[0] + t[1])), max_size=5
)


def members(s: IntervalSet) -> set[int]:
    return {v for a, b in s for v in range(a, b + 1)}


@given(spans, spans)
def test_set_operations_agree_with_python_sets(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> None:
    x, y = IntervalSet(a), IntervalSet(b)
    assert members(x | y) == members(x) | members(y)
    assert members(x & y) == members(x) & members(y)
    assert members(x - y) == members(x) - members(y)
    # normalised: sorted, disjoint, not adjacent
    for s in (x | y, x & y, x - y):
        assert all(s.spans[i][1] + 1 < s.spans[i + 1][0] for i in range(len(s.spans) - 1))


def test_parse_network_and_ports() -> None:
    assert parse_network("10.0.0.0/30").spans == ((167772160, 167772163),)
    assert parse_network("10.0.0.1-10.0.0.2").size() == 2
    assert parse_network("any").size() == 1 << 32
    assert parse_ports("22, 80-89,8080:8081") == IntervalSet([(22, 22), (80, 89), (8080, 8081)])
    assert format_ports(parse_ports("22,80-89")) == "22, 80-89"
    assert format_addresses(parse_network("10.0.0.0-10.0.0.4")) == "10.0.0.0/30, 10.0.0.4"


def test_service_sets_and_catalogue() -> None:
    rdp = ServiceSet.of([parse_service("tcp/3389")])
    web = ServiceSet.of([parse_service("tcp/80,443"), parse_service("icmp")])
    both = rdp | web
    assert both.contains(6, 3389) and both.contains(6, 443) and both.contains(1, 0)
    assert not both.contains(17, 3389)
    assert (both - rdp) == web
    everything = ServiceSet(others=True)
    assert (everything - rdp).contains(17, 3389) and not (everything - rdp).contains(6, 3389)
    assert (everything - rdp).describe() == "any except tcp/3389"
    assert rdp.describe() == "tcp/3389 (RDP)"
    catalogue = default_catalogue()
    assert catalogue.by_name("dicom") is not None
    assert {s.name for s in catalogue.tagged("remote_admin")} >= {"RDP", "SSH", "TELNET", "VNC"}
