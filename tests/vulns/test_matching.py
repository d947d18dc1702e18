"""One test per matching rule: NVD configurations (AND, bounds, negate, wildcards, NA), aliases,
versions that cannot be compared, purls, CSAF medical products and end of life."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hygie.vulns.matching.advisories import AdvisoryIndex, AdvisoryProduct, version_verdict
from hygie.vulns.matching.engine import AssetProfile, SoftwareItem, components_of
from hygie.vulns.matching.eol import EolIndex, Release
from hygie.vulns.matching.names import Aliases, Cpe, default_aliases, slug
from hygie.vulns.matching.nvd import (
    AssetPlatform,
    Catalogue,
    Component,
    Configuration,
    CpeMatch,
    Node,
    Verdict,
    build_configurations,
    evaluate,
)
from hygie.vulns.matching.versions import compare

ALIASES = default_aliases()


def cm(criteria: str, vulnerable: bool = True, **bounds: str) -> CpeMatch:
    cpe = Cpe.parse(criteria)
    assert cpe is not None
    return CpeMatch(vulnerable, criteria, cpe, **bounds)


def config(*nodes: Node, operator: str = "OR", negate: bool = False) -> Configuration:
    return Configuration("CVE-2099-0001", 0, operator, negate, nodes)


def node(*matches: CpeMatch, operator: str = "OR", negate: bool = False) -> Node:
    return Node(operator, negate, matches)


def verdict(cfg: Configuration, *cpes: str, aliases: Aliases = ALIASES) -> Verdict:
    components = []
    for text in cpes:
        cpe = Cpe.parse(text)
        assert cpe is not None
        components.append(Component(cpe, "test"))
    return evaluate(cfg, AssetPlatform(components, aliases), aliases).verdict


FIRMWARE = "cpe:2.3:o:baxter:spectrum_wbm_firmware:*:*:*:*:*:*:*:*"
HARDWARE = "cpe:2.3:h:baxter:spectrum_wbm:-:*:*:*:*:*:*:*"
PUMP_ON_DEVICE = config(
    node(cm(FIRMWARE, end_including="8.1")),
    node(cm(HARDWARE, vulnerable=False)),
    operator="AND",
)


def test_and_configuration_needs_the_device_not_only_the_firmware() -> None:
    firmware = "cpe:2.3:o:baxter:spectrum_wbm_firmware:8.0:*:*:*:*:*:*:*"
    assert verdict(PUMP_ON_DEVICE, firmware, HARDWARE) is Verdict.MATCH
    # The same firmware on another device: not this CVE.
    other_device = "cpe:2.3:h:baxter:sigma_spectrum:-:*:*:*:*:*:*:*"
    assert verdict(PUMP_ON_DEVICE, firmware, other_device) is Verdict.NO
    # The firmware alone, the device not known at all: a human must confirm, never a silent match.
    assert verdict(PUMP_ON_DEVICE, firmware) is Verdict.REVIEW
    # The device alone (context entry) never makes it vulnerable.
    assert verdict(PUMP_ON_DEVICE, HARDWARE) is Verdict.NO


@pytest.mark.parametrize(
    ("bounds", "version", "expected"),
    [
        ({"start_including": "2.0", "end_excluding": "4.4.1"}, "2.0", Verdict.MATCH),
        ({"start_including": "2.0", "end_excluding": "4.4.1"}, "4.4.0", Verdict.MATCH),
        ({"start_including": "2.0", "end_excluding": "4.4.1"}, "4.4.1", Verdict.NO),
        ({"start_including": "2.0", "end_excluding": "4.4.1"}, "1.9.9", Verdict.NO),
        ({"start_excluding": "2.0", "end_including": "4.4.1"}, "2.0", Verdict.NO),
        ({"start_excluding": "2.0", "end_including": "4.4.1"}, "2.0.1", Verdict.MATCH),
        ({"start_excluding": "2.0", "end_including": "4.4.1"}, "4.4.1", Verdict.MATCH),
        ({"start_excluding": "2.0", "end_including": "4.4.1"}, "4.4.2", Verdict.NO),
        # Not string order: 4.10 is above 4.4.1, 4.4.0 equals 4.4.
        ({"end_excluding": "4.4.1"}, "4.10", Verdict.NO),
        ({"end_including": "4.4"}, "4.4.0", Verdict.MATCH),
    ],
)
def test_range_bounds_at_the_edges(bounds: dict[str, str], version: str, expected: Verdict) -> None:
    cfg = config(node(cm("cpe:2.3:a:nextgen:mirth_connect:*:*:*:*:*:*:*:*", **bounds)))
    assert verdict(cfg, f"cpe:2.3:a:nextgen:mirth_connect:{version}:*:*:*:*:*:*:*") is expected


def test_exact_version_and_na() -> None:
    cfg = config(node(cm("cpe:2.3:a:openbsd:openssh:7.4:p1:*:*:*:*:*:*")))
    assert verdict(cfg, "cpe:2.3:a:openbsd:openssh:7.4:p1:*:*:*:*:*:*") is Verdict.MATCH
    assert verdict(cfg, "cpe:2.3:a:openbsd:openssh:7.5:p1:*:*:*:*:*:*") is Verdict.NO
    assert verdict(cfg, "cpe:2.3:a:openbsd:openssh:7.4:p2:*:*:*:*:*:*") is Verdict.NO
    # Nmap gives no update: whether it is p1 is not known.
    assert verdict(cfg, "cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*") is Verdict.REVIEW


def test_wildcard_attributes_match_any_value() -> None:
    cfg = config(node(cm("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*")))
    assert verdict(cfg, "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:x64:*") is Verdict.MATCH
    assert verdict(cfg, "cpe:2.3:o:microsoft:windows_7:-:sp1:enterprise:fr:*:*:*:*") is Verdict.MATCH
    assert verdict(cfg, "cpe:2.3:o:microsoft:windows_7:-:-:*:*:*:*:*:*") is Verdict.NO
    any_version = config(node(cm("cpe:2.3:a:apache:tomcat:*:*:*:*:*:*:*:*")))
    assert verdict(any_version, "cpe:2.3:a:apache:tomcat:9.0.1:*:*:*:*:*:*:*") is Verdict.MATCH
    assert verdict(any_version, "cpe:2.3:a:apache:tomee:9.0.1:*:*:*:*:*:*:*") is Verdict.NO


def test_negate_inverts_a_node() -> None:
    # "Tomcat, but not when running on Windows" (negate is not used by NVD today; supported anyway).
    cfg = config(
        node(cm("cpe:2.3:a:apache:tomcat:*:*:*:*:*:*:*:*")),
        node(cm("cpe:2.3:o:microsoft:windows:*:*:*:*:*:*:*:*", vulnerable=False), negate=True),
        operator="AND",
    )
    tomcat = "cpe:2.3:a:apache:tomcat:9.0:*:*:*:*:*:*:*"
    assert verdict(cfg, tomcat, "cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:*:*:*:*") is Verdict.MATCH
    assert verdict(cfg, tomcat, "cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*") is Verdict.NO
    negated = config(node(cm("cpe:2.3:a:apache:tomcat:*:*:*:*:*:*:*:*")), negate=True)
    assert verdict(negated, tomcat) is Verdict.NO


def test_aliases_join_vendor_and_product_names() -> None:
    mysql = config(node(cm("cpe:2.3:a:oracle:mysql:*:*:*:*:*:*:*:*", end_excluding="5.7.33")))
    assert verdict(mysql, "cpe:2.3:a:mysql:mysql:5.7.32:*:*:*:*:*:*:*") is Verdict.MATCH  # Nmap's name
    assert verdict(mysql, "cpe:2.3:a:mysql:mysql:5.7.32:*:*:*:*:*:*:*", aliases=Aliases({})) is Verdict.NO
    assert ALIASES.canonical_vendor("GE Healthcare") == "gehealthcare"
    assert ALIASES.canonical_vendor("General Electric (GE)") == "gehealthcare"
    assert ALIASES.canonical_vendor("Phillips") == "philips"
    assert slug("Dräger  Medical") == "drager_medical"
    profile = AssetProfile(1, maker="GE Healthcare", model="ApexPro Telemetry Server", firmware="4.0")
    components = components_of(profile, {}, ALIASES)
    assert {c.cpe.formatted() for c in components} == {
        "cpe:2.3:h:gehealthcare:apexpro_telemetry_server:-:*:*:*:*:*:*:*",
        "cpe:2.3:o:gehealthcare:apexpro_telemetry_server_firmware:4.0:*:*:*:*:*:*:*",
    }


def test_uncomparable_version_needs_review_never_a_guess() -> None:
    cfg = config(node(cm(FIRMWARE, start_including="20d29", end_including="20d32")))
    assert verdict(cfg, "cpe:2.3:o:baxter:spectrum_wbm_firmware:20d30:*:*:*:*:*:*:*") is Verdict.REVIEW
    assert verdict(cfg, "cpe:2.3:o:baxter:spectrum_wbm_firmware:4.x:*:*:*:*:*:*:*") is Verdict.REVIEW
    # Unknown version against a range: review too.
    assert verdict(cfg, "cpe:2.3:o:baxter:spectrum_wbm_firmware:*:*:*:*:*:*:*:*") is Verdict.REVIEW
    # An exact catalogue version is decided by equality, whatever its form.
    exact = config(node(cm("cpe:2.3:o:baxter:spectrum_wbm_firmware:16d38:*:*:*:*:*:*:*")))
    assert verdict(exact, "cpe:2.3:o:baxter:spectrum_wbm_firmware:16d38:*:*:*:*:*:*:*") is Verdict.MATCH
    assert verdict(exact, "cpe:2.3:o:baxter:spectrum_wbm_firmware:17d19:*:*:*:*:*:*:*") is Verdict.NO


def test_openssl_letters_use_the_openssl_scheme() -> None:
    cfg = config(
        node(cm("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", start_including="1.0.1", end_excluding="1.0.1g"))
    )
    assert verdict(cfg, "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*") is Verdict.MATCH
    assert verdict(cfg, "cpe:2.3:a:openssl:openssl:1.0.1g:*:*:*:*:*:*:*") is Verdict.NO


@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=4), st.lists(st.integers(0, 30), min_size=1, max_size=4)
)
def test_numeric_versions_compare_like_integer_tuples(a: list[int], b: list[int]) -> None:
    def padded(v: list[int]) -> tuple[int, ...]:
        return tuple(v) + (0,) * (4 - len(v))

    expected = (padded(a) > padded(b)) - (padded(a) < padded(b))
    assert compare(".".join(map(str, a)), ".".join(map(str, b))) == expected


def test_purl_matches_through_the_cpe_it_names() -> None:
    purl_map = {"pkg:maven/org.apache.logging.log4j/log4j-core": "cpe:2.3:a:apache:log4j"}
    cfg = config(
        node(cm("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", start_including="2.0", end_excluding="2.15.0"))
    )
    profile = AssetProfile(
        1, software=[SoftwareItem("software:1", purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")]
    )
    platform = AssetPlatform(components_of(profile, purl_map, ALIASES), ALIASES)
    assert evaluate(cfg, platform, ALIASES).verdict is Verdict.MATCH
    fixed = AssetProfile(
        2, software=[SoftwareItem("software:2", purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0")]
    )
    assert evaluate(
        cfg, AssetPlatform(components_of(fixed, purl_map, ALIASES), ALIASES), ALIASES
    ).verdict is (Verdict.NO)
    # A Debian package: upstream version compared, but the fix may be backported: review.
    deb = AssetProfile(
        3, software=[SoftwareItem("software:3", purl="pkg:deb/debian/openssl@1.0.1e-2+deb7u4")]
    )
    openssl = config(node(cm("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", end_excluding="1.0.1g")))
    deb_map = {"pkg:deb/debian/openssl": "cpe:2.3:a:openssl:openssl"}
    deb_platform = AssetPlatform(components_of(deb, deb_map, ALIASES), ALIASES)
    assert evaluate(openssl, deb_platform, ALIASES).verdict is Verdict.REVIEW


def test_catalogue_index_only_offers_configurations_of_the_assets_products() -> None:
    rows = [
        ("CVE-1", 0, "OR", False, 0, "OR", False, True, "cpe:2.3:a:nextgen:mirth_connect:*:*:*:*:*:*:*:*",
         None, None, None, "4.4.1"),
        ("CVE-2", 0, "AND", False, 0, "OR", False, True, FIRMWARE, None, None, "8.1", None),
        ("CVE-2", 0, "AND", False, 1, "OR", False, False, HARDWARE, None, None, None, None),
    ]  # fmt: skip
    configurations = build_configurations(rows)
    assert [(c.cve_id, c.operator, len(c.nodes)) for c in configurations] == [
        ("CVE-1", "OR", 1),
        ("CVE-2", "AND", 2),
    ]
    catalogue = Catalogue(configurations, ALIASES)
    hardware_only = AssetPlatform([Component(Cpe("h", "baxter", "spectrum_wbm", "-"), "t")], ALIASES)
    assert catalogue.candidates(hardware_only) == []  # a context entry is not a key
    mirth = AssetPlatform([Component(Cpe("a", "nextgen", "mirth_connect", "4.0"), "t")], ALIASES)
    assert [c.cve_id for c in catalogue.candidates(mirth)] == ["CVE-1"]


def product(
    name: str, version: str | None, vendor: str = "Philips", is_range: bool = False
) -> AdvisoryProduct:
    return AdvisoryProduct(
        "ICSMA-21-322-01", "CSAFPID-0001", vendor, name, version, is_range, ("CVE-2021-1",)
    )


def test_csaf_medical_products_by_maker_model_and_firmware() -> None:
    index = AdvisoryIndex(
        [
            product("IntelliBridge EC 40 Hub", "<= C.00.04", is_range=True),
            product("Kappa", "vers:all/*", vendor="Dräger"),
            product("Efficia CM Series", "B.02 | C.02 | 4.0"),
        ],
        ALIASES,
    )
    # Vendor spelled "Phillips" in the inventory, all versions affected.
    hits = index.match("Drager", "Kappa", None)
    assert [(h.product.product_name, h.verdict) for h in hits] == [("Kappa", Verdict.MATCH)]
    assert index.match("Phillips", "Efficia CM Series", "C.02")[0].verdict is Verdict.MATCH
    assert index.match("Philips", "Efficia CM Series", "4.0.0")[0].verdict is Verdict.MATCH
    assert index.match("Philips", "Efficia CM Series", "5.0") == []
    # "<= C.00.04" cannot be compared with a numeric scheme: review, not a guess.
    assert index.match("Philips", "IntelliBridge EC 40 Hub", "C.00.03")[0].verdict is Verdict.REVIEW
    # A model that is only part of the product name: review.
    assert index.match("Philips", "Efficia", "C.02")[0].verdict is Verdict.REVIEW
    assert index.match("Baxter", "Kappa", None) == []  # another maker
    assert version_verdict("vers:generic/>=1.0|<4.4.1", True, "4.4.0")[0] is Verdict.MATCH
    assert version_verdict("vers:generic/>=1.0|<4.4.1", True, "4.4.1")[0] is Verdict.NO


def test_end_of_life_by_product_and_cycle() -> None:
    releases = [
        Release("ubuntu", "22.04", "22.04 LTS", date(2027, 4, 1), "22.04.5"),
        Release("ubuntu", "18.04", "18.04 LTS", date(2023, 5, 31), "18.04.6"),
        Release("ubuntu", "18", None, False, None),  # a shorter cycle must not win over 18.04
        Release("windows", "7-sp1", "7 SP1", date(2020, 1, 14), "6.1.7601"),
        Release("rhel", "8", "8", True, None),
    ]
    identifiers = [
        ("ubuntu", "cpe:2.3:o:canonical:ubuntu_linux"),
        ("rhel", "cpe:2.3:o:redhat:enterprise_linux"),
    ]
    index = EolIndex(identifiers, releases, ALIASES)
    today = date(2026, 11, 29)

    def check(*cpes: str, eos: date | None = None) -> list[tuple[str, str, bool]]:
        comps = [Component(c, "t") for text in cpes if (c := Cpe.parse(text)) is not None]
        return [(h.product, h.cycle, h.soon) for h in index.check(comps, eos, today)]

    assert check("cpe:2.3:o:canonical:ubuntu_linux:18.04.6:*:*:*:*:*:*:*") == [("ubuntu", "18.04", False)]
    assert check("cpe:2.3:o:canonical:ubuntu_linux:22.04.3:*:*:*:*:*:*:*") == [("ubuntu", "22.04", True)]
    assert check("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*") == [("windows", "7-sp1", False)]
    assert check("cpe:2.3:o:redhat:enterprise_linux:8.6:*:*:*:*:*:*:*") == [("rhel", "8", False)]
    assert check("cpe:2.3:o:canonical:ubuntu_linux:24.04:*:*:*:*:*:*:*") == []  # unknown cycle
    assert check(eos=date(2026, 1, 1)) == [("maker", "", False)]
    assert check(eos=date(2030, 1, 1)) == []


@given(
    st.lists(st.integers(0, 300), min_size=1, max_size=5),
    st.lists(st.integers(0, 300), min_size=1, max_size=5),
)
def test_numeric_order_agrees_with_univers(a: list[int], b: list[int]) -> None:
    from univers.versions import PypiVersion

    left, right = ".".join(map(str, a)), ".".join(map(str, b))
    ours = compare(left, right)
    theirs = (PypiVersion(left) > PypiVersion(right)) - (PypiVersion(left) < PypiVersion(right))
    assert ours == theirs
