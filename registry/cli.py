"""Operator commands: seals and keys, API clients, the development identity provider, set-up and the demo."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from issuers.holders import HolderKind
from issuers.keystore import write_atomically
from issuers.sealimage import InvalidPicture
from registry.accesslog import AccessLog
from registry.archive.cli import archive_cli
from registry.atrest import reseal
from registry.errors import RegistryError
from registry.keys import DEFAULT_SEAL_DAYS
from registry.models import Seal, SharingPolicy, db
from registry.principals import OPERATOR
from registry.vocabulary import Role, values
from registry.wiring import services
from verifiers.errors import InvalidCheckpoint

seal_cli = AppGroup("seal", help="Departments' seals and the registry's own keys.")
client_cli = AppGroup("client", help="API clients.")
idp_cli = AppGroup("idp", help="The development identity provider.")
demo_cli = AppGroup("demo", help="The demo world (development only).")
audit_cli = AppGroup("audit", help="The tamper-evident access log.")
sharing_cli = AppGroup("sharing", help="Service items, sharing policies and paper-avoided statistics.")
certificates_cli = AppGroup("certificates", help="Certificates in bulk.")
data_key_cli = AppGroup("data-key", help="The keys that encrypt personal data at rest.")
stamps_cli = AppGroup("stamps", help="Stamped documents.")
staff_cli = AppGroup("staff", help="Staff accounts: the people who sign in to the console and the desk.")
P = ParamSpec("P")
R = TypeVar("R")


def _fail_on_registry_error(func: Callable[P, R]) -> Callable[P, R]:
    """Show a registry error as a command-line error, with nothing half done."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except RegistryError as e:
            db.session.rollback()
            raise click.ClickException(f"{e.code}: {e.detail}") from e

    return run


def _show(seal: Seal) -> str:
    owner = seal.department.credit_code if seal.department else seal.purpose  # registry or ca
    return (
        f"{seal.kid}  {seal.alg:6} {owner:18}  {seal.status:11} {seal.not_before:%Y-%m-%d} .. {seal.not_after:%Y-%m-%d}"
    )


def _owner(department: str | None, registry: bool):  # type: ignore[no-untyped-def]
    if registry == bool(department):
        raise click.UsageError("name a department's credit code, or --registry for the registry's own key")
    return None if registry else services().catalog.get_department(department)  # type: ignore[arg-type]


@seal_cli.command("create")
@click.argument("department", required=False)
@click.option("--registry", is_flag=True, help="Create a key of the registry itself (signs access tokens).")
@click.option("--alg", type=click.Choice(["ES256", "EdDSA"]), default="ES256", show_default=True)
@click.option("--valid-days", type=int, default=None, help=f"Validity window (seals: {DEFAULT_SEAL_DAYS} days).")
@_fail_on_registry_error
def seal_create(department: str | None, registry: bool, alg: str, valid_days: int | None) -> None:
    """Create a signing key for DEPARTMENT (credit code) or the registry."""
    seal = services().keys.create(_owner(department, registry), actor=OPERATOR, alg=alg, valid_days=valid_days)
    db.session.commit()
    click.echo(_show(seal))


@seal_cli.command("rotate")
@click.argument("department", required=False)
@click.option("--registry", is_flag=True)
@click.option("--alg", type=click.Choice(["ES256", "EdDSA"]), default="ES256", show_default=True)
@_fail_on_registry_error
def seal_rotate(department: str | None, registry: bool, alg: str) -> None:
    """Create a new active key and retire the previous ones (they keep verifying)."""
    seal = services().keys.rotate(_owner(department, registry), actor=OPERATOR, alg=alg)
    db.session.commit()
    click.echo(_show(seal))


# Key ids are base64url and may start with "-", so they are given as --kid, never as an argument.
@seal_cli.command("retire")
@click.option("--kid", required=True, help="The key id (RFC 7638 thumbprint).")
@_fail_on_registry_error
def seal_retire(kid: str) -> None:
    """Stop signing with a key; what it signed still verifies."""
    seal = services().keys.retire(kid, actor=OPERATOR)
    db.session.commit()
    click.echo(_show(seal))


@seal_cli.command("compromise")
@click.option("--kid", required=True, help="The key id (RFC 7638 thumbprint).")
@click.option("--at", "at", required=True, help="When the key was compromised (ISO 8601, UTC if no offset).")
@_fail_on_registry_error
def seal_compromise(kid: str, at: str) -> None:
    """Mark a key compromised from a time on: what it signed from then on fails verification."""
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        raise click.BadParameter("not an ISO 8601 time", param_hint="--at") from None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    seal = services().keys.compromise(kid, when, actor=OPERATOR)
    db.session.commit()
    click.echo(_show(seal))


@seal_cli.command("picture")
@click.option("--kid", required=True, help="The seal's key id.")
@click.argument("png", type=click.Path(exists=True, dir_okay=False))
@_fail_on_registry_error
def seal_picture(kid: str, png: str) -> None:
    """Give a seal its picture (a PNG of at most 1 MB), shown on every PDF it stamps from now on."""
    try:
        seal = services().keys.set_picture(kid, Path(png).read_bytes(), actor=OPERATOR)
    except InvalidPicture as e:
        raise click.ClickException(str(e)) from e
    db.session.commit()
    click.echo(f"{kid}: picture set ({len(seal.picture or b'')} bytes)")


@seal_cli.command("list")
def seal_list() -> None:
    """Every key with its owner, status and validity."""
    for seal in services().keys.list():
        click.echo(_show(seal))


@client_cli.command("create")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(values(Role)), required=True)
@click.option("--department", help="Credit code of the client's department (issuer, agency).")
@_fail_on_registry_error
def client_create(name: str, role: str, department: str | None) -> None:
    """Register an API client and print its id and secret (shown only now)."""
    svc = services()
    department_row = svc.catalog.get_department(department) if department else None
    client, secret = svc.clients.create(name, role, department_row, actor=OPERATOR)
    db.session.commit()
    click.echo(f"client_id={client.client_id}\nclient_secret={secret}")


@staff_cli.command("create")
@click.option("--username", required=True)
@click.option("--name", required=True, help="The person's name, as the access log shows it.")
@click.option("--role", type=click.Choice(values(Role)), required=True)
@click.option("--department", help="Credit code of the person's department (issuer, agency).")
@click.password_option(help="At least 12 characters; asked for when not given.")
@_fail_on_registry_error
def staff_create(username: str, name: str, role: str, department: str | None, password: str) -> None:
    """Create a staff account for the console (issuer) or the archivist's desk (archivist)."""
    owner = services().catalog.get_department(department) if department else None
    services().staff.create(username, name, role, owner, password, actor=OPERATOR)
    db.session.commit()
    click.echo(f"staff account {username} created ({role})")


@idp_cli.command("mint-holder-token")
@click.option("--id", "id_number", required=True, help="The document's number (a passport as USA:123456789).")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice([k.value for k in HolderKind]), default="person", show_default=True)
@click.option("--ttl", type=int, default=3600, show_default=True, help="Seconds.")
def mint_holder_token(id_number: str, name: str, kind: str, ttl: int) -> None:
    """Print an ID token for a holder, as the platform's identity provider would (development only)."""
    if current_app.config["REGISTRY_ENV"] != "development":
        raise click.ClickException("the development identity provider runs only with REGISTRY_ENV=development")
    click.echo(services().dev_idp().mint(id_number, name, kind=kind, ttl=ttl))


@click.command("setup")
@with_appcontext
def setup() -> None:
    """Make sure the registry has an active key of its own (run after `flask db upgrade`)."""
    keys = services().keys
    if not [s for s in keys.list() if s.purpose == "registry" and s.status == "active"]:
        seal = keys.create(None, actor=OPERATOR)
        db.session.commit()
        click.echo(f"created the registry's key {seal.kid}")
    ca = services().keys.certs.ensure_ca(actor=OPERATOR)  # the root that seal certificates chain to
    tsa = services().keys.certs.ensure_tsa(actor=OPERATOR)  # trusted time for checkpoints and stamps
    chained = services().keys.ensure_statements()  # registry keys made before the key chain
    certified = services().keys.certs.certify_all(actor=OPERATOR)  # seals made before seal certificates
    db.session.commit()
    click.echo(f"certificate authority {ca.kid}")
    click.echo(f"time-stamping authority {tsa.kid}")
    for seal in chained:
        click.echo(f"key statement for {seal.kid}")
    for seal in certified:
        click.echo(f"certified seal {seal.kid}")
    _reseal_all()  # certificates stored before personal data was encrypted at rest


def _in_batches(step: Callable[[int], tuple[int, int | None]], progress: str | None = None) -> int:
    """Run a paged change (`step(after)` returns how many it changed and the next cursor, None at the end),
    committing each page, so an interrupted run keeps what it did and the next one goes on; return the total."""
    total, cursor = 0, 0
    while True:
        done, next_cursor = step(cursor)
        db.session.commit()
        total += done
        if done and progress:
            click.echo(f"{progress} {total} so far")
        if next_cursor is None:
            return total
        cursor = next_cursor


def _reseal_all(batch: int = 500) -> None:
    """Re-seal every certificate not sealed with the newest data key, a committed batch at a time."""
    cipher = current_app.extensions["registry.cipher"]
    total = _in_batches(lambda after: reseal(db.session(), cipher, after=after, limit=batch))
    click.echo(f"personal data sealed with data key {cipher.keys.newest()[0]}: {total} certificate(s) re-sealed")


@data_key_cli.command("rotate")
@click.option("--batch", default=500, show_default=True, help="certificates per transaction")
@with_appcontext
def data_key_rotate(batch: int) -> None:
    """Make a new data key and re-encrypt every certificate's personal data with it.

    Safe to interrupt and run again: each batch commits on its own and older keys keep opening what
    they sealed. Remove an old data-*.key file only once this has finished.
    """
    key_id = current_app.extensions["registry.cipher"].keys.create()
    click.echo(f"new data key {key_id}")
    _reseal_all(batch)


@demo_cli.command("load")
@_fail_on_registry_error
def demo_load() -> None:
    """Load the demo world once, and print how to use it (development only)."""
    from registry.demo import load_demo

    if current_app.config["REGISTRY_ENV"] != "development":
        raise click.ClickException("the demo world loads only with REGISTRY_ENV=development")
    click.echo(load_demo(services()))


@audit_cli.command("checkpoint")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Also write it to this file.")
def audit_checkpoint(output: str | None) -> None:
    """Sign a checkpoint of the log as it is now and print it; keep a copy outside the registry."""
    document = services().checkpoint()
    db.session.commit()
    text = json.dumps(document, default=str, indent=2)
    if output:
        Path(output).write_text(text + "\n")
    click.echo(text)


@audit_cli.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A checkpoint kept outside the registry (from `flask audit checkpoint -o` or the API).",
)
@click.option(
    "--jwks",
    type=click.Path(exists=True, dir_okay=False),
    help="Published keys kept outside the registry; default: those whose private halves are in the keystore.",
)
def audit_verify(checkpoint_file: str | None, jwks: str | None) -> None:
    """Recompute the log's Merkle tree, check it against every signed checkpoint, name the first bad entry."""
    svc = services()
    keys = json.loads(Path(jwks).read_text()) if jwks else svc.own_jwks()
    external = None
    if checkpoint_file:
        document = json.loads(Path(checkpoint_file).read_text())
        external = document["signed"] if isinstance(document, dict) else str(document)
    try:
        report = AccessLog(db.session()).audit(keys, external)
    except InvalidCheckpoint as e:
        raise click.ClickException(f"the checkpoint kept outside does not verify: {e}") from e
    click.echo(f"{report.size} entries, {report.checkpoints_checked} checkpoints checked")
    if report.ok:
        click.echo("OK: every entry gives its leaf, and the tree gives every signed root")
        return
    if report.first_bad_index is not None:
        click.echo(f"FIRST BAD ENTRY: {report.first_bad_index}")
    for text in report.problems:
        click.echo(f"PROBLEM: {text}")
    raise SystemExit(1)


def _show_policy(policy: SharingPolicy) -> str:
    state = "active" if policy.active else "withdrawn"
    consent = "consent required" if policy.consent_required else "no consent needed"
    return (
        f"{policy.id:4}  {policy.agency.credit_code} {policy.type.code} {policy.service_item.code}  "
        f"fields={','.join(policy.fields) or '-'}  {consent}  copies {policy.copy_validity_hours} h  {state}"
    )


def _field_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


@sharing_cli.command("item-add")
@click.argument("code")
@click.argument("name")
@_fail_on_registry_error
def sharing_item_add(code: str, name: str) -> None:
    """Add the service item CODE called NAME."""
    item = services().service_items.create(code, name, actor=OPERATOR)
    db.session.commit()
    click.echo(f"{item.code}  {item.name}")


@sharing_cli.command("items")
def sharing_items() -> None:
    """List service items (those not retired)."""
    for item in services().service_items.each():
        click.echo(f"{item.code}  {item.name}")


@sharing_cli.command("policy-add")
@click.option("--agency", required=True, help="The relying agency's credit code.")
@click.option("--type", "type_code", required=True, help="The certificate type's code.")
@click.option("--item", required=True, help="The service item's code.")
@click.option("--fields", default="", help="Comma-separated fields the copies carry (holder_id: the full ID).")
@click.option("--consent/--no-consent", default=True, show_default=True, help="Whether the holder must consent.")
@click.option("--copy-hours", type=int, default=72, show_default=True, help="How long a copy may be used.")
@_fail_on_registry_error
def sharing_policy_add(agency: str, type_code: str, item: str, fields: str, consent: bool, copy_hours: int) -> None:
    """Let AGENCY fetch FIELDS of TYPE for the service ITEM."""
    policy = services().policies.create_policy(
        agency,
        type_code,
        item,
        _field_list(fields),
        consent_required=consent,
        copy_validity_hours=copy_hours,
        actor=OPERATOR,
    )
    db.session.commit()
    click.echo(_show_policy(policy))


@sharing_cli.command("policy-withdraw")
@click.argument("policy_id", type=int)
@_fail_on_registry_error
def sharing_policy_withdraw(policy_id: int) -> None:
    """Withdraw policy POLICY_ID; later requests under it are refused."""
    policy = services().policies.update_policy(policy_id, actor=OPERATOR, active=False)
    db.session.commit()
    click.echo(_show_policy(policy))


@sharing_cli.command("policies")
@click.option("--all", "include_withdrawn", is_flag=True, help="Include withdrawn policies.")
def sharing_policies(include_withdrawn: bool) -> None:
    """List sharing policies."""
    for policy in services().policies.list_policies(include_withdrawn=include_withdrawn):
        click.echo(_show_policy(policy))


@sharing_cli.command("stats")
def sharing_stats() -> None:
    """Paper submissions avoided, per agency, department, type and service item."""
    stats = services().sharing_statistics.stats()
    click.echo(f"paper submissions avoided: {stats['paper_submissions_avoided']}")
    for row in stats["rows"]:
        click.echo(
            f"  {row['agency']} {row['department']} {row['type']} {row['service_item']}"
            f"  {row['paper_submissions_avoided']}"
        )


@certificates_cli.command("reidentify")
@click.option("--batch", default=500, show_default=True, help="certificates per transaction")
@with_appcontext
@_fail_on_registry_error
def certificates_reidentify(batch: int) -> None:
    """Re-issue certificates whose identifiers follow the earlier check rule under conforming ones.

    Each becomes the next version of itself (same fields, holder and validity), signed anew, logged,
    superseding the old one. Safe to interrupt and run again: each batch commits on its own.
    """
    lifecycle = services().lifecycle
    total = _in_batches(lambda after: lifecycle.reidentify_legacy(OPERATOR, after=after, limit=batch), "re-identified")
    click.echo(f"re-identified {total} certificate(s)")


@stamps_cli.command("renew")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, writable=True))
def stamps_renew(files: tuple[str, ...]) -> None:
    """Lengthen stamped PDFs' time-stamp chain: today's certificates and revocation lists, then a new
    document time-stamp (PAdES B-LTA). Run it before the TSA certificate expires. Each file is replaced
    only once its renewal is complete."""
    svc = services()
    for name in files:
        path = Path(name)
        try:
            renewed = svc.stamps.renew(path.read_bytes(), actor=OPERATOR)
        except RegistryError as e:
            raise click.ClickException(f"{name}: {e.code}: {e}") from None
        db.session.commit()
        write_atomically(path, renewed)
        click.echo(f"renewed {name}: {len(renewed):,} bytes")


def init_app(app: Flask) -> None:
    commands = (
        seal_cli,
        client_cli,
        idp_cli,
        demo_cli,
        audit_cli,
        sharing_cli,
        certificates_cli,
        data_key_cli,
        stamps_cli,
        archive_cli,
        staff_cli,
        setup,
    )
    for command in commands:
        app.cli.add_command(command)
