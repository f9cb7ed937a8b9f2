"""The command line: `handouts build`, `status`, `voices`, `extract`, `check`, `review`,
`approve`. Each command's module lives here; what they run lives in the layers below."""

from pipeline.cli.main import main

__all__ = ["main"]
