"""`careloop token create`: an API bearer token for an integration, shown once."""

from __future__ import annotations

import typer

from careloop import db
from careloop.auth import service
from careloop.errors import CareloopError
from careloop.users import repository as users_repo

app = typer.Typer(no_args_is_help=True, help="API tokens.")


@app.command("create")
def create(
    username: str = typer.Argument(..., help="the account the token acts as"),
    name: str = typer.Option(..., "--name", help="what uses it, e.g. 'load test'"),
    days: int = typer.Option(90, "--days", min=1, max=3650, help="lifetime in days"),
) -> None:
    """Create a bearer token; it acts with exactly this user's access."""
    with db.unit_of_work() as session:
        user = users_repo.by_username(session, username)
        if user is None or not user.active:
            typer.echo(f"error: no active user {username!r}", err=True)
            raise typer.Exit(1)
        try:
            new = service.create_api_token(session, user, name=name, days=days)
        except CareloopError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(new.token)
