"""gTTS: Google Translate's voices, natural but online. Chosen in config or with --tts gtts.

The service is a shared, rate-limited endpoint, so this engine is polite and bounded:
gTTS itself cuts text into the service's 100-character requests; at most
`audio.max_concurrent_requests` requests run at once across all build processes (a
slot is a file lock); a 429 or a dropped connection is retried with exponential
backoff, a few times, and then the language's narration fails with one clear line
while the rest of the build goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import io
import time
from typing import Iterator

from pipeline.core.errors import SpeechError
from pipeline.tts import Engine, Found
from pipeline.tts import Speech

ATTEMPTS = 4
FIRST_BACKOFF_SECONDS = 1.0
TIMEOUT_SECONDS = (5.0, 20.0)
RETRY_STATUS = {429, 500, 502, 503, 504}


class GttsEngine(Engine):
    NAME = "gtts"
    sleep = staticmethod(time.sleep)  # replaced in tests, so backoff costs no time there

    def version(self) -> str:
        from pipeline.core.machine import package_version

        return f"gTTS {package_version('gTTS')}"

    def find_voice(self, tag: str) -> Found:
        """The table's voice; its sound is Google's, used under the service's terms."""
        found = super().find_voice(tag)
        if found.voice is None:
            return found
        return Found(dataclasses.replace(found.voice, licence="Google Translate service terms (online)"))

    def synthesize(self, text: str, voice: str, language: str) -> Speech:
        from gtts import gTTS
        from gtts.tts import gTTSError

        lang, _, tld = voice.partition("@")
        delay = FIRST_BACKOFF_SECONDS
        last_problem = ""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self._request_slot():
                    buffer = io.BytesIO()
                    gTTS(text, lang=lang, tld=tld or "com", timeout=TIMEOUT_SECONDS).write_to_fp(buffer)
                data = buffer.getvalue()
                if not data:
                    raise SpeechError(f"gTTS returned no audio for {language}")
                return Speech(data, "mp3")
            except gTTSError as error:
                status = getattr(getattr(error, "rsp", None), "status_code", None)
                last_problem = f"HTTP {status}" if status else (str(error) or "no connection")
                if status is not None and status not in RETRY_STATUS:
                    break
            except ValueError as error:  # an unknown language code
                raise SpeechError(f"gTTS cannot speak {language} ({voice}): {error}",
                                  hint="fix the gtts voice in pipeline/data/voices.toml or handouts.toml") from None
            if attempt < ATTEMPTS:
                self.sleep(delay)
                delay *= 2
        raise SpeechError(
            f"the gTTS service failed for {language} after {ATTEMPTS} attempts ({last_problem})",
            hint="check the network, or build offline with --tts espeak-ng; the rest of the build is unaffected",
        )

    @contextlib.contextmanager
    def _request_slot(self) -> Iterator[None]:
        """One of `max_concurrent_requests` slots, shared by every process of this build."""
        folder = self.config.cache_dir / "gtts-slots"
        folder.mkdir(parents=True, exist_ok=True)
        slots = self.config.max_concurrent_requests
        while True:
            for number in range(slots):
                handle = open(folder / f"slot-{number}", "a+")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                try:
                    yield
                    return
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    handle.close()
            time.sleep(0.05)


ENGINE = GttsEngine
