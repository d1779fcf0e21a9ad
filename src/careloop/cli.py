"""The `careloop` command: the composition root for operators. Each domain adds its commands here."""

from __future__ import annotations

import typer

from careloop import migrate

app = typer.Typer(no_args_is_help=True, help="careloop: care coordination platform.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision to upgrade to.")) -> None:
    """Apply migrations to the database named by CARELOOP_DATABASE_URL."""
    migrate.upgrade(revision)
    typer.echo(f"database upgraded to {revision}")


def main() -> None:
    app()
