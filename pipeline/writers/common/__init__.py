"""What several writers share: templates and styles, the byline, the clinic block and QR
code, fonts, the WeasyPrint URL fetcher, line-break marks for scripts without spaces.
No writer imports another writer; they meet here."""
