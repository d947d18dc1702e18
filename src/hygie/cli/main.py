"""Entry point of the ``hygie`` command."""

from __future__ import annotations

import typer

from hygie import __version__
from hygie.assess.cli import app as assess_app
from hygie.assets.cli import app as assets_app
from hygie.awareness.cli import app as awareness_app
from hygie.cli.audit import app as audit_app
from hygie.cli.backup import app as backup_app
from hygie.cli.backup import restore as restore_command
from hygie.continuity.cli import app as continuity_app
from hygie.demo.cli import demo as demo_command
from hygie.detect.alerts_cli import alerts_app, detect_app
from hygie.detect.cli import app as logs_app
from hygie.detect.sigma.cli import app as rules_app
from hygie.frameworks.cli import app as frameworks_app
from hygie.group.cli import app as group_app
from hygie.incidents.cli import app as incidents_app
from hygie.network.cli import app as network_app
from hygie.org.cli import app as establishments_app
from hygie.org.cli_users import app as users_app
from hygie.org.cli_users import tokens_app
from hygie.plan.cli import app as plan_app
from hygie.reports.cli import app as report_app
from hygie.vulns.cli import app as feeds_app
from hygie.vulns.cli_vulns import app as vulns_app
from hygie.web.cli import serve as serve_command

app = typer.Typer(
    name="hygie",
    help="Hygie — cyber-résilience des établissements de santé / cyber-resilience of hospitals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(establishments_app, name="establishments")
app.add_typer(group_app, name="group")
app.add_typer(plan_app, name="plan")
app.add_typer(frameworks_app, name="frameworks")
app.add_typer(assess_app, name="assess")
app.add_typer(assets_app, name="assets")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.add_typer(backup_app, name="backup")
app.add_typer(feeds_app, name="feeds")
app.add_typer(vulns_app, name="vulns")
app.add_typer(awareness_app, name="awareness")
app.add_typer(incidents_app, name="incidents")
app.add_typer(continuity_app, name="continuity")
app.add_typer(network_app, name="network")
app.add_typer(logs_app, name="logs")
app.add_typer(rules_app, name="rules")
app.add_typer(detect_app, name="detect")
app.add_typer(alerts_app, name="alerts")
app.command("restore")(restore_command)
app.command("demo")(demo_command)
app.command("serve")(serve_command)


@app.command()
def version() -> None:
    """Print Hygie's version."""
    typer.echo(__version__)


if __name__ == "__main__":
    app()
