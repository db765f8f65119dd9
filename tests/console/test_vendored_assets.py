"""The console's vendored browser assets: present, unmodified, and free of CDN loads.

The console must work with no internet access, so every script and data file it serves
is copied into ``openline/console/static/vendor`` from npm. ``PROVENANCE.md`` there
records, per file, the package, version, path in the package, the tarball's integrity
and the SHA-256 of the copy; these tests hold the folder to that record.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import openline

STATIC = Path(openline.__file__).parent / "console" / "static"
VENDOR = STATIC / "vendor"
MAP_JS = STATIC / "map.js"
PROVENANCE = VENDOR / "PROVENANCE.md"

# Hosts that serve third-party scripts, styles or fonts. Licence headers may carry a
# project's home page URL; only these hosts mean "loads something from the internet".
CDN_HOSTS = re.compile(
    r"(?:cdn\.jsdelivr\.net|jsdelivr\.com|unpkg\.com|cdnjs\.cloudflare\.com|"
    r"ajax\.googleapis\.com|fonts\.googleapis\.com|fonts\.gstatic\.com|code\.jquery\.com|"
    r"cdn\.skypack\.dev|esm\.sh|esm\.run|ga\.jspm\.io|jspm\.dev|stackpath\.bootstrapcdn\.com|"
    r"maxcdn\.bootstrapcdn\.com|cdn\.tailwindcss\.com|d3js\.org/d3[.@])",
    re.IGNORECASE,
)

EXPECTED_FILES = {
    "htmx.min.js",
    "idiomorph-ext.min.js",
    "d3-array.min.js",
    "d3-geo.min.js",
    "topojson-client.min.js",
    "countries-110m.json",
}


@dataclass(frozen=True)
class Entry:
    file: str
    package: str
    version: str
    path: str
    integrity: str
    sha256: str
    license: str


def _cell(text: str) -> str:
    return text.strip().strip("`").strip()


def read_provenance() -> list[Entry]:
    """The table rows of PROVENANCE.md whose first cell is a backquoted file name."""
    entries = []
    for line in PROVENANCE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [_cell(cell) for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 7, f"malformed provenance row: {line!r}"
        entries.append(Entry(*cells))
    return entries


ENTRIES = read_provenance() if PROVENANCE.is_file() else []


def test_provenance_exists_and_lists_the_assets() -> None:
    assert PROVENANCE.is_file()
    listed = {entry.file for entry in ENTRIES}
    assert EXPECTED_FILES.issubset(listed)
    assert len(listed) == len(ENTRIES), "a file is listed twice"
    for entry in ENTRIES:
        if entry.file.endswith((".js", ".json")):
            assert f"LICENSE-{entry.package}.txt" in listed, f"no licence for {entry.package}"


def test_every_file_in_the_folder_is_accounted_for() -> None:
    present = {path.name for path in VENDOR.iterdir() if path.is_file()}
    listed = {entry.file for entry in ENTRIES}
    assert present - {"PROVENANCE.md"} == listed


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.file)
def test_file_matches_its_recorded_sha256(entry: Entry) -> None:
    path = VENDOR / entry.file
    assert path.is_file(), f"{entry.file} is listed in PROVENANCE.md but missing"
    assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.file)
def test_provenance_row_is_complete(entry: Entry) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", entry.version), entry.version
    assert entry.path
    assert entry.license
    algorithm, _, digest = entry.integrity.partition("-")
    assert algorithm == "sha512"
    assert len(base64.b64decode(digest, validate=True)) == 64


def test_htmx_is_the_2_0_line() -> None:
    (htmx,) = [entry for entry in ENTRIES if entry.file == "htmx.min.js"]
    assert htmx.package == "htmx.org"
    assert htmx.version.startswith("2.0."), "htmx 4 is a different API; stay on 2.0.x"
    assert f'version:"{htmx.version}"' in (VENDOR / "htmx.min.js").read_text(encoding="utf-8")


def test_idiomorph_is_the_htmx_extension_build() -> None:
    source = (VENDOR / "idiomorph-ext.min.js").read_text(encoding="utf-8")
    assert source.startswith("var Idiomorph=")  # a classic script's global
    assert 'defineExtension("morph"' in source, "the build that registers htmx's extension"


def test_d3_geo_and_d3_array_are_umd_builds_for_globals() -> None:
    array = (VENDOR / "d3-array.min.js").read_text(encoding="utf-8")
    geo = (VENDOR / "d3-geo.min.js").read_text(encoding="utf-8")
    topojson = (VENDOR / "topojson-client.min.js").read_text(encoding="utf-8")
    assert ".d3=" in array
    assert "InternMap" in array, "the UMD build of d3-array bundles internmap"
    assert ".d3=" in geo
    assert ".topojson=" in topojson


def test_atlas_is_topojson_with_countries() -> None:
    atlas = json.loads((VENDOR / "countries-110m.json").read_text(encoding="utf-8"))
    assert atlas["type"] == "Topology"
    countries = atlas["objects"]["countries"]
    assert countries["type"] == "GeometryCollection"
    assert len(countries["geometries"]) > 100
    assert atlas["arcs"]
    assert set(atlas["transform"]) == {"scale", "translate"}


def test_map_js_has_no_url_and_no_module_syntax() -> None:
    assert MAP_JS.is_file()
    source = MAP_JS.read_text(encoding="utf-8")
    assert not re.search(r"https?://", source, re.IGNORECASE)
    assert not re.search(r"^\s*(?:import|export)\s", source, re.MULTILINE)
    # The contract with the page.
    assert "openline:map-select" in source
    assert "window.openlineMap" in source


@pytest.mark.parametrize(
    "path",
    [MAP_JS, *sorted(VENDOR.iterdir())] if VENDOR.is_dir() else [MAP_JS],
    ids=lambda path: path.name,
)
def test_no_cdn_loads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    hits = sorted({match.group(0) for match in CDN_HOSTS.finditer(text)})
    assert not hits, f"{path.name} mentions CDN hosts: {hits}"
    # A script or stylesheet pulled from another origin at run time.
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text, re.IGNORECASE)
    assert not re.search(r"""import\s*\(\s*["'](?:https?:)?//""", text, re.IGNORECASE)
