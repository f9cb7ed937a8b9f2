"""The EPUB 3: the handout as XHTML with the fonts, page list and the narration as media
overlays (`media_overlays.py`). The writer is `writer.EpubWriter`."""
