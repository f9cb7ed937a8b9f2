"""Audio plumbing with well-kept libraries: decode (miniaudio), measure loudness (pyloudnorm,
ITU-R BS.1770), hold down peaks (pedalboard's compressor), encode MP3 (LAME via lameenc).

The targets are the spoken-audio ones of standards.md: mono, 22.05 kHz, 64 kbps,
-19 LUFS integrated (mono spoken word), true peak at or below -1 dBTP.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 22050
BITRATE_KBPS = 64
TARGET_LUFS = -19.0
MAX_TRUE_PEAK_DBTP = -1.0
SILENCE_DBFS = -50.0


def decode(data: bytes, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """WAV or MP3 bytes as float32 mono samples at `sample_rate` (miniaudio resamples)."""
    import miniaudio

    decoded = miniaudio.decode(data, output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1,
                               sample_rate=sample_rate)
    return np.frombuffer(decoded.samples, dtype=np.float32).copy()


def clock_time(seconds: float, hour_digits: int = 1) -> str:
    """A time as h:mm:ss.fff (EPUB media:duration), or hh:mm:ss.fff with hour_digits=2 (WebVTT)."""
    milliseconds = int(round(seconds * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:0{hour_digits}d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def silence(seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    return np.zeros(int(round(seconds * sample_rate)), dtype=np.float32)


def trim(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, margin: float = 0.03) -> np.ndarray:
    """Cut the engine's own leading and trailing silence (the narration adds its own pauses)."""
    threshold = 10 ** (SILENCE_DBFS / 20)
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return samples[:0]
    keep = int(margin * sample_rate)
    return samples[max(0, loud[0] - keep): loud[-1] + keep + 1]


def integrated_loudness(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(samples.astype(np.float64)))


def true_peak_dbtp(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Peak after 4x oversampling (the BS.1770 true-peak method), in dBTP. Done in
    10-second chunks with overlap, so a long narration does not need gigabytes."""
    from scipy.signal import resample_poly

    chunk, pad = 10 * sample_rate, 64
    peak = 0.0
    for start in range(0, samples.size, chunk):
        lo, hi = max(0, start - pad), min(samples.size, start + chunk + pad)
        upsampled = resample_poly(samples[lo:hi].astype(np.float64), 4, 1)
        middle = upsampled[(start - lo) * 4: (min(samples.size, start + chunk) - lo) * 4]
        if middle.size:
            peak = max(peak, float(np.max(np.abs(middle))))
    return 20 * np.log10(max(peak, 1e-9))


def longest_silence(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, window: float = 0.05) -> float:
    """The longest stretch, in seconds, whose 50 ms windows all stay below -50 dBFS."""
    size = int(window * sample_rate)
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    quiet = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) < 10 ** (SILENCE_DBFS / 20)
    longest = run = 0
    for is_quiet in quiet:
        run = run + 1 if is_quiet else 0
        longest = max(longest, run)
    return longest * window


def master(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, *, peak_threshold_db: float = -4.0,
           target_lufs: float = TARGET_LUFS) -> np.ndarray:
    """Loudness to the target, with the rare speech peaks above `peak_threshold_db` held
    down by a fast 20:1 compressor (pedalboard/JUCE; unity gain below its threshold).
    Alternating the two converges in a few rounds."""
    from pedalboard import Compressor, Pedalboard

    board = Pedalboard([Compressor(threshold_db=peak_threshold_db, ratio=20.0, attack_ms=0.5, release_ms=60.0)])
    out = samples.astype(np.float32)
    for _ in range(2):
        gain = 10 ** ((target_lufs - integrated_loudness(out, sample_rate)) / 20)
        out = board(out * gain, sample_rate).astype(np.float32)
    gain = 10 ** ((target_lufs - integrated_loudness(out, sample_rate)) / 20)
    return np.clip(out * gain, -1.0, 1.0)


def encoder_delay(original: np.ndarray, decoded: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Seconds by which the decoded MP3 lags the original (LAME's encoder delay),
    found by cross-correlating their first seconds."""
    from scipy.signal import correlate

    span = min(len(original), len(decoded), 5 * sample_rate)
    if span == 0:
        return 0.0
    correlation = correlate(decoded[:span].astype(np.float64), original[:span].astype(np.float64),
                            mode="full", method="fft")
    lag = int(np.argmax(correlation)) - (span - 1)
    return max(0, lag) / sample_rate


def encode_mp3(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """MPEG-2 Layer III, mono, 64 kbps (LAME)."""
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(1)
    encoder.set_quality(5)  # LAME's "good": for speech at 64 kbps, half the time of 2 and no audible loss
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return bytes(encoder.encode(pcm)) + bytes(encoder.flush())
