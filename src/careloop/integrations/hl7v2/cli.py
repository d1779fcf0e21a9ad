"""`careloop mllp` (the ADT listener) and `careloop simulate-adt` (a simulated hospital sending to it)."""

from __future__ import annotations

import logging

import typer

from careloop import db, event_loop


def mllp_command(
    port: int = typer.Option(2575, min=1, max=65535, help="TCP port (2575 is HL7's registered port)"),
    host: str = typer.Option("127.0.0.1", help="address to listen on (0.0.0.0 for every interface)"),
) -> None:
    """Receive HL7 v2 ADT messages over MLLP: each is stored before its ACK; the worker applies them."""
    from careloop.integrations.hl7v2.listener import serve
    from careloop.process_heap import freeze_startup_heap

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    db.configure()
    db.long_running_writer()
    freeze_startup_heap()
    event_loop.run(serve(host, port, on_ready=lambda address: typer.echo(f"listening for MLLP on {address}")))


def simulate_command(
    host: str = typer.Option("127.0.0.1", help="the MLLP listener's address"),
    port: int = typer.Option(2575, min=1, max=65535),
    rate: float = typer.Option(5.0, min=0, help="messages per second; 0 sends as fast as ACKs come back"),
    count: int = typer.Option(500, min=1, max=10_000_000, help="how many messages to send"),
    seed: int = typer.Option(7, help="the same seed gives the same stream"),
    patients: int = typer.Option(200, min=1, help="how many seeded patients the hospital sees"),
) -> None:
    """Send a simulated hospital's ADT stream (ED visits, admissions, transfers, discharges, cancels,
    readmissions) about seeded patients; unacknowledged messages are resent until acknowledged."""
    from careloop.integrations.hl7v2.simulate import simulate

    db.configure()
    report = event_loop.run(simulate(host, port, rate=rate, count=count, seed=seed, patients=patients))
    codes = {code: list(report.acks.values()).count(code) for code in sorted(set(report.acks.values()))}
    typer.echo(f"sent {len(report.acks)} messages in {report.elapsed:.1f} s over {report.connections} "
               f"connection(s), {report.resent} resent; acknowledgments: {codes}")
