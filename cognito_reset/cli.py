"""The `cognito-reset` command: what a security team runs to reset users, watch it happen and finish the job.

Exit codes: 0 done (reset, dry run, or a duplicate within the cooldown), 1 the reset failed for a reason in the
result (for a run: some users failed or are unfinished; for `doctor`: no reset can be delivered as designed), 2 the
operator must fix something (options, a manifest, a run larger than the pool delivers today, the stack, credentials), 3
AWS failed in a way a retry may fix.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from cognito_reset.account import FAILURES, Account, Failure, failure_of, refused_request
from cognito_reset.arguments import SharedOptionsAnywhere
from cognito_reset.audit import defaults_said, run_event
from cognito_reset.completion import check_completion
from cognito_reset.delivery import OVER_SEVERAL_DAYS, DeliveryFacts, can_deliver, problems, screen, size_run
from cognito_reset.delivery import document as delivery_document
from cognito_reset.known_values import deployment_catalog, option_findings, row_findings
from cognito_reset.manifest import (
    JSONL_SUFFIX,
    ManifestCheck,
    check_manifest,
    defaults_errors,
    line_runs,
    run_defaults,
    selection_manifest,
)
from cognito_reset.preview import preview_administrator_reset
from cognito_reset.progress import ProgressBar
from cognito_reset.run_memory import RunMemory
from cognito_reset.run_rows import RunRows, manifest_rows, rows_of, run_defaults_of, run_rows, source_of
from cognito_reset.runs import (
    BulkWorkflow,
    ManifestSource,
    Progress,
    RunSummary,
    new_run_id,
    require_run_id,
    s3_uri,
    started_by_of,
    started_line,
)
from cognito_reset.selection import DEFAULT_RATE, filtered_users, group_members
from cognito_reset.single import ExecutionNotSucceeded, NotPublished
from cognito_reset.spreadsheet import csv_text
from cognito_reset.stack import AwsAccess, Connection, OperatorError, StackResources
from contracts import stack as outputs
from contracts.bulk import SOURCE_EVIDENCE, SOURCE_FILE, STOP_SETTLES_SECONDS
from contracts.client_metadata import metadata_errors
from contracts.events import (
    BULK_RUN_STARTED,
    BULK_RUN_STOPPED,
    request_entry,
)
from contracts.identifiers import PoolRules
from contracts.results import FailureReason, ResetStatus
from message_tooling.message_pack import Deployment, MessagePackError

T = TypeVar("T")

DONE, FAILED, OPERATOR, AWS = 0, 1, 2, 3
INTERRUPTED = 130
SELECTION = "selection.jsonl"  # the manifest the CLI writes for --group and --filter
# A run of more users than this starts once its size is typed back (or with --yes).
CONFIRM_ABOVE = 100
app = typer.Typer(
    cls=SharedOptionsAnywhere,
    help=__doc__.splitlines()[0] + " The shared options (--json, --stack-name, ...) go before or after the command.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help (click's): it wraps to the terminal and stays readable at 80 columns, where rich's option tables
    # squeeze the descriptions into a narrow column.
    rich_markup_mode=None,
)
err = Console(stderr=True)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _four_hex_digits() -> str:
    return secrets.token_hex(2)


def _ask(prompt: str) -> str:
    """A question on stderr (stdout stays the command's output), the answer from stdin."""
    err.print(prompt, end="", markup=False, highlight=False)
    return input()


@dataclass
class Runtime:
    """What the commands run with besides their options. `cognito-reset` builds it; a test hands in its own (in-memory
    AWS clients, a clock that does not wait) as typer's context object."""

    aws: AwsAccess | None = None  # None: a Connection from the options
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = _utc_now
    now_seconds: Callable[[], float] = time.time  # epoch seconds, for the records the run's memory keeps
    random_hex: Callable[[], str] = _four_hex_digits
    interactive: bool | None = None  # whether someone can type an answer; None: whether stdin is a terminal
    ask: Callable[[str], str] = _ask
    terminal: bool | None = None  # whether stdout can show a progress bar; None: ask the console
    stdout: Console = field(default_factory=Console)
    # Where `preview` looks for the CDK app's cdk.json (the deployment's messagePack): the working directory.
    app_directory: Callable[[], Path] = Path.cwd


class Options:
    """The options every command shares, set once by the callback."""

    account = Account(Connection())
    runtime = Runtime()
    as_json = False


@app.callback()
def connect(  # noqa: PLR0917 - typer reads the options from the signature
    ctx: typer.Context,
    stack_name: Annotated[str, typer.Option(help="The stack's name.")] = outputs.STACK_NAME,
    region: Annotated[str | None, typer.Option(help="AWS Region (default: the standard chain).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile.")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="Another endpoint, such as the local system's (or AWS_ENDPOINT_URL).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    runtime = ctx.obj if isinstance(ctx.obj, Runtime) else Runtime()
    Options.runtime = runtime
    Options.account = Account(runtime.aws or Connection(stack_name, region, profile, endpoint_url))
    Options.as_json = json_output


@app.command(short_help="Reset one user (the bus, or the workflow with --wait).")
def request(  # noqa: PLR0917 - typer reads the command's options from its signature
    username: Annotated[str | None, typer.Option(help="The user's username (or an alias).")] = None,
    email: Annotated[str | None, typer.Option(help="The user's e-mail address.")] = None,
    sub: Annotated[str | None, typer.Option(help="The user's sub.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why: admin_request, security_incident, ...")] = None,
    locale: Annotated[str | None, typer.Option(help="The message's language, such as de-AT.")] = None,
    brand: Annotated[str | None, typer.Option(help="The message's brand id.")] = None,
    reference: Annotated[str | None, typer.Option(help="A ticket or incident reference for the message.")] = None,
    user_pool_id: Annotated[str | None, typer.Option(help="Another allowed pool (default: the stack's).")] = None,
    global_sign_out: Annotated[bool, typer.Option(help="Also sign the user out everywhere.")] = False,
    request_id: Annotated[str | None, typer.Option(help="An idempotency key of your own.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Validate and resolve the user; send nothing.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="Send a second code although the user was reset inside their cooldown window: on purpose, audited as "
            "'Password Reset Forced'. Goes through the single-reset workflow (implies --wait)."
        ),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(help="Run the single-reset workflow and print its result (default: put the request on the bus)."),
    ] = False,
) -> None:
    """Reset one user: through the request bus, or through the single-reset workflow with --wait."""
    metadata = {
        key: value
        for key, value in {"reason": reason, "locale": locale, "brand": brand, "reference": reference}.items()
        if value is not None
    }
    detail: dict[str, Any] = {
        key: value
        for key, value in {"username": username, "email": email, "sub": sub, "userPoolId": user_pool_id}.items()
        if value is not None
    }
    if len(detail.keys() & {"username", "email", "sub"}) != 1:
        fail(OPERATOR, "request: give exactly one of --username, --email or --sub")
    detail |= {"globalSignOut": global_sign_out, "dryRun": dry_run}
    if metadata:
        detail["clientMetadata"] = metadata
    if request_id:
        detail["requestId"] = request_id
    if force:
        # The request bus refuses force (an event never overrides the window): a forced reset is this operator's call,
        # made through the single-reset workflow.
        detail["force"] = True
    resources = found()
    known_values(resources, metadata, nothing="nothing was sent")
    try:
        if wait or force:
            result = run_single_reset(resources, detail)
            say(result, f"{result.get('status')}: {describe(result)}")
            raise typer.Exit(result_exit_code(result))
        event_id = put_request(resources, detail)
    except OperatorError as error:
        fail(OPERATOR, str(error))
    say({"eventId": event_id, "status": "queued"}, f"queued: event {event_id} is on the request bus")


# The run's defaults, shared by `bulk` and `preview`.
Reason = Annotated[str | None, typer.Option(help="Why: admin_request, security_incident, policy_rotation, ...")]
Locale = Annotated[str | None, typer.Option(help="The messages' language, such as de-AT.")]
Brand = Annotated[str | None, typer.Option(help="The messages' brand id.")]
Reference = Annotated[str | None, typer.Option(help="A ticket or incident reference shown in the messages.")]
Rate = Annotated[
    float,
    typer.Option(
        min=0.1,
        help="Cognito calls per second for listing or looking up users; they count against Cognito's request-rate "
        "quota for the account and Region, which the run and every app there share.",
    ),
]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Print the run id and return at once.")]


@app.command(short_help="Reset a manifest's, a group's or a filter's users.")
def bulk(  # noqa: PLR0917 - typer reads the command's options from its signature
    manifest: Annotated[
        Path | None,
        typer.Argument(help="A manifest: CSV with a header row (username, email or sub; overrides) or JSON Lines."),
    ] = None,
    group: Annotated[str | None, typer.Option(help="Every member of this Cognito group instead.")] = None,
    filter_expression: Annotated[
        str | None,
        typer.Option("--filter", help="The users a ListUsers filter matches instead, such as 'email ^= \"a\"'."),
    ] = None,
    rerun: Annotated[
        str | None,
        typer.Option(
            help="A new run of exactly the rows this run did not reset (failed, unconfirmed, unfinished: what "
            "`status RUN --failed` lists), with its defaults; users reset inside their cooldown are skipped, "
            "never sent a second code."
        ),
    ] = None,
    reason: Reason = None,
    locale: Locale = None,
    brand: Brand = None,
    reference: Reference = None,
    global_sign_out: Annotated[bool, typer.Option(help="Also sign every user out everywhere.")] = False,
    user_pool_id: Annotated[
        str | None, typer.Option(help="Another allowed pool (default: the stack's); also the pool --group lists.")
    ] = None,
    run_id: Annotated[
        str | None,
        typer.Option(help="The run's name (default: bulk-<UTC time>-<4 hex>). A new run id starts a new run."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            help="Validate, then run the workflow with dryRun: every user is resolved and judged, nothing is sent; "
            "the results say dry_run per user."
        ),
    ] = False,
    rate: Rate = DEFAULT_RATE,
    no_wait: NoWait = False,
    hold_modified_since: Annotated[
        str | None,
        typer.Option(
            help="The incident's start (ISO 8601 with its offset, such as 2026-12-04T22:00Z): every selected user "
            "whose record changed after it (UserLastModifiedDate) is held for review, never reset, and listed by "
            "`status RUN --failed`: an attacker who held the account may have changed its e-mail or phone."
        ),
    ] = None,
    exclude_group: Annotated[
        list[str] | None,
        typer.Option(
            help="Keep this group's members out of the run (break-glass, administrators): they are skipped. Repeatable."
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", help=f"Start a run of more than {CONFIRM_ABOVE} users without typing its size back (for scripts)."
        ),
    ] = False,
    over_several_days: Annotated[
        bool,
        typer.Option(
            OVER_SEVERAL_DAYS,
            help="Start a run larger than what the pool can deliver today: it stops at the pool's daily limit and is "
            "continued the next day (without this, such a run is refused).",
        ),
    ] = False,
) -> None:
    """Reset every user of a manifest, a group or a filter through the bulk workflow.

    Checks the whole selection first, then sizes the run against what the pool can deliver today (`doctor`): nothing
    is uploaded or started while anything is wrong. Then uploads the manifest, starts the run, and shows its progress
    and summary.
    """
    if sum(source is not None for source in (manifest, group, filter_expression, rerun)) != 1:
        fail(OPERATOR, "bulk: give exactly one of FILE, --group, --filter or --rerun")
    runtime = Options.runtime
    run_id = run_id or new_run_id(runtime.now(), runtime.random_hex())
    problems: list[str] = []
    hold = None
    if hold_modified_since is not None:
        try:
            hold = hold_time(hold_modified_since, runtime.now())
        except ValueError as error:
            problems.append(f"--hold-modified-since: {error}")
    chosen = run_defaults(
        reason=reason,
        locale=locale,
        brand=brand,
        reference=reference,
        global_sign_out=global_sign_out,
        user_pool_id=user_pool_id,
        dry_run=dry_run,
        hold_modified_since=hold,
        exclude_groups=exclude_group or (),
    )
    problems += [f"options: {problem}" for problem in defaults_errors(chosen)]
    if rerun is not None and set(chosen) - {"dryRun"}:
        problems.append(
            "--rerun: a rerun keeps the run's own defaults (reason, locale, brand, its rails, ...): give none"
        )
    try:
        require_run_id(run_id)
    except OperatorError as error:
        problems.append(f"--run-id: {error}")
    if problems:
        fail(OPERATOR, *problems)
    selected = selection(manifest, group, filter_expression, rerun, chosen, rate)
    check = check_manifest(selected.name, selected.content, selected.defaults)
    if not check.ok:
        report(check)  # before AWS is asked anything
    resources = selected.resources or found()
    check = check.judged_by(pool_rules(resources, selected.defaults.get("userPoolId")))
    report(check)
    known_values(resources, selected.defaults.get("clientMetadata") or {}, check)
    source = selected.source
    if manifest is not None:
        source = ManifestSource(
            file=manifest.name,
            original=selected.content,
            original_suffix=manifest.suffix,
            lines=line_runs(check.source_lines),
        )
    if not selected.defaults.get("dryRun"):  # a dry run sends nothing: it is not sized, nor asked for
        pool = selected.defaults.get("userPoolId")
        size(resources, pool, check.distinct_users, over_several_days=over_several_days)
        if check.distinct_users > CONFIRM_ABOVE and not yes:
            confirm_size(check.distinct_users)
    by = aws_call(lambda: Options.account.caller(runtime.now()))
    workflow = bulk_workflow(resources)
    key = aws_call(
        lambda: workflow.start(run_id, check.normalized, JSONL_SUFFIX, selected.defaults, source, started_by=by)
    )
    counts = {"rows": check.users, "users": check.distinct_users} | defaults_said(selected.defaults)
    if source is not None and source.rerun_of is not None:
        counts["rerunOf"] = source.rerun_of
    audit(resources, run_event(BULK_RUN_STARTED, run_id, by, **counts))
    watch_from_start(workflow, run_id, key, selected.defaults, source, no_wait=no_wait)


@dataclass(frozen=True, slots=True)
class Selection:
    """A run's users before they are checked: the manifest's name and content, the run's defaults, where they came
    from (a rerun's), and the stack's resources if they had to be found already."""

    name: str
    content: bytes
    defaults: dict[str, Any]
    source: ManifestSource | None = None
    resources: StackResources | None = None


def selection(  # noqa: PLR0917 - the four ways to select a run's users, one of them given
    manifest: Path | None,
    group: str | None,
    filter_expression: str | None,
    rerun: str | None,
    chosen: dict[str, Any],
    rate: float,
) -> Selection:
    if manifest is not None:
        return Selection(manifest.name, read_manifest(manifest), chosen)
    resources = found()
    if rerun is not None:
        name, content, source, defaults = rerun_of(bulk_workflow(resources), rerun, chosen)
        return Selection(name, content, defaults, source, resources)
    pool = chosen.get("userPoolId") or required(resources, outputs.USER_POOL_ID)
    return Selection(SELECTION, select_users(pool, group, filter_expression, rate), chosen, resources=resources)


def watch_from_start(
    workflow: BulkWorkflow,
    run_id: str,
    key: str,
    defaults: dict[str, Any],
    source: ManifestSource | None,
    *,
    no_wait: bool,
) -> None:
    """The started run: its id (--no-wait), or its progress and summary."""
    started = {"runId": run_id, "executionArn": workflow.execution_arn(run_id), "status": "RUNNING"}
    started["manifest"] = s3_uri(workflow.bucket, key)
    rerun = source.rerun_of if source is not None else None
    if rerun is not None:
        started["rerunOf"] = rerun
    if no_wait:
        say(started, run_id)
        return
    if not Options.as_json:
        dry = " (dry run: nothing is sent)" if defaults.get("dryRun") else ""
        again = f" (a rerun of {rerun})" if rerun is not None else ""
        typer.echo(f"run {run_id} started{again}{dry}: {started['manifest']}")
    watch_to_the_end(workflow, run_id)


def audit(resources: StackResources, entry: dict[str, Any]) -> None:
    """An audit event on the stack's bus; a refusal is a warning (the run has started or stopped either way)."""
    reason = Options.account.announce(resources, entry)
    if reason is not None:
        echo_error(f"warning: the audit event {entry['DetailType']!r} was not published: {reason}")


def pool_rules(resources: StackResources, pool_id: str | None) -> PoolRules:
    """How the run's pool names its users (DescribeUserPool): which rows name the same user (docs/identifiers.md)."""
    pool = pool_id or required(resources, outputs.USER_POOL_ID)
    return aws_call(lambda: Options.account.pool_rules(pool))


def known_values(
    resources: StackResources,
    metadata: Mapping[str, Any],
    check: ManifestCheck | None = None,
    nothing: str = "nothing was uploaded or started",
) -> None:
    """The run's (or the request's) reason, brand and locale, and every row's, against what the deployed trigger
    knows: warnings on stderr; an unknown reason or brand stops everything (exit 2)."""
    try:
        catalog = deployment_catalog(resources)
    except OperatorError as error:
        fail(OPERATOR, str(error))
    if catalog is None:
        echo_error(
            f"warning: the stack publishes no {outputs.MESSAGE_CATALOG} (deployed before this version): reasons, "
            "brands and locales are not checked"
        )
        return
    options = option_findings(catalog, metadata)
    errors, warnings = row_findings(catalog, check) if check is not None else ([], [])
    for warning in options.warnings:
        echo_error(f"warning: {warning}")
    if check is not None:
        for line in check.listing(tuple(warnings)):
            echo_error(f"warning: {line}")
        for line in check.listing(tuple(errors)):
            echo_error(line)
    if options.errors or errors:
        fail(OPERATOR, *options.errors, nothing)


def hold_time(value: str, now: datetime) -> str:
    """--hold-modified-since as the request's holdModifiedSince: an ISO 8601 time with its offset, not in the future."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("not an ISO 8601 time (such as 2026-12-04T22:00Z or 2026-12-04T23:00+01:00)") from None
    if moment.tzinfo is None:
        raise ValueError("give the time's offset (Z for UTC, or such as +01:00): without it the hold is ambiguous")
    if moment > now:
        raise ValueError(f"in the future ({moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC): it would hold nobody")
    return moment.isoformat()


def confirm_size(users: int) -> None:
    """A large run starts only once its size is typed back (or --yes): the safeguard against the wrong file."""
    runtime = Options.runtime
    interactive = runtime.interactive if runtime.interactive is not None else sys.stdin.isatty()
    if not interactive:
        fail(
            OPERATOR,
            f"a run of {users:,} users starts once its size is typed back: run it at a terminal, or give --yes; "
            "nothing was uploaded or started",
        )
    answer = runtime.ask(f"This run resets {users:,} users. Type {users} to start it: ")
    if answer.strip().replace(",", "") != str(users):
        fail(OPERATOR, "not started: what was typed is not the run's size; nothing was uploaded or started")


def rerun_of(
    workflow: BulkWorkflow, run: str, chosen: dict[str, Any]
) -> tuple[str, bytes, ManifestSource, dict[str, Any]]:
    """A new run's manifest of exactly the rows a run did not reset (failed, unconfirmed, unfinished), as that run's
    manifest gave them, with its defaults (and --dry-run, if given) and its line map."""
    progress = aws_call(lambda: workflow.progress(run))
    if not progress.ended:
        fail(OPERATOR, f"--rerun: run {run} is still {progress.status}: rerun it once it has ended (or stop it)")
    listed = aws_call(lambda: rows_of(workflow, progress, workflow.summary(progress)))
    held = [row for row in listed.rows if row.reason == FailureReason.HELD_FOR_REVIEW]
    rows = replace(listed, rows=tuple(row for row in listed.rows if row not in held))
    if held and not Options.as_json:
        echo_error(
            f"--rerun: {len(held):,} rows held for review are left out (the same hold would hold them again): verify "
            "those users, then reset them by hand (cognito-reset request)"
        )
    if not rows.rows:
        fail(OPERATOR, f"--rerun: run {run} left no row to act on: nothing to rerun")
    _key, manifest_items = aws_call(lambda: manifest_rows(workflow, progress))
    if any(row.index is None for row in rows.rows):
        fail(
            OPERATOR,
            f"--rerun: run {run} lists rows without their place in its manifest: list them with `cognito-reset status "
            f"{run} --failed --csv FILE` and start a run of that file",
        )
    indexed = sorted({row.index for row in rows.rows if row.index is not None})
    content = "".join(json.dumps(manifest_items[index]) + "\n" for index in indexed).encode()
    original_lines = {row.index: row.line for row in rows.rows}
    evidence = source_of(progress)
    source = ManifestSource(
        file=str(evidence.get(SOURCE_FILE) or f"the manifest of {run}"),
        evidence=evidence.get(SOURCE_EVIDENCE),
        lines=line_runs([original_lines.get(index) or 0 for index in indexed]),
        rerun_of=run,
    )
    defaults = run_defaults_of(progress) | ({"dryRun": True} if chosen.get("dryRun") else {})
    if not Options.as_json:
        typer.echo(f"rerun of {run}: {len(indexed):,} rows ({rows.counted_line()}), its defaults")
    return f"rerun-of-{run}.jsonl", content, source, defaults


@app.command(short_help="What the pool can deliver today, and the fixes.")
def doctor() -> None:
    """What the deployment's pool can deliver today, and each problem with its fix.

    How the pool sends e-mail (Cognito's own sender or an SES identity: verified, sandbox, quota, send rate) and SMS,
    its account recovery, its CustomMessage trigger, the stack's pace and alarms. Exit 0 when a reset can be delivered
    as designed, 1 when not.
    """
    resources = found()
    facts: DeliveryFacts = aws_call(lambda: Options.account.delivery(resources))
    found_problems = problems(facts)
    say(
        delivery_document(facts, found_problems),
        "\n".join(screen(facts, Options.account.stack_name, found_problems)),
    )
    raise typer.Exit(DONE if can_deliver(found_problems) else FAILED)


@app.command(short_help="A run's progress or summary; --failed lists who.")
def status(
    run: Annotated[str, typer.Argument(help="The run id.")],
    completion: Annotated[
        bool,
        typer.Option(
            help="When the run has ended, read the status of each user it reset, at --rate calls per second: one "
            "AdminGetUser each, or for a large run ListUsers by status (the cheaper)."
        ),
    ] = True,
    rate: Rate = DEFAULT_RATE,
    failed: Annotated[
        bool,
        typer.Option(
            "--failed",
            help="List every row the run did not reset (failed, unconfirmed, unfinished) with its line in your file, "
            "the user as the row named them, and why.",
        ),
    ] = False,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="With --failed: also write those rows to this CSV file (for the incident ticket)."),
    ] = None,
) -> None:
    """A run's progress, or its summary and how many of its users have chosen a new password since.

    While the run runs: its progress. When it has ended: its summary, and each user it reset looked up in the pool.
    With --failed: the rows to act on, which `bulk --rerun RUN` runs again.
    """
    if csv_file is not None and not failed:
        fail(OPERATOR, "--csv: give it with --failed (the rows to act on are what it writes)")
    resources = found()
    workflow = bulk_workflow(resources)
    if failed:
        list_rows(aws_call(lambda: run_rows(workflow, run)), csv_file)
    progress = aws_call(lambda: workflow.progress(run))
    deliveries = aws_call(lambda: Options.account.run_deliveries(resources, run))
    if not progress.ended:
        lines = [progress.line(Options.runtime.now()), *filter(None, [started_line(progress)]), *deliveries.lines()]
        document = progress.document() | {"startedBy": dict(started_by_of(progress)) or None}
        say(document | deliveries.document(), "\n".join(lines))
        return
    summary: RunSummary = aws_call(lambda: workflow.summary(progress))
    document, lines = summary.document(), summary.lines()
    folder = workflow.results_folder(summary) if completion else None
    if folder is not None:
        bucket, prefix = folder
        paced = Options.account.paced_cognito(rate, clock=Options.runtime.clock, sleep=Options.runtime.sleep)
        pool = resources.outputs.get(outputs.USER_POOL_ID, "")
        users = Options.account.reset_users(bucket, prefix)
        done = aws_call(lambda: check_completion(paced, users, pool))
        document["completion"] = done.document()
        lines += done.lines()
    document |= deliveries.document()
    lines += deliveries.lines()
    say(document, "\n".join(lines))
    raise typer.Exit(summary.exit_code)


@app.command(short_help="The newest bulk runs: who, when, status, counts.")
def runs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many of the newest runs to list.")] = 10,
) -> None:
    """The newest bulk runs: id, who started them, when, status and counts (newest first)."""
    workflow = bulk_workflow(found())
    listed: list[dict[str, Any]] = []
    for run_id in aws_call(lambda: workflow.recent(limit)):
        progress: Progress = aws_call(lambda: workflow.progress(run_id))  # noqa: B023 - called at once
        summary = aws_call(lambda: workflow.summary(progress)) if progress.ended else RunSummary(progress, None)  # noqa: B023
        listed.append(summary.listing())
    lines = [f"{'run':<32} {'started (UTC)':<16} {'status':<10} {'users':>7}  counts / by"]
    for run in listed:
        when = (run["startedAt"] or "?")[:16].replace("T", " ")
        if run["users"] is not None:
            counts = ", ".join(f"{status} {n:,}" for status, n in sorted(run["statuses"].items()) if n) or "none"
            users = f"{run['users']:,}"
        else:
            counts = f"{run['progress']['done']:,} of {run['progress']['total']:,} rows done"
            users = "-"
        status = "HALTED" if run["haltedAtDeliveryLimit"] else run["status"]
        lines.append(f"{run['runId']:<32} {when:<16} {status:<10} {users:>7}  {counts}")
        lines.append(f"{'':<32} by {run['startedBy'] or '(not recorded)'}")
    if not listed:
        lines = ["no bulk runs yet"]
    say({"runs": listed}, "\n".join(lines))


# The rows' columns, in the table, the CSV file and the JSON document alike.
ROW_COLUMNS = ("line", "username", "email", "sub", "outcome", "reason", "detail")


def list_rows(rows: RunRows, csv_file: Path | None) -> NoReturn:
    """The rows to act on: a table (or --json), and the CSV file; exit 1 when there is any, 0 when none."""
    document = rows.document()
    if csv_file is not None:
        table = csv_text(ROW_COLUMNS, ([row.document().get(column) for column in ROW_COLUMNS] for row in rows.rows))
        try:
            csv_file.write_text(table, encoding="utf-8", newline="")
        except OSError as error:
            fail(OPERATOR, f"{csv_file}: {error.strerror}")
        document["csv"] = str(csv_file)
    found_rows = len(rows.rows)
    lines = [f"run {rows.run_id}: {found_rows:,} row{'s' if found_rows != 1 else ''} to act on ({rows.counted_line()})"]
    if not rows.from_summary:
        lines.append("  (read back from the run's batches: the run ended before its summary)")
    if rows.rows:
        width = max(len("line"), *(len(str(row.line or "?")) for row in rows.rows))
        lines.append(f"  {'line':>{width}}  {'outcome':<11}  {'reason':<24}  user")
        lines += [
            f"  {row.line or '?':>{width}}  {row.outcome:<11}  {row.reason or '':<24}  {row.named}" for row in rows.rows
        ]
        lines.append(f"  rerun exactly these: cognito-reset bulk --rerun {rows.run_id}")
    if csv_file is not None:
        lines.append(f"  written to {csv_file}")
    say(document, "\n".join(lines))
    raise typer.Exit(FAILED if rows.rows else DONE)


@app.command(short_help="Continue a failed, stopped or halted run.")
def redrive(run: Annotated[str, typer.Argument(help="The run id.")], no_wait: NoWait = False) -> None:
    """Redrive a run that failed, timed out or was aborted: its unfinished users are tried again.

    Nobody the run reset is reset twice; Step Functions redrives a run for a limited time after it stopped. Then the
    run's progress and summary, as `bulk` shows them.
    """
    resources = found()
    workflow = bulk_workflow(resources)
    memory = run_memory(resources)
    aws_call(lambda: workflow.redrive(run, Options.runtime.now(), before=lambda: memory.lift_stop(run)))
    if no_wait:
        say({"runId": run, "executionArn": workflow.execution_arn(run), "status": "RUNNING"}, run)
        return
    if not Options.as_json:
        typer.echo(f"run {run} redriven: its unfinished users are tried again")
    watch_to_the_end(workflow, run)


@app.command(short_help="Stop a run: no batch starts another user.")
def stop(
    run: Annotated[str, typer.Argument(help="The run id.")],
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait",
            help="Return once the run is stopped, without waiting for the users in progress or listing what was done "
            "(`status RUN --failed` lists it later).",
        ),
    ] = False,
) -> None:
    """Stop a run: no batch starts another user; then what it did and what it did not.

    Marks the run stopped (its batches read the mark every few seconds and start no other user), stops its execution
    (StopExecution), waits until no batch can still be resetting anyone, and prints what the run did and the rows it
    did not reset, from the run's own records. `bulk --rerun RUN` continues it later with exactly those rows, or
    `redrive RUN` (which lifts the stop). Ctrl-C while a run is watched only stops the watching.
    """
    resources = found()
    workflow = bulk_workflow(resources)
    memory = run_memory(resources)
    progress = aws_call(lambda: workflow.progress(run))
    if progress.ended:
        fail(
            OPERATOR,
            f"run {run} is not running ({progress.status}): nothing to stop; `cognito-reset status {run} --failed` "
            "lists the rows it did not reset",
        )
    runtime = Options.runtime
    by = aws_call(lambda: Options.account.caller(runtime.now()))
    aws_call(lambda: memory.stop(run))
    marked = runtime.clock()
    aws_call(lambda: workflow.stop(run))
    audit(resources, run_event(BULK_RUN_STOPPED, run, by, done=progress.done, total=progress.total))
    if no_wait:
        settled = runtime.now() + timedelta(seconds=STOP_SETTLES_SECONDS)
        say(
            {"runId": run, "status": "ABORTED", "settledBy": settled.isoformat()},
            f"run {run} stopped: no batch starts another user; the users in progress are done by "
            f"{settled:%H:%M:%S} UTC, then `cognito-reset status {run} --failed` lists the rows it did not reset",
        )
        return
    if not Options.as_json:
        typer.echo(
            f"run {run} stopped: no batch starts another user; waiting {STOP_SETTLES_SECONDS} s for the users in "
            "progress to finish"
        )
    try:
        while (left := STOP_SETTLES_SECONDS - (runtime.clock() - marked)) > 0:
            runtime.sleep(min(left, 5.0))
    except KeyboardInterrupt:
        fail(INTERRUPTED, f"stopped waiting; run {run} is stopped: cognito-reset status {run} --failed")
    rows = aws_call(lambda: run_rows(workflow, run))
    statuses = dict(rows.counts.get("statuses") or {})
    done = ", ".join(f"{status} {count:,}" for status, count in sorted(statuses.items()) if count) or "nobody"
    document = {"runId": run, "status": "ABORTED", "statuses": statuses} | rows.document()
    lines = [
        f"run {run}: stopped",
        f"  done: {done}",
        f"  not done: {len(rows.rows):,} rows ({rows.counted_line()})",
        "  a user a stopped batch was working on may have been sent a code before the stop: a rerun skips anyone "
        "reset inside their cooldown, so nobody is sent a second code",
        f"  the rows: cognito-reset status {run} --failed; continue later: cognito-reset bulk --rerun {run}",
    ]
    say(document, "\n".join(lines))


@app.command(short_help="What users receive for a reset with these options.")
def preview(  # noqa: PLR0917 - typer reads the command's options from its signature
    reason: Reason = None,
    locale: Locale = None,
    brand: Brand = None,
    reference: Reference = None,
    html: Annotated[Path | None, typer.Option(help="Also write the e-mail's HTML body to this file.")] = None,
    message_pack: Annotated[
        Path | None,
        typer.Option(
            help="The deployment's message pack (default: the messagePack of ./cdk.json, if it names one; its "
            "defaultLocale and defaultBrand apply too).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """What users will receive for an administrator's reset with these options.

    The e-mail's subject and plain-text body (as a pool that sends through its own SES identity sends them) and the
    SMS, rendered by the custom message trigger's own code from the deployment's messages: the built-in ones, with
    the deployment's message pack over them.
    """
    metadata = {
        key: value
        for key, value in {"reason": reason, "locale": locale, "brand": brand, "reference": reference}.items()
        if value is not None
    }
    problems = metadata_errors(metadata)
    if problems:
        fail(OPERATOR, *(f"options: {problem}" for problem in problems))
    deployment = Deployment.of(Options.runtime.app_directory())
    if message_pack is not None:
        deployment = replace(deployment, message_pack=message_pack)
    pack = deployment.message_pack
    try:
        shown = preview_administrator_reset(metadata, deployment)
    except MessagePackError as error:
        named = [] if message_pack is not None else [f"the message pack ./cdk.json names ({pack}) is refused:"]
        fail(OPERATOR, *named, str(error))
    document = {"messagePack": str(pack) if pack else None, **shown.document()}
    if html is not None:
        if shown.html_body is None:
            fail(OPERATOR, "preview: the trigger rendered no e-mail for these options, so there is no HTML to write")
        try:
            html.write_text(shown.html_body + "\n", encoding="utf-8")
        except OSError as error:
            fail(OPERATOR, f"{html}: {error.strerror}")
        document["html"] = str(html)
    messages = shown.messages
    lines = [
        f"messages: built-in, with the message pack {pack} over them" if pack else "messages: built-in",
        f"locale {messages.locale}, variant {messages.variant}, brand {messages.brand}"
        " (the e-mail as a pool that sends through its own SES identity sends it; under Cognito's own sender only the"
        " SMS is the trigger's)",
        f"Subject: {shown.subject or '(Cognito default)'}",
        "",
        shown.text_body or "(Cognito default)",
        "",
        f"SMS ({len(shown.sms or '')} characters): {shown.sms or '(Cognito default)'}",
    ]
    lines += [f"fallback: {f.part} {f.template} ({f.cause})" for f in messages.fallbacks]
    if html is not None:
        lines.append(f"HTML body written to {html}")
    say(document, "\n".join(lines))


def result_exit_code(result: dict[str, Any]) -> int:
    """A single reset's exit code: 2 when the function refused the request as invalid (something for the operator to
    fix), 1 when it failed for another reason, 0 otherwise."""
    if result.get("status") != ResetStatus.FAILED:
        return DONE
    return OPERATOR if result.get("reason") == FailureReason.INVALID_REQUEST else FAILED


def read_manifest(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        fail(OPERATOR, f"{path}: {error.strerror or error}")


def select_users(pool: str, group: str | None, filter_expression: str | None, rate: float) -> bytes:
    """The selection's users, listed from the pool at `rate` calls per second, as a JSON Lines manifest."""
    runtime = Options.runtime
    paced = Options.account.paced_cognito(rate, clock=runtime.clock, sleep=runtime.sleep)

    def listed() -> list[str]:
        if group is not None:
            return list(group_members(paced, pool, group))
        return list(filtered_users(paced, pool, filter_expression or ""))

    users = aws_call(listed)
    if not Options.as_json:
        typer.echo(f"{SELECTION}: {len(users):,} users listed from pool {pool} ({paced.calls:,} Cognito calls)")
    return selection_manifest(users)


def size(resources: StackResources, pool_id: str | None, users: int, *, over_several_days: bool) -> None:
    """The run against what the pool can deliver today (`doctor`'s facts): exit 2, with the limit and the fixes,
    when it cannot reset at all or is larger than today's limit (unless it may finish over several days)."""
    facts: DeliveryFacts = aws_call(lambda: Options.account.delivery(resources, pool_id, with_alarms=False))
    sizing = size_run(facts, users, over_several_days=over_several_days)
    for warning in sizing.warnings:
        echo_error(f"warning: {warning}")
    if sizing.refused:
        fail(OPERATOR, *sizing.refusal, "nothing was uploaded or started (cognito-reset doctor shows the pool)")
    if not Options.as_json:
        typer.echo(sizing.line())


def report(check: ManifestCheck) -> None:
    """Warnings and errors on stderr, every one with its line; exit 2 when there is any error."""
    for line in check.listing(check.warnings):
        echo_error(f"warning: {line}")
    for line in check.listing(check.errors):
        echo_error(line)
    if not check.ok:
        count = len(check.errors)
        fail(OPERATOR, f"{check.name}: {count:,} error{'s' if count != 1 else ''}; nothing was uploaded or started")
    if Options.as_json and check.summary_line:
        echo_error(check.summary_line)  # how the file was read, beside the one JSON document
    if not Options.as_json:
        warnings = len(check.warnings)
        if check.summary_line:
            typer.echo(check.summary_line)
        typer.echo(f"{check.name}: {check.users:,} users checked, no errors, {warnings:,} warning(s)")


def run_memory(resources: StackResources) -> RunMemory:
    return of_the_stack(lambda: Options.account.run_memory(resources, Options.runtime.now_seconds))


def bulk_workflow(resources: StackResources) -> BulkWorkflow:
    return of_the_stack(lambda: Options.account.bulk_workflow(resources))


def watch_to_the_end(workflow: BulkWorkflow, run_id: str) -> NoReturn:
    """Poll the run until it ends (a progress bar on a terminal, unless --json), print its summary, exit with it."""
    runtime = Options.runtime
    terminal = runtime.terminal if runtime.terminal is not None else runtime.stdout.is_terminal
    try:
        if terminal and not Options.as_json:
            with ProgressBar(runtime.stdout, run_id) as bar:
                final = aws_call(lambda: workflow.watch(run_id, bar.show, sleep=runtime.sleep))
        else:
            final = aws_call(lambda: workflow.watch(run_id, ignore, sleep=runtime.sleep))
    except KeyboardInterrupt:
        fail(INTERRUPTED, f"stopped watching; run {run_id} goes on: cognito-reset status {run_id}")
    summary: RunSummary = aws_call(lambda: workflow.summary(final))
    say(summary.document(), "\n".join(summary.lines()))
    raise typer.Exit(summary.exit_code)


def ignore(_progress: Progress) -> None:
    return None


def required(resources: StackResources, name: str) -> str:
    return of_the_stack(lambda: resources.require(name))


def found() -> StackResources:
    return of_the_stack(Options.account.stack)


def of_the_stack(call: Callable[[], T]) -> T:
    """What `call` reads or builds from the stack; a stack or an output that is not there is the operator's to fix."""
    try:
        return call()
    except OperatorError as error:
        fail(OPERATOR, str(error))


def put_request(resources: StackResources, detail: dict[str, Any]) -> str:
    bus = Options.account.request_bus(resources)
    try:
        return str(aws_call(lambda: bus.put(request_entry(bus.name, detail))))
    except NotPublished as refused:
        fail_with(refused_request(refused))


def run_single_reset(resources: StackResources, detail: dict[str, Any], timeout_seconds: float = 900.0) -> Any:
    runtime = Options.runtime
    workflow = Options.account.single_reset_workflow(resources, clock=runtime.clock, sleep=runtime.sleep)
    try:
        return aws_call(lambda: workflow.run(detail, timeout_seconds))
    except ExecutionNotSucceeded as ended:
        fail(AWS, str(ended))


def aws_call(call: Callable[[], T]) -> T:
    """`call`'s answer; an AWS failure (account.failure_of) ends the command with its exit code and line."""
    try:
        return call()
    except FAILURES as error:
        fail_with(failure_of(error))


def fail_with(failure: Failure) -> NoReturn:
    fail(OPERATOR if failure.operators_to_fix else AWS, failure.line)


def describe(result: dict[str, Any]) -> str:
    parts = [f"{key}={result[key]}" for key in ("username", "reason", "detail") if result.get(key)]
    flags = [name for name in ("signedOut", "duplicate", "replayed", "forced") if result.get(name)]
    last = result.get("lastReset")
    if isinstance(last, dict):
        by = f"run {last['runId']}" if last.get("runId") else f"request {last.get('requestRef') or '(no requestId)'}"
        parts.append(f"lastReset={last.get('at')} by {by}{' (forced)' if last.get('forced') else ''}")
    return " ".join(parts + flags)


def say(document: dict[str, Any], line: str) -> None:
    if Options.as_json:
        typer.echo(json.dumps(document))
    else:
        typer.echo(line)


def fail(code: int, *messages: str) -> NoReturn:
    for message in messages:
        echo_error(f"cognito-reset: {message}")
    raise typer.Exit(code)


def echo_error(line: str) -> None:
    err.print(line, markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    app()
