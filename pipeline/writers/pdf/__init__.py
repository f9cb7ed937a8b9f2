"""The large-print PDF handout: WeasyPrint renders the handout HTML, then the tag tree is
repaired for PDF/UA (`tags.py`). The writer is `writer.PdfWriter`."""
