"""A missing system dependency is one clear line naming the package to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.writers.common import fonts
from pipeline.cli import main

from conftest import SLUG, copy_project


def path_without(*commands: str) -> str:
    """A PATH where the given commands cannot be found (the rest still can)."""
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"handouts-path-{'-'.join(commands)}-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    for entry in os.environ["PATH"].split(os.pathsep):
        if not Path(entry).is_dir():
            continue
        for tool in Path(entry).iterdir():
            if tool.name not in commands and not (folder / tool.name).exists():
                try:
                    (folder / tool.name).symlink_to(tool)
                except OSError:
                    pass
    return str(folder)


@pytest.mark.slow
def test_no_espeak_ng_fails_the_narration_with_the_package_name(tmp_path):
    root = copy_project(tmp_path / "no-espeak")
    environment = {**os.environ, "PATH": path_without("espeak-ng", "espeak")}
    result = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--lang", "es",
                             "--format", "audio", "--format", "pdf", "-q"], capture_output=True, text=True,
                            env=environment)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = next(l for l in result.stderr.splitlines() if "espeak-ng is not installed" in l)
    assert "install the Debian package espeak-ng" in line
    assert (root / "outputs" / "es" / f"{SLUG}.es.pdf").exists()


@pytest.mark.slow
def test_no_java_makes_check_say_which_package(tmp_path):
    root = copy_project(tmp_path / "no-java")
    assert main(["--root", str(root), "build", "--lang", "en", "--format", "epub", "--format", "pdf", "-q"]) == 0
    environment = {**os.environ, "PATH": path_without("java")}
    result = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), "check", "--lang", "en"],
                            capture_output=True, text=True, env=environment)
    assert result.returncode == 1
    line = next(l for l in result.stdout.splitlines() if l.startswith("FAIL") and ".epub" in l)
    assert "EPUBCheck needs a Java runtime; install the Debian package default-jre-headless" in line


def test_a_missing_font_names_the_package(tmp_path, monkeypatch, capsys):
    root = copy_project(tmp_path / "no-font")
    real = fonts.files_of_family.__wrapped__
    fonts.files_of_family.cache_clear()
    monkeypatch.setattr(fonts, "files_of_family", lambda family: () if family == "Noto Sans Arabic" else real(family))
    code = main(["--root", str(root), "build", "--lang", "ar", "--lang", "es", "--format", "pdf", "-q"])
    error = capsys.readouterr().err
    assert code == 1 and "Traceback" not in error
    assert ("the font 'Noto Sans Arabic' for Arabic (Arab script) is not installed; "
            "install the Debian package fonts-noto-core") in error
    assert (root / "outputs" / "es" / f"{SLUG}.es.pdf").exists()


def test_a_crashing_writer_is_one_line_with_its_traceback_in_the_log(tmp_path, monkeypatch, capsys):
    """A bug in a writer (not in the input) fails that output alone: one line on stderr,
    the traceback in the cache's errors.log, every other output built."""
    from pipeline.writers.html import HtmlWriter

    def crash(self, job):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(HtmlWriter, "write", crash)
    root = copy_project(tmp_path / "crash")
    code = main(["--root", str(root), "build", "--lang", "es", "--format", "html", "--format", "pdf",
                 "-q", "--jobs", "1"])
    error = capsys.readouterr().err
    assert code == 1 and "Traceback" not in error
    from pipeline.core.config import load_config

    log = load_config(root).cache_dir / "errors.log"
    line = next(l for l in error.splitlines() if "simulated bug" in l)
    assert line == (f"handouts: the html writer failed on {SLUG}.es: ZeroDivisionError: simulated bug; "
                    f"this is a bug in the pipeline; details in {log}")
    logged = log.read_text("utf-8")
    assert logged.startswith(f"--- {SLUG}.es.html\nTraceback") and "ZeroDivisionError: simulated bug" in logged
    assert (root / "outputs" / "es" / f"{SLUG}.es.pdf").exists()
    assert not (root / "outputs" / "es" / f"{SLUG}.es.html").exists()


def test_an_unexpected_error_outside_the_writers_is_one_line_and_exit_70(tmp_path, monkeypatch, capsys):
    import pipeline.cli.status

    monkeypatch.setattr(pipeline.cli.status, "summary_lines", lambda plan, pairs: 1 / 0)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    code = main(["--root", str(copy_project(tmp_path / "bug")), "status"])
    error = capsys.readouterr().err.strip()
    log = tmp_path / "handouts-errors.log"
    assert code == 70
    assert error == (f"handouts: internal error: ZeroDivisionError: division by zero "
                     f"(a bug in handouts; details in {log})")
    assert "Traceback" in log.read_text("utf-8") and "ZeroDivisionError" in log.read_text("utf-8")


# --- faults of the machine (issue 23): one line each, never a crash, never a silently shorter narration ---


import contextlib
import errno
import json
import signal
import socket
import threading
import time

from pipeline.checks.audio import read_webvtt
from pipeline.core import atomic
from pipeline.core.config import load_config


def handouts(root: Path, *args: str, timeout: float = 600, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), *args], capture_output=True,
                          text=True, timeout=timeout, **options)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith(("handouts: ", "note: "))]


def assert_not_a_bug(result: subprocess.CompletedProcess) -> None:
    assert result.returncode != 70 and "internal error" not in result.stderr and "Traceback" not in result.stderr, \
        result.stderr


@contextlib.contextmanager
def small_disk(folder: Path, size: str, *options: str):
    """A tmpfs of `size` mounted on `folder` (a real file system: the tests run as root,
    as CI does); None when this machine does not let us mount one."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]), "tmpfs",
                              str(folder)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.slow
def test_a_damaged_synthesis_cache_is_synthesized_again_and_the_narration_keeps_its_length(tmp_path):
    """Case 1: every cached sentence truncated or emptied, one sentence edited: the build
    throws the damaged entries away, says so in one line, and the narration is as long
    as before (it was 273 s instead of 505 s)."""
    root = copy_project(tmp_path / "cache")
    assert handouts(root, "build", "--lang", "es", "--format", "audio", "-q").returncode == 0
    timeline = root / ".cache" / "handouts" / "artifacts" / "es" / f"{SLUG}.es.timeline.json"
    before = json.loads(timeline.read_text("utf-8"))
    folder = root / ".cache" / "handouts" / "tts" / "espeak-ng"
    entries = sorted(folder.iterdir())
    for number, entry in enumerate(entries):
        os.truncate(entry, 0 if number % 3 == 0 else entry.stat().st_size // 2)
    catalog = root / "translations" / "es" / "LC_MESSAGES" / f"{SLUG}.po"
    catalog.write_text(catalog.read_text("utf-8").replace(
        "Las investigaciones sobre el tratamiento del cáncer metastásico continúan.",
        "La investigación sobre el tratamiento del cáncer metastásico continúa."), "utf-8")
    result = handouts(root, "build", "--lang", "es", "--format", "audio", "-q")
    assert result.returncode == 0, result.stderr
    after = json.loads(timeline.read_text("utf-8"))
    damaged = len(entries) - 1  # the edited sentence's old entry is never read
    first = after["cues"][0]["text"]
    first = first if len(first) <= 40 else first[:37] + "..."
    assert error_lines(result) == [
        f"note: {SLUG}.es: the cached speech of {damaged} sentences in {folder} was damaged "
        f"(the first: {first!r}); synthesized them again"]
    assert after["synthesized"] == damaged + 1 and after["reused"] == 0
    assert after["duration"] == pytest.approx(before["duration"], abs=1.0)
    assert after["duration"] > 480


def test_an_engine_that_returns_no_audio_is_one_line(tmp_path, monkeypatch, capsys):
    from pipeline.tts import Speech
    from pipeline.tts.espeak import EspeakEngine

    monkeypatch.setattr(EspeakEngine, "synthesize", lambda self, text, voice, language: Speech(b"", "wav"))
    root = copy_project(tmp_path / "silent")
    code = main(["--root", str(root), "build", "--lang", "es", "--format", "audio", "--format", "html", "-q",
                 "--jobs", "1"])
    error = capsys.readouterr().err
    assert code == 1
    from pipeline.inputs.project import load_project
    from pipeline.writers.audio.narration import narration_script

    job = next(plan.job for plan in load_project(load_config(root)).plans if plan.facts.tag == "es")
    first = narration_script(job)[0].spoken
    shown = repr(first if len(first) <= 40 else first[:37] + "...")
    assert error.splitlines()[0] == (f"handouts: {SLUG}.es: espeak-ng returned no audio for {shown} (0 bytes, not WAV); "
                                     f"check that espeak-ng works: run it by hand on this sentence")
    assert (root / "outputs" / "es" / f"{SLUG}.es.html").exists()
    assert not list((root / ".cache" / "handouts" / "tts").rglob("*.wav"))  # nothing cached


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text:
            found.append(int(status.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@pytest.mark.slow
def test_a_killed_coordinator_takes_its_workers_and_its_lock_with_it(tmp_path):
    """Case 2: `kill -9` of the main process alone (what the out-of-memory killer does):
    its worker processes end with it, and the next build neither waits nor refuses."""
    root = copy_project(tmp_path / "orphans")
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--lang", "es",
                                "--lang", "ar", "--lang", "fr", "--format", "pdf", "--format", "audio", "-q",
                                "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_children(process.pid)) < 2:
        time.sleep(0.2)
    workers = _children(process.pid)
    assert len(workers) >= 2, "no worker processes found"
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "the workers outlived their coordinator"
    started = time.monotonic()
    result = handouts(root, "build", "--lang", "es", "--format", "html", "-q", "--no-wait", timeout=60)
    assert result.returncode == 0, result.stderr
    assert "another build" not in result.stderr and time.monotonic() - started < 30


def test_the_build_lock_is_not_inherited_by_worker_processes(tmp_path):
    """A child process forked while the lock is held does not hold it once its parent is gone."""
    from pipeline.engine.coordinator import build_lock

    code = ("import os, sys, time\n"
            "from pathlib import Path\n"
            "from pipeline.engine.coordinator import build_lock\n"
            "with build_lock(Path(sys.argv[1]), False, print):\n"
            "    child = os.fork()\n"
            "    if child == 0:\n"
            "        os.close(1); os.close(2); time.sleep(30); os._exit(0)\n"
            "    print(child, flush=True)\n"
            "    os._exit(0)\n")  # the parent dies holding the lock; its child lives on
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=30)
    child = int(result.stdout)
    try:
        assert _alive(child)
        with build_lock(tmp_path, False, print):  # does not raise "another build is running"
            pass
    finally:
        os.kill(child, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_broken_state_database_is_moved_aside_and_made_anew_from_the_files(tmp_path, damage):
    """Case 3: the state overwritten or truncated: one line, the file moved aside, the
    outputs whose checksums still match taken back, a tampered one built again, exit 0."""
    root = copy_project(tmp_path / "state")
    assert handouts(root, "build", "--lang", "es", "--lang", "en", "--format", "html", "-q").returncode == 0
    cache = load_config(root).cache_dir
    state = cache / "state.sqlite"
    tampered = root / "outputs" / "en" / f"{SLUG}.en.html"
    tampered.write_text(tampered.read_text("utf-8").replace("<p>", "<p>X", 1)[:-1], "utf-8")
    if damage == "garbage":
        state.write_bytes(os.urandom(8192))
        reason = "file is not a database"
    else:
        size = state.stat().st_size
        os.truncate(state, size // 2)
        reason = "database disk image is malformed"
    for suffix in ("-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    result = handouts(root, "build", "--lang", "es", "--lang", "en", "--format", "html", "-q")
    assert result.returncode == 0, result.stderr
    assert error_lines(result) == [f"note: the build state {state} could not be read ({reason}); moved it to "
                                   f"state.sqlite.broken and made it anew from the files on disk"]
    assert result.stdout.startswith("built 1, up to date 1,")  # the tampered English page only
    assert (cache / "state.sqlite.broken").exists()
    again = handouts(root, "build", "--lang", "es", "--lang", "en", "--format", "html", "-q")
    assert again.stdout.startswith("built 0, up to date 2,") and not error_lines(again)


def _fill_disk(root: Path) -> subprocess.CompletedProcess:
    return handouts(root, "build", "--lang", "es", "--lang", "en", "--format", "html", "--format", "pdf", "-q",
                    "--jobs", "1")


@pytest.mark.slow
def test_a_full_disk_is_one_line_naming_the_folder_and_leaves_no_temporary_file(tmp_path, monkeypatch, capsys):
    """Case 4, on a real full disk: outputs/ is a 100 KB tmpfs, on another file system
    than .cache/ (the case that left `.<name>.part` beside the destination). Where this
    machine cannot mount one, the same build runs with the write made to fail with
    ENOSPC (fault injection: then only the error path is real, not the disk)."""
    root = copy_project(tmp_path / "disk")
    outputs = root / "outputs"
    with small_disk(outputs, "100k") as mounted:
        if mounted:
            result = _fill_disk(root)
            lines, code = error_lines(result), result.returncode
        else:  # pragma: no cover - only where mounting is not allowed
            real_fdopen = os.fdopen

            def full(fd, mode):
                handle = real_fdopen(fd, mode)
                handle.write = lambda data: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device"))
                return handle

            monkeypatch.setattr(atomic.os, "fdopen", full)
            code = main(["--root", str(root), "build", "--lang", "es", "--lang", "en", "--format", "html",
                         "--format", "pdf", "-q", "--jobs", "1"])
            lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("handouts: ")]
            monkeypatch.undo()
        assert code == 1
        assert len(lines) == 1, lines
        folder, needed = lines[0].removeprefix("handouts: ").split(": the disk is full: writing ", 1)
        assert Path(folder).parent in (outputs, outputs.parent) or Path(folder) == outputs
        assert needed.endswith(" free; free some space and build again (the files already built are kept)")
        assert " needs " in needed
        leftovers = [p for p in outputs.rglob("*") if p.name.endswith(".part") or p.name.startswith(".")]
        assert leftovers == []
        assert not list((root / ".cache" / "handouts" / "tmp").iterdir())
    result = _fill_disk(root)  # space freed (the small disk is gone): the build completes
    assert result.returncode == 0, result.stderr
    assert (outputs / "en" / f"{SLUG}.en.pdf").exists() and (outputs / "manifest.json").exists()


def test_a_read_only_outputs_folder_is_one_line(tmp_path):
    root = copy_project(tmp_path / "read-only")
    with small_disk(root / "outputs", "1m", "ro") as mounted:
        if not mounted:  # pragma: no cover - only where mounting is not allowed
            pytest.skip("this machine does not allow mounting a read-only file system")
        result = handouts(root, "build", "--lang", "es", "--format", "html", "-q")
    assert result.returncode == 1
    assert error_lines(result) == [f"handouts: {root / 'outputs' / 'es'}: cannot write here (Read-only file system); "
                                   f"make the folder writable, or choose another in [project] of handouts.toml"]


def test_a_cache_folder_that_is_a_file_is_one_line(tmp_path):
    root = copy_project(tmp_path / "cache-file")
    (root / ".cache").write_text("not a folder")
    result = handouts(root, "build", "--lang", "es", "--format", "html", "-q")
    assert result.returncode == 1
    assert error_lines(result) == [f"handouts: {root / '.cache'} is a file, but a folder is needed there; "
                                   f"move the file away, or choose another folder in [project] of handouts.toml"]


@contextlib.contextmanager
def silent_server():
    """An address that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()


@pytest.mark.slow
def test_a_scheduler_that_never_answers_times_out_with_one_line_and_writes_nothing(tmp_path):
    """Case 5: it hung past 90 s; now the wait is bounded (30 s by default, --scheduler-timeout)."""
    root = copy_project(tmp_path / "hung")
    with silent_server() as address:
        started = time.monotonic()
        result = handouts(root, "build", "--lang", "es", "--format", "html", "-q", "--scheduler", address,
                          "--scheduler-timeout", "3", timeout=60)
        elapsed = time.monotonic() - started
    assert result.returncode == 1 and elapsed < 20
    assert error_lines(result) == [
        f"handouts: the Dask scheduler at {address} did not answer within 3 s; check that a Dask scheduler "
        f"listens there (start it with 'dask scheduler' and workers with 'dask worker {address}'), or wait "
        f"longer with --scheduler-timeout"]
    assert not (root / "outputs").exists()


HOSTILE_TITLE = "</title><script>alert(1)</script> ]]> <![CDATA[ keep it <130/80 & --> done"


@pytest.mark.slow
def test_a_hostile_title_is_text_in_every_output(tmp_path):
    """Case 6: markup-like text in a title (and "keep it <130/80") stays text: WebVTT cue
    text escaped, every XML output well-formed and carrying the title as text."""
    from lxml import etree, html as lxml_html

    root = copy_project(tmp_path / "hostile")
    source = root / "sources" / f"{SLUG}.md"
    text = source.read_text("utf-8")
    title_line = next(line for line in text.splitlines() if line.startswith("title:"))
    source.write_text(text.replace(title_line, "title: " + json.dumps(HOSTILE_TITLE)), "utf-8")
    result = handouts(root, "build", "--lang", "en", "--format", "audio", "--format", "html", "--format", "epub",
                      "-q")
    assert result.returncode == 0, result.stderr
    english = root / "outputs" / "en"
    captions = read_webvtt(english / f"{SLUG}.en.vtt")  # refuses a raw '<' or '-->' in cue text
    assert captions[0].text == HOSTILE_TITLE
    page = lxml_html.fromstring((english / f"{SLUG}.en.html").read_bytes())
    assert page.findtext(".//title").startswith(HOSTILE_TITLE) and not page.findall(".//script")
    for feed in (root / "outputs" / "catalog.xml", english / "catalog.xml"):
        etree.parse(str(feed))  # well-formed
    feed = etree.parse(str(english / "catalog.xml"))
    assert HOSTILE_TITLE in [t.text for t in feed.iter("{http://www.w3.org/2005/Atom}title")]


def _piper_project(tmp_path: Path, name: str) -> Path:
    root = copy_project(tmp_path / name, engines=("piper", "espeak-ng"))
    (root / "voices").mkdir()
    return root


def test_a_symlink_loop_in_the_voices_folder_is_one_line_and_the_language_falls_back(tmp_path):
    """Case 7: was `internal error: OSError: [Errno 40] Too many levels of symbolic links`."""
    root = _piper_project(tmp_path, "loop")
    for name in ("es_MX-loop-medium.onnx", "es_MX-loop-medium.onnx.json"):
        (root / "voices" / name).symlink_to(name)
    result = handouts(root, "voices")
    assert_not_a_bug(result)
    lines = result.stdout.splitlines()
    spanish = lines.index("es       espeak-ng es-419 (espeak-ng 1.51)")
    assert lines[spanish + 1].strip() == "licence GPL-3.0-or-later"
    assert lines[spanish + 2].strip() == (
        f"voices/es_MX-loop-medium.onnx: es_MX-loop-medium.onnx cannot be read (Too many levels of symbolic links); "
        f"replace it with the voice file itself; download it again with: {_python(root)} -m piper.download_voices "
        f"es_MX-loop-medium --data-dir voices; Spanish is narrated by espeak-ng (es-419) instead")
    build = handouts(root, "build", "--lang", "es", "--format", "html", "-q")
    assert build.returncode == 0, build.stderr


def _python(root: Path) -> str:
    from pipeline.tts.piper_voices import shown

    return shown(Path(sys.executable), root)


def test_a_huge_voice_description_is_never_parsed(tmp_path, monkeypatch, capsys):
    """Case 7: a 50 MB .onnx.json made the build ten times slower (opened 101 times)."""
    from pipeline.tts import piper_voices

    root = _piper_project(tmp_path, "huge")
    huge = root / "voices" / "es_MX-huge-medium.onnx.json"
    with huge.open("w") as handle:
        handle.write('{"language": {"code": "es_MX"}, "padding": "' + "x" * (50 << 20) + '"}')
    (root / "voices" / "es_MX-huge-medium.onnx").write_bytes(b"\x08\x07")
    opened = []
    real = piper_voices._parsed.__wrapped__
    piper_voices._parsed.cache_clear()
    monkeypatch.setattr(piper_voices, "_parsed", lambda path, size, stamp: opened.append(path) or real(path, size, stamp))
    started = time.monotonic()
    assert main(["--root", str(root), "voices"]) in (0, 1)  # 1 when a language has no voice at all
    out = capsys.readouterr().out
    assert time.monotonic() - started < 20
    assert str(huge) not in opened
    assert (f"voices/es_MX-huge-medium.onnx.json: es_MX-huge-medium.onnx.json is not a Piper voice description "
            f"({50 * 2 ** 20 + 46:,} bytes; a voice description is at most {4 * 2 ** 20:,}); download it again with: "
            f"{_python(root)} -m piper.download_voices es_MX-huge-medium --data-dir voices; Spanish is narrated by "
            f"espeak-ng (es-419) instead") in [line.strip() for line in out.splitlines()]


def test_a_voices_folder_on_a_vanished_mount_falls_back(tmp_path, monkeypatch, capsys):
    """A voices folder whose mount has gone ('Transport endpoint is not connected', what a
    dead network or FUSE mount answers). Fault injection: listing and stat of that folder
    fail with ENOTCONN; the rest of the machine is real."""
    root = _piper_project(tmp_path, "vanished")
    voices = str(root / "voices")
    real_listdir, real_scandir = os.listdir, os.scandir

    def gone(path, real):
        if str(path).startswith(voices):
            raise OSError(errno.ENOTCONN, "Transport endpoint is not connected", str(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", lambda path=".": gone(path, real_listdir))
    monkeypatch.setattr(os, "scandir", lambda path=".": gone(path, real_scandir))
    code = main(["--root", str(root), "build", "--lang", "es", "--lang", "en", "--format", "html", "-q",
                 "--jobs", "1"])
    assert code == 0, capsys.readouterr().err
    assert main(["--root", str(root), "voices"]) in (0, 1)  # 1 when a language has no voice at all
    out = capsys.readouterr().out
    assert "es       espeak-ng es-419 (espeak-ng 1.51)" in out.splitlines()


ENVIRONMENT_FAULTS = {
    "cache folder is a file": lambda root: (root / ".cache").write_text("x"),
    "outputs folder is a file": lambda root: (root / "outputs").write_text("x"),
    "a language folder of outputs is a file": lambda root: ((root / "outputs").mkdir(),
                                                            (root / "outputs" / "es").write_text("x")),
    "state is garbage": lambda root: ((root / ".cache" / "handouts").mkdir(parents=True),
                                      (root / ".cache" / "handouts" / "state.sqlite").write_bytes(b"\0" * 4096)),
    "state is a folder": lambda root: (root / ".cache" / "handouts" / "state.sqlite").mkdir(parents=True),
    "build lock is a folder": lambda root: (root / ".cache" / "handouts" / "build.lock").mkdir(parents=True),
    "temporary folder is a file": lambda root: ((root / ".cache" / "handouts").mkdir(parents=True),
                                                (root / ".cache" / "handouts" / "tmp").write_text("x")),
    "voices folder is a file": lambda root: (root / "voices").write_text("x"),
    "voice link loop": lambda root: ((root / "voices").mkdir(), (root / "voices" / "a.onnx").symlink_to("a.onnx")),
    "voice store is garbage": lambda root: ((root / ".cache" / "handouts").mkdir(parents=True),
                                            (root / ".cache" / "handouts" / "piper-voices.json").write_text("{")),
    "speech cache is a file": lambda root: ((root / ".cache" / "handouts").mkdir(parents=True),
                                            (root / ".cache" / "handouts" / "tts").write_text("x")),
}


# Faults the narration meets (voices, the speech cache, temporary files): those builds narrate too.
SPEECH_FAULTS = {"voices folder is a file", "voice link loop", "voice store is garbage", "speech cache is a file",
                 "temporary folder is a file", "cache folder is a file"}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(ENVIRONMENT_FAULTS))
def test_no_fault_of_the_environment_is_reported_as_a_bug(fault, tmp_path):
    """An internal error (exit 70, "a bug in handouts") only ever means a bug."""
    root = copy_project(tmp_path / "fault", engines=("piper", "espeak-ng"))
    ENVIRONMENT_FAULTS[fault](root)
    speech = ("--format", "audio") if fault in SPEECH_FAULTS else ()  # narration costs seconds
    for command in (["build", "--lang", "es", "--format", "html", *speech, "-q", "--jobs", "1"],
                    ["status"], ["voices"]):
        result = handouts(root, *command)
        assert_not_a_bug(result)
        assert all(line.startswith(("handouts: ", "note: ", "waiting", "  ")) for line in result.stderr.splitlines()), \
            result.stderr


def test_a_real_scheduler_answers_the_question_that_bounds_the_wait(tmp_path):
    """The same question, asked of a real `dask scheduler`, is answered (so the bound on a
    silent address never refuses a working cluster)."""
    from pipeline.engine.executors import _ask_scheduler

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scheduler = subprocess.Popen([str(Path(sys.executable).with_name("dask")), "scheduler", "--port", str(port),
                                  "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        _ask_scheduler(f"tcp://127.0.0.1:{port}", 20, "hint")  # raises if it does not answer as a scheduler
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
