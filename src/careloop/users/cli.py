"""`careloop user ...`: account administration from the shell (e.g. the first administrator)."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from careloop import db
from careloop.access import system_actor
from careloop.errors import CareloopError
from careloop.models.user import StaffRole
from careloop.users import service
from careloop.users.schemas import UserCreate

app = typer.Typer(no_args_is_help=True, help="Staff accounts.")


@app.command("create")
def create(
    username: str = typer.Argument(..., help="sign-in name (letters, digits, . _ -)"),
    display_name: str = typer.Option(..., "--name", help="name shown to colleagues, e.g. 'Cora Nguyen, RN'"),
    role: list[StaffRole] = typer.Option(..., "--role", help="repeat for several roles"),
    team: list[str] = typer.Option([], "--team", help="team name to join; repeatable"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 envvar="CARELOOP_NEW_USER_PASSWORD"),
    email: str | None = typer.Option(None, "--email"),
) -> None:
    """Create a staff account."""
    try:
        data = UserCreate(username=username, display_name=display_name, roles=role, password=password,
                          teams=team, email=email)
        with db.unit_of_work() as session:
            user = service.create_user(session, system_actor("cli", channel="cli"), data)
            typer.echo(f"created {user.username} ({', '.join(user.roles)}) id={user.public_id}")
    except ValidationError as exc:
        raise typer.BadParameter("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) \
            from exc
    except CareloopError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
