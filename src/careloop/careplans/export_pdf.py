"""The plain-language plan as a PDF for the patient and family (fpdf2: pure Python, no system libraries).
Same words as the plain-language page (views.plain_plan): no codes, targets said as "keep your blood pressure
below 140/90"."""

from __future__ import annotations

from uuid import UUID

from fpdf import FPDF
from sqlalchemy.orm import Session

from careloop.access import Actor
from careloop.careplans import service, views
from careloop.clock import utcnow

# The PDF core fonts are Latin-1: typographic characters are written as their plain equivalents.
PLAIN = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-",
                       "\u2026": "...", "\u2022": "-"})


def plan_pdf(session: Session, actor: Actor, plan_id: UUID) -> bytes:
    out = service.plan_view(session, actor, plan_id)
    return render(views.plain_plan(out))


def _latin(text: str) -> str:
    return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


def render(plan: views.PlainPlan) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title("My care plan")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 10, _latin(f"My care plan: {plan.name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, _latin(f"Printed {utcnow().date().isoformat()}"), new_x="LMARGIN", new_y="NEXT")
    _section(pdf, "What matters to me", ([plan.what_matters] if plan.what_matters else []) + plan.priorities,
             "Not written down yet: tell your care team.")
    _section(pdf, "What we are working on", plan.concerns, "Nothing listed yet.")
    _section(pdf, "My goals", [f"{goal}. {progress}" for goal, progress in plan.goals], "No goals yet.")
    _section(pdf, "What my care team will do", plan.team_does, "Nothing listed yet.")
    _section(pdf, "What makes it hard", plan.barriers, "Nothing listed.")
    _section(pdf, "Decisions we made together", plan.decisions, "None recorded.")
    review = plan.next_review.isoformat() if plan.next_review else "to be set"
    _section(pdf, "When we look at this plan again", [f"Next review: {review}"], "")
    return bytes(pdf.output())


def _section(pdf: FPDF, title: str, lines: list[str], empty: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 8, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in lines or [empty]:
        if line:
            pdf.multi_cell(0, 6, _latin(f"- {line}" if lines else line), new_x="LMARGIN", new_y="NEXT")
