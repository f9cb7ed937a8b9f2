"""The narration: the script read aloud (`narration.py`), decoding, mastering and encoding
(`common/sound.py`), MP3 with chapters and WebVTT captions. The writer is `writer.AudioWriter`."""
