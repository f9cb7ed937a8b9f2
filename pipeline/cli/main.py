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

from pipeline.core.config import ENGINES, load_config
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
    except BrokenPipeError:  # `handouts status | head`: the reader has gone, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
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
    status.add_argument("--json", action="store_true", help="the same, as JSON for scripts")
    status.set_defaults(run=_status)

    voices = commands.add_parser("voices", help="which engine and voice speak each language, and better voices")
    voices.set_defaults(run=_voices)

    build = commands.add_parser("build", help="build every output for every publishable language")
    _selection(build)
    build.add_argument("--format", action="append", dest="formats", metavar="FORMAT",
                       help="only this output format (repeatable)")
    build.add_argument("--paper", choices=["letter", "a4"], help="paper size for every PDF")
    build.add_argument("--tts", choices=list(ENGINES),
                       help="speech engine to try first (gtts needs the network)")
    build.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="worker processes")
    build.add_argument("--quiet", "-q", action="store_true", help="print problems and the summary only")
    build.add_argument("--no-wait", action="store_true", help="refuse instead of waiting for a running build")
    build.add_argument("--scheduler", metavar="ADDRESS",
                       help="run tasks on Dask: 'local' starts a LocalCluster here, tcp://host:8786 uses a cluster")
    build.add_argument("--scheduler-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="how long to wait for the Dask scheduler to answer (default 30)")
    build.add_argument("--strict", action="store_true",
                       help="exit non-zero when a language waits for translation (for publishing pipelines)")
    build.set_defaults(run=_build)

    review = commands.add_parser("review", help="write review sheets (HTML and print PDF) for medical translators")
    _selection(review)
    review.add_argument("--all", action="store_true", dest="every_segment",
                        help="every segment, not only those not approved as they read now")
    review.set_defaults(run=_review)

    approve = commands.add_parser("approve", help="record a reviewer's approval of exactly the texts of a sheet")
    approve.add_argument("--sheet", required=True, metavar="FILE_OR_DIGEST",
                         help="the sheet (review/<lang>/<slug>.<lang>.html, .pdf or .json) or its digest")
    approve.add_argument("--reviewer", required=True, metavar="NAME", help="the qualified medical translator")
    approve.add_argument("--credential", default="", metavar="CREDENTIAL", help='e.g. "CMI, Spanish"')
    approve.add_argument("--date", metavar="YYYY-MM-DD", help="the day of the review (default: today)")
    approve.set_defaults(run=_approve)

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
    from pipeline.cli.extract import extract
    from pipeline.inputs.project import load_project

    project = load_project(config)
    _report_problems(project)
    report = extract(project)
    for line in _unique(report.problems, []):
        if line not in {p.one_line() for p in project.problems}:  # a catalog the plan could not read either
            _error(line)
    for path in report.written:
        print(f"updated {path}")
    for offered in report.memory:
        print(offered.line())
    print(f"{len(report.written)} files updated, {len(report.unchanged)} unchanged")
    return EXIT_PROBLEMS if project.problems or report.problems else EXIT_OK


def _status(args, config) -> int:
    import json

    from pipeline.engine import BuildState, plan_build
    from pipeline.cli.status import as_json, pair_lines, summary_lines

    state = BuildState(config.cache_dir)
    if state.recovered:
        print(f"note: {state.recovered}", file=sys.stderr)
    try:
        plan = plan_build(config, state, jobs=os.cpu_count() or 1)
        pairs = list(plan.pairs(plan.select(args.slugs, args.languages)))
    finally:
        state.close()
    problems = _unique(plan.problems, [p for pair in pairs for p in pair.problems])
    if args.json:
        data = as_json(plan, pairs) | {"problems": problems, "notes": plan.notes}
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return EXIT_PROBLEMS if problems else EXIT_OK
    for problem in problems:
        _error(problem)
    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    lines = pair_lines(plan, pairs) if (args.slugs or args.languages) else summary_lines(plan, pairs)
    for line in lines:
        print(line)
    return EXIT_PROBLEMS if problems else EXIT_OK


def _unique(errors, texts: list[str]) -> list[str]:
    return list(dict.fromkeys([e.one_line() for e in errors] + texts))


def _build(args, config) -> int:
    from pipeline.cli.progress import progress_display
    from pipeline.publish import build_and_publish

    changes = {}
    if args.paper:
        changes["paper"] = args.paper
        changes["language_options"] = {tag: _without_paper(options) for tag, options in config.language_options.items()}
    if args.tts:
        changes["prefer"] = (args.tts,)
    if changes:
        config = config.with_overrides(**changes)
    with progress_display(quiet=args.quiet) as progress:
        report = build_and_publish(config, args.formats, slugs=args.slugs, languages=args.languages,
                                   jobs=max(1, args.jobs), scheduler=args.scheduler, wait=not args.no_wait,
                                   scheduler_timeout=args.scheduler_timeout,
                                   progress=progress)
    for problem in report.problems:
        _error(problem.one_line())
    for notice in report.notices:
        print(f"note: {notice}", file=sys.stderr)
    for failure in report.failed:
        _error(failure.one_line())
    for line in waiting_lines(report.waiting):
        print(line, file=sys.stderr)
    where = f" on {report.executor}" if report.executor else ""
    print(f"built {len(report.built)}, up to date {len(report.cached)}, failed {len(report.failed)}, "
          f"waiting {len(report.waiting)} ({report.seconds:.1f} s{where})")
    strict = args.strict or config.strict
    if report.problems or report.failed or (strict and report.waiting):
        return EXIT_PROBLEMS
    return EXIT_OK


def waiting_lines(waiting, most: int = 6) -> list[str]:
    """A short summary of what is not built yet and why (translation or review not done):
    languages that wait for the same articles share a line, so a hundred new articles in
    thirteen languages is one line."""
    lines: list[str] = []
    for kind in ("translation", "review by a qualified medical translator"):
        pairs = [p for p in waiting if ("review" in kind) == any("unreviewed" in r for r in p.skip_reasons)]
        if not pairs:
            continue
        articles_of: dict[str, list[str]] = {}
        for pair in pairs:
            articles_of.setdefault(pair.language, []).append(pair.slug)
        groups: dict[tuple[str, ...], list[str]] = {}
        for language, slugs in articles_of.items():
            groups.setdefault(tuple(slugs), []).append(language)
        lines.append(f"waiting for {kind} (not built; 'handouts status' shows what is missing):")
        for slugs, languages in list(groups.items())[:most]:
            names = ", ".join(slugs[:3]) + (f" and {len(slugs) - 3} more" if len(slugs) > 3 else "")
            count = f"{len(slugs)} article{'s' if len(slugs) != 1 else ''}"
            lines.append(f"  {', '.join(languages)}: {count} ({names})")
        if len(groups) > most:
            rest = sum(len(languages) for languages in list(groups.values())[most:])
            lines.append(f"  and {rest} more languages")
        if "review" in kind:
            lines += _segments_waiting(pairs, most)
    return lines


def _segments_waiting(pairs, most: int) -> list[str]:
    """For partly reviewed translations: which segments wait for approval."""
    lines = []
    for pair in pairs:
        review = pair.review_state or {}
        if review.get("approved"):
            ids = review["waiting"]
            shown = ", ".join(ids[:most]) + (f" and {len(ids) - most} more" if len(ids) > most else "")
            lines.append(f"  {pair.language} {pair.slug}: {len(ids)} of {review['total']} segments wait for "
                         f"approval ({shown}; 'handouts review' makes their sheet)")
    return lines


def _review(args, config) -> int:
    from pipeline.publish.review_sheets import make_sheets

    reports, problems = make_sheets(config, slugs=args.slugs, languages=args.languages,
                                    every_segment=args.every_segment)
    for problem in problems:
        _error(problem.one_line())
    for report in reports:
        if report.skipped:
            print(f"{report.language} {report.slug}: no sheet: {report.skipped}")
            continue
        blocked = "" if report.approvable else "; cannot be approved until it is complete"
        print(f"{report.language} {report.slug}: {report.shown} of {report.total} segments, digest "
              f"{report.digest[:12]}{blocked}: {', '.join(report.files)}")
    return EXIT_PROBLEMS if problems else EXIT_OK


def _approve(args, config) -> int:
    from pipeline.inputs.approve import approve, check_approver
    from pipeline.publish.review_sheets import find_sheet

    approver, date = check_approver(args.reviewer, args.credential, args.date)
    sheet, shown = find_sheet(config, args.sheet)
    done = approve(config, sheet, shown, approver, date)
    if done.already:
        print(f"{done.catalog}: every segment of {shown} is already approved by {approver.display}; nothing written")
    else:
        print(f"{done.catalog}: {done.segments} segments approved by {approver.display} on {date} ({shown})")
    return EXIT_OK


def _voices(args, config) -> int:
    from pipeline.cli.voices import voice_lines

    lines, sound = voice_lines(config)
    for line in lines:
        print(line)
    return EXIT_OK if sound else EXIT_PROBLEMS


def _without_paper(options):
    import dataclasses

    return dataclasses.replace(options, paper=None)


def _check(args, config) -> int:
    from pipeline.cli.check import run_checks

    lines, ok = run_checks(config, slugs=args.slugs, languages=args.languages)
    for line in lines:
        print(line)
    return EXIT_OK if ok else EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
