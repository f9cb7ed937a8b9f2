"""The `handouts` command line: parse arguments, call the pipeline, print one line per fact.

Thin on purpose. Every `HandoutsError` becomes one line on stderr and a non-zero
exit; a traceback would mean a bug in the pipeline, not in the user's input.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from pipeline.core.config import load_config
from pipeline.core.errors import HandoutsError, log_traceback

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        config = load_config(Path(args.root))
        return args.run(args, config)
    except HandoutsError as error:
        _error(error.one_line())
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        _error("interrupted; outputs/ holds only complete files, and the next build resumes from the cache")
        return 130
    except Exception as error:  # noqa: BLE001 - a bug: one line for the user, the traceback in a log
        log = log_traceback(Path(tempfile.gettempdir()) / "handouts-errors.log", " ".join(sys.argv))
        _error(f"internal error: {type(error).__name__}: {error} (a bug in handouts; details in {log})")
        return EXIT_INTERNAL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="handouts", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.environ.get("HANDOUTS_ROOT", "."),
                        help="the project folder (with handouts.toml, sources/, translations/)")
    commands = parser.add_subparsers(dest="command")

    extract = commands.add_parser("extract", help="write the .pot templates and update every catalog")
    extract.set_defaults(run=_extract)

    status = commands.add_parser("status", help="translation state of every article and language")
    _selection(status)
    status.set_defaults(run=_status)

    voices = commands.add_parser("voices", help="which engine and voice speak each language, and better voices")
    voices.set_defaults(run=_voices)

    build = commands.add_parser("build", help="build every output for every publishable language")
    _selection(build)
    build.add_argument("--format", action="append", dest="formats", metavar="FORMAT",
                       help="only this output format (repeatable)")
    build.add_argument("--paper", choices=["letter", "a4"], help="paper size for every PDF")
    build.add_argument("--tts", choices=["piper", "espeak-ng", "gtts"],
                       help="speech engine to try first (gtts needs the network)")
    build.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="worker processes")
    build.add_argument("--quiet", "-q", action="store_true", help="print problems and the summary only")
    build.add_argument("--no-wait", action="store_true", help="refuse instead of waiting for a running build")
    build.set_defaults(run=_build)

    check = commands.add_parser("check", help="check sources, catalogs and built outputs")
    _selection(check)
    check.set_defaults(run=_check)
    return parser


def _selection(command: argparse.ArgumentParser) -> None:
    command.add_argument("--lang", action="append", dest="languages", metavar="LANG",
                         help="only this language (repeatable), e.g. es or zh-Hans")
    command.add_argument("--article", action="append", dest="slugs", metavar="SLUG",
                         help="only this article (repeatable)")


def _error(text: str) -> None:
    print(f"handouts: {text}", file=sys.stderr)


def _report_problems(project) -> None:
    for problem in project.problems:
        _error(problem.one_line())


def _extract(args, config) -> int:
    from pipeline.inputs.extract import extract
    from pipeline.inputs.project import load_project

    project = load_project(config)
    _report_problems(project)
    report = extract(project)
    for path in report.written:
        print(f"updated {path}")
    print(f"{len(report.written)} files updated, {len(report.unchanged)} unchanged")
    return EXIT_PROBLEMS if project.problems else EXIT_OK


def _status(args, config) -> int:
    from pipeline.inputs.project import load_project
    from pipeline.status import status_lines

    project = load_project(config, slugs=args.slugs, languages=args.languages)
    _report_problems(project)
    for line in status_lines(project):
        print(line)
    return EXIT_PROBLEMS if project.problems else EXIT_OK


def _build(args, config) -> int:
    from pipeline.build import build
    from pipeline.progress import progress_display
    from pipeline.inputs.project import load_project
    from pipeline.writers import writer_names

    changes = {}
    if args.paper:
        changes["paper"] = args.paper
        changes["language_options"] = {tag: _without_paper(options) for tag, options in config.language_options.items()}
    if args.tts:
        changes["engines"] = (args.tts,) + tuple(e for e in config.engines if e != args.tts)
    if changes:
        config = config.with_overrides(**changes)
    formats = args.formats or writer_names()
    project = load_project(config, slugs=args.slugs, languages=args.languages)
    _report_problems(project)
    if "audio" in formats:
        _report_voice_fallbacks(config, project)
    skipped = 0
    for plan in project.plans:
        if plan.job is None:
            skipped += 1
            _error(f"{plan.slug}: {plan.facts.tag} not built: {'; '.join(plan.skip_reasons)}")
    with progress_display(quiet=args.quiet) as progress:
        report = build(project, formats, jobs=max(1, args.jobs), wait=not args.no_wait, progress=progress)
    for notice in report.notices:
        print(f"note: {notice}", file=sys.stderr)
    for failure in report.failed:
        _error(failure.one_line())
    print(f"built {len(report.built)}, up to date {len(report.cached)}, failed {len(report.failed)}, "
          f"languages skipped {skipped} ({report.seconds:.1f} s)")
    return EXIT_PROBLEMS if (project.problems or report.failed or skipped) else EXIT_OK


def _voices(args, config) -> int:
    from pipeline.voices import voice_lines

    lines, sound = voice_lines(config)
    for line in lines:
        print(line)
    return EXIT_OK if sound else EXIT_PROBLEMS


def _report_voice_fallbacks(config, project) -> None:
    """A bad voice file: one line each, and who speaks the language instead."""
    from pipeline.tts import choose_voice

    for tag in dict.fromkeys(plan.facts.tag for plan in project.plans if plan.job is not None):
        for note in choose_voice(config, tag).notes():
            print(f"note: {note}", file=sys.stderr)


def _without_paper(options):
    import dataclasses

    return dataclasses.replace(options, paper=None)


def _check(args, config) -> int:
    from pipeline.checks.run import run_checks

    lines, ok = run_checks(config, slugs=args.slugs, languages=args.languages)
    for line in lines:
        print(line)
    return EXIT_OK if ok else EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
