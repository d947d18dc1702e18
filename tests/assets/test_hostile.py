"""Files that are wrong on purpose or by accident: each is refused with a clear error naming where,
and nothing is read that need not be."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hygie.assets.importers import read_file
from hygie.assets.models import Importer
from hygie.core.errors import ImportRejectedError

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<{root}><host><hostnames><hostname name="&lol9;"/></hostnames></host></{root}>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<{root}><host><address addr="10.0.0.1" addrtype="ipv4"/>
<hostnames><hostname name="&xxe;"/></hostnames></host></{root}>
"""

ROOTS = {Importer.NMAP: "nmaprun", Importer.CYCLONEDX: 'bom xmlns="http://cyclonedx.org/schema/bom/1.4"'}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("importer", list(ROOTS), ids=str)
def test_xml_bomb_is_refused(tmp_path: Path, importer: Importer) -> None:
    root = ROOTS[importer]
    text = BOMB.replace("<{root}>", f"<{root}>").replace("</{root}>", f"</{root.split()[0]}>")
    started = time.perf_counter()
    with pytest.raises(ImportRejectedError) as caught:
        read_file(_write(tmp_path, "bomb.xml", text), importer)
    assert time.perf_counter() - started < 2
    assert "XML bomb" in str(caught.value) and "bomb.xml" in str(caught.value)


@pytest.mark.parametrize("importer", list(ROOTS), ids=str)
def test_xxe_is_refused(tmp_path: Path, importer: Importer) -> None:
    root = ROOTS[importer]
    text = XXE.replace("<!DOCTYPE {root}", f"<!DOCTYPE {root.split()[0]}")
    text = text.replace("<{root}>", f"<{root}>").replace("</{root}>", f"</{root.split()[0]}>")
    with pytest.raises(ImportRejectedError) as caught:
        read_file(_write(tmp_path, "xxe.xml", text), importer)
    message = str(caught.value)
    assert "XXE" in message and "root:" not in message  # refused, and /etc/passwd never read


def test_guessed_format_does_not_bypass_the_xml_checks(tmp_path: Path) -> None:
    text = XXE.replace("{root}", "nmaprun")
    with pytest.raises(ImportRejectedError, match="XXE"):
        read_file(_write(tmp_path, "scan.xml", text))


def test_huge_file_is_refused_by_its_size_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:  # 2 GB, sparse: nothing written but the size
        handle.truncate(2 * 1024**3)

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", never)
    monkeypatch.setattr(Path, "read_bytes", never)
    with pytest.raises(ImportRejectedError) as caught:
        read_file(path)
    assert "over the limit" in str(caught.value) and "huge.xml" in str(caught.value)


def test_the_size_limit_can_be_lowered(tmp_path: Path) -> None:
    path = _write(tmp_path, "small.csv", "Nom\nPompe\n")
    assert read_file(path, max_bytes=100).records[0].name == "Pompe"
    with pytest.raises(ImportRejectedError, match="over the limit"):
        read_file(path, max_bytes=5)


def test_broken_xml_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "cut.xml", '<?xml version="1.0"?>\n<nmaprun>\n<host>\n<address addr="1')
    with pytest.raises(ImportRejectedError) as caught:
        read_file(path)
    (problem,) = caught.value.problems
    assert problem.location is not None and problem.location.line == 4
    assert "not well-formed" in problem.message


def test_broken_json_sbom(tmp_path: Path) -> None:
    path = _write(tmp_path, "sbom.json", '{"bomFormat": "CycloneDX",\n "components": [}')
    with pytest.raises(ImportRejectedError) as caught:
        read_file(path)
    assert "not valid JSON" in str(caught.value) and "line 2" in str(caught.value)


def test_json_that_is_not_an_sbom(tmp_path: Path) -> None:
    path = _write(tmp_path, "other.json", '{"hello": "world"}')
    with pytest.raises(ImportRejectedError, match="bomFormat"):
        read_file(path, Importer.CYCLONEDX)


def test_sbom_the_library_rejects(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "bad.json",
        '{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [{"type": "nonsense", "name": "x"}]}',
    )
    with pytest.raises(ImportRejectedError, match="not a valid CycloneDX SBOM"):
        read_file(path)


def test_nmap_host_with_a_bad_address_is_named(tmp_path: Path) -> None:
    text = (
        '<?xml version="1.0"?><nmaprun>'
        '<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/></host>'
        '<host><status state="up"/><address addr="10.0.0.300" addrtype="ipv4"/></host>'
        "</nmaprun>"
    )
    with pytest.raises(ImportRejectedError) as caught:
        read_file(_write(tmp_path, "scan.xml", text))
    (problem,) = caught.value.problems
    assert str(problem.location) == "scan.xml, host 2" and "not an IP address" in problem.message
