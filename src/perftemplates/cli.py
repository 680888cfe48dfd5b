"""The command line: the only place that prints errors and chooses exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from perftemplates.errors import PerftemplatesError
from perftemplates.frameworks import FUNCTIONS, STAGES

VARIANT = click.Choice(["blank", "example"])
FORMAT = click.Choice(["xlsx", "docx"])
COMPANY = click.option(
    "--company",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A company profile (company.yaml): name, logo, colours, fiscal year.",
)
OUT_DIR = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="The folder to write to.",
)
AS_OF = click.option(
    "--as-of", help="Build date YYYY-MM-DD (default: SOURCE_DATE_EPOCH or today)."
)


@click.group()
@click.version_option(package_name="perftemplates")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Goal-setting and performance templates as Excel and Word files."""
    context.obj = {"debug": debug}


@cli.command("list")
def list_templates() -> None:
    """List the built-in templates: id, title and formats."""
    from perftemplates.templates import FORMATS, builtin_templates

    for template in builtin_templates():
        formats = ", ".join(FORMATS)
        click.echo(f"{template.id:<20} {template.blueprint.title:<40} {formats}")


@cli.command()
@click.argument("template")
@click.option("--variant", type=VARIANT, default="blank", show_default=True)
@click.option(
    "--format",
    "fmt",
    type=FORMAT,
    multiple=True,
    help="xlsx or docx; repeat for both (default: both).",
)
@OUT_DIR
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set a parameter or setting, such as --set quarter=Q4.",
)
@COMPANY
@AS_OF
def render(
    template: str,
    variant: str,
    fmt: tuple[str, ...],
    out: Path,
    settings: tuple[str, ...],
    company: Path | None,
    as_of: str | None,
) -> None:
    """Render TEMPLATE (a built-in id, a blueprint or an override file) into --out."""
    from perftemplates.output import write_atomic
    from perftemplates.templates import build_date, file_name, find_template
    from perftemplates.templates import render as render_file

    found = find_template(template)
    date = build_date(as_of)
    overrides = _parse_settings(settings)
    brand = _brand(company)
    files = {
        f: render_file(found, variant, f, date, overrides, brand)
        for f in fmt or ("xlsx", "docx")
    }
    for kind, data in files.items():
        path = out / file_name(found.id, variant, kind)
        write_atomic(path, data)
        click.echo(f"wrote {path} ({len(data):,} bytes)")


@cli.command()
@OUT_DIR
@click.option(
    "--blueprints",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A folder of overrides and blueprints packed in place of the built-ins "
    "they extend.",
)
@COMPANY
@AS_OF
def pack(
    out: Path, blueprints: Path | None, company: Path | None, as_of: str | None
) -> None:
    """Write every template, both variants and formats, a manifest and a zip."""
    from perftemplates.pack import MANIFEST_NAME, ZIP_NAME, build_pack
    from perftemplates.templates import build_date, pack_templates

    templates = pack_templates(blueprints)
    entries = build_pack(templates, out, build_date(as_of), _brand(company))
    total = sum(entry.bytes for entry in entries)
    click.echo(
        f"wrote {len(entries)} files ({total:,} bytes), {MANIFEST_NAME} and "
        f"{ZIP_NAME} to {out}"
    )


@cli.command()
@click.argument("template")
@click.option(
    "--roster",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A CSV or XLSX file: one row per team or person, one column per value.",
)
@COMPANY
@OUT_DIR
@click.option(
    "--format",
    "formats",
    default="xlsx",
    show_default=True,
    help="xlsx, docx or both as xlsx,docx.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes to render with (default: one per CPU).",
)
@click.option("--group-by", metavar="COLUMN", help="One file per value of COLUMN.")
@click.option(
    "--name",
    "name_pattern",
    metavar="PATTERN",
    help="File names such as '{team} {quarter}' (default: the team or employee).",
)
@click.option("--zip", "make_zip", is_flag=True, help="Also write the files as a zip.")
@click.option("--force", is_flag=True, help="Replace files that differ.")
@click.option("--strict", is_flag=True, help="Write nothing if any row is bad.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
@click.option("--encoding", help="A CSV's encoding (default UTF-8), such as cp1252.")
@click.option("--sheet", help="The sheet of an XLSX roster (default: the first).")
@click.option(
    "--decimal",
    type=click.Choice([".", ","]),
    help="The roster's decimal separator, as in 1.234,50 for --decimal ,.",
)
@AS_OF
def batch(
    template: str,
    roster: Path,
    company: Path | None,
    out: Path,
    formats: str,
    workers: int | None,
    group_by: str | None,
    name_pattern: str | None,
    make_zip: bool,
    force: bool,
    strict: bool,
    quiet: bool,
    encoding: str | None,
    sheet: str | None,
    decimal: str | None,
    as_of: str | None,
) -> None:
    """One file of TEMPLATE per row (or team) of a roster, with a manifest, in --out."""
    import time

    from perftemplates.batch import Batch, Request
    from perftemplates.roster import RosterOptions
    from perftemplates.templates import build_date

    request = Request(
        template=template,
        roster=roster,
        out=out,
        as_of=build_date(as_of),
        formats=_parse_formats(formats),
        brand=_brand(company),
        workers=workers,
        group_by=group_by,
        name=name_pattern,
        zip=make_zip,
        force=force,
        strict=strict,
        roster_options=RosterOptions(encoding, sheet, decimal),
    )
    run = Batch(request)
    started = time.monotonic()
    with _stop_on_sigterm():
        counts, failures = _follow(run, quiet, started)
    for failure in failures:
        click.echo(failure, err=True)
    note = run.date_note()
    if note:
        click.echo(note, err=True)
    if not quiet:
        click.echo(_summary(run, counts, time.monotonic() - started))
    if counts["failed"]:
        raise click.exceptions.Exit(1)


def _parse_formats(text: str) -> tuple:
    from perftemplates.templates import FORMATS

    chosen = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",")))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.UsageError(
            f"--format expects xlsx, docx or xlsx,docx; found {text!r}"
        )
    return chosen


def _follow(run, quiet: bool, started: float) -> tuple[dict[str, int], list[str]]:
    """Run the batch, showing progress on a terminal; return counts and failures."""
    import time

    counts = {"written": 0, "unchanged": 0, "failed": 0}
    failures: list[str] = []
    seen_rows: set[tuple[int, str]] = set()

    def rate(_: object) -> str:
        done = sum(counts.values())
        return f"{done / max(time.monotonic() - started, 1e-9):.0f} files/s"

    show = not quiet and sys.stderr.isatty()
    with click.progressbar(
        length=run.total,
        label="Writing",
        file=sys.stderr if show else _Silent(),
        show_pos=True,
        show_eta=True,
        item_show_func=rate,
    ) as bar:
        for entry in run.run():
            counts[entry.status] += 1
            if entry.status == "failed" and (entry.row, entry.error) not in seen_rows:
                seen_rows.add((entry.row, entry.error))
                failures.append(f"{run.roster.path}: row {entry.row}: {entry.error}")
            bar.update(1, entry)
    return counts, failures


class _Silent:
    """A stream for a progress bar that must not show (not a terminal, --quiet)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _summary(run, counts: dict[str, int], seconds: float) -> str:
    from perftemplates.batch import MANIFEST_NAME

    done = sum(counts.values())
    out = run.request.out
    extra = f" and {run.zip_name}" if run.zip_name else ""
    cleaned = (
        f"; removed {run.leftovers_removed} unfinished files of an earlier run"
        if run.leftovers_removed
        else ""
    )
    return (
        f"{counts['written']} written, {counts['unchanged']} unchanged, "
        f"{counts['failed']} failed of {done:,} files in {seconds:.1f} s "
        f"({done / max(seconds, 1e-9):.0f} files/s); {MANIFEST_NAME}{extra} in "
        f"{out}{cleaned}"
    )


class _stop_on_sigterm:
    """SIGTERM stops a batch like Ctrl-C: unfinished files are removed first."""

    def __enter__(self) -> None:
        import signal

        def interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        self.previous = signal.signal(signal.SIGTERM, interrupt)

    def __exit__(self, *exc: object) -> None:
        import signal

        signal.signal(signal.SIGTERM, self.previous)


@cli.command()
@click.option("--stage", type=click.Choice(list(STAGES)), help="The company's stage.")
@click.option(
    "--function", type=click.Choice(list(FUNCTIONS)), help="The team's function."
)
@click.option(
    "--pack",
    "pack_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the recommended templates' pack here.",
)
@COMPANY
@AS_OF
def recommend(
    stage: str | None,
    function: str | None,
    pack_dir: Path | None,
    company: Path | None,
    as_of: str | None,
) -> None:
    """Frameworks that suit a company's stage and a team's function."""
    from perftemplates.frameworks import recommend as choose

    if not stage and not function:
        raise click.UsageError("give --stage, --function or both")
    found = choose(stage, function)
    for item in found:
        templates = ", ".join(item.framework.templates) or "(no template yet)"
        reasons = " and ".join(item.reasons)
        click.echo(f"{templates:<20} {item.framework.name:<44} {reasons}")
    if pack_dir:
        from perftemplates.pack import build_pack
        from perftemplates.templates import build_date, find_template

        ids = [t for item in found for t in item.framework.templates]
        templates_found = [find_template(template_id) for template_id in ids]
        entries = build_pack(
            templates_found, pack_dir, build_date(as_of), _brand(company)
        )
        click.echo(f"wrote {len(entries)} files to {pack_dir}")


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@COMPANY
def validate(files: tuple[Path, ...], company: Path | None) -> None:
    """Check blueprint and override FILES and a --company profile; print every
    problem."""
    from perftemplates.blueprint.load import load_blueprint
    from perftemplates.errors import BlueprintError

    if not files and not company:
        raise click.UsageError("give blueprint files, --company FILE, or both")
    problems = []
    if company:
        try:
            _brand(company)
            click.echo(f"{company}: OK")
        except BlueprintError as exc:
            problems += exc.problems
    for path in files:
        try:
            load_blueprint(path)
            click.echo(f"{path}: OK")
        except BlueprintError as exc:
            problems += exc.problems
    if problems:
        raise BlueprintError(problems)


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("company.yaml"),
    show_default=True,
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(out: Path, force: bool) -> None:
    """Write a commented starter company profile."""
    from perftemplates.starters import company_starter

    _write_starter(out, company_starter(), force)


@cli.command()
@click.argument("template")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def customize(template: str, out: Path | None, force: bool) -> None:
    """Write a commented starter override of TEMPLATE showing each kind of change."""
    from perftemplates.starters import override_starter
    from perftemplates.templates import find_template

    found = find_template(template)
    _write_starter(
        out or Path(f"{found.id}-custom.yaml"), override_starter(found), force
    )


def _write_starter(path: Path, text: str, force: bool) -> None:
    from perftemplates.errors import InputError
    from perftemplates.output import write_atomic

    if path.exists() and not force:
        raise InputError(f"{path} already exists; use --force to overwrite it")
    write_atomic(path, text.encode("utf-8"))
    click.echo(f"wrote {path}")


def _brand(company: Path | None):
    if company is None:
        return None
    from perftemplates.company import load_company

    return load_company(company).brand()


def _parse_settings(settings: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for item in settings:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise click.UsageError(f"--set expects KEY=VALUE; found {item!r}")
        parsed[key.strip()] = value
    return parsed


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors print one message and exit 2, failures exit 1."""
    args = list(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in args
    if debug:
        # --debug is a group option, but users add it anywhere on the line.
        args = ["--debug", *(arg for arg in args if arg != "--debug")]
    try:
        code = cli.main(args=args, prog_name="perftemplates", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except PerftemplatesError as exc:
        if debug:
            raise
        _show(exc)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the last resort must catch everything
        if debug:
            raise
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} "
            "(run 'perftemplates --debug ...' for the traceback)",
            err=True,
        )
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)


def _show(exc: PerftemplatesError) -> None:
    lines = str(exc).splitlines() or [type(exc).__name__]
    if len(lines) == 1:
        click.echo(f"Error: {lines[0]}", err=True)
        return
    for line in lines:
        click.echo(line, err=True)
    click.echo(f"Error: {len(lines)} problems found.", err=True)
