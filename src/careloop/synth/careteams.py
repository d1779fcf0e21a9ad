"""Who looks after each patient: a care manager always, usually a primary care physician, and, where the
patient's needs call for them, the social work team, a pharmacist, a community health worker, a family
caregiver and a specialist practice. Some patients changed care manager earlier (an ended membership)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from careloop.models.careteam import CareTeamRole
from careloop.synth import people
from careloop.synth.clinical import Conditions, Medicines
from careloop.synth.codes import SPECIALISTS
from careloop.synth.demographics import People, draw_names, phones
from careloop.synth.draw import Bools, Ints, between, chance, days, lookup, pick
from careloop.synth.frames import NULL_INT, Frame, arrange, concat, public_ids
from careloop.synth.staff import StaffPools
from careloop.synth.writer import IdAllocator

POLYPHARMACY = 5  # active medicines at which a pharmacist joins the team
END_REASONS = ("Caseload rebalanced", "Care manager left the programme", "Moved to another clinic region")


@dataclass(frozen=True)
class Primary:
    manager: Ints  # user id of each patient's care manager
    manager_role: NDArray[np.str_]
    region: Ints  # index into people.REGIONS, the manager's clinic
    physician: Ints  # user id, NULL_INT for none
    physician_name: NDArray[np.str_]


def assign_primary(rng: np.random.Generator, n: int, pools: StaffPools) -> Primary:
    manager = (rng.random(n) * len(pools.care_managers)).astype(np.int64)
    physician = (rng.random(n) * len(pools.physicians)).astype(np.int64)
    has_physician = chance(rng, 0.92, n)
    return Primary(
        pools.care_managers[manager], pools.care_manager_roles[manager], pools.care_manager_regions[manager],
        np.where(has_physician, pools.physicians[physician], NULL_INT),
        np.where(has_physician, pools.physician_names[physician], ""),
    )


@dataclass(frozen=True)
class Support:
    social_work: Bools
    pharmacist: Ints  # user id or NULL_INT
    community_health_worker: Ints
    caregiver: Bools
    specialists: Bools  # patients x SPECIALISTS
    changed_manager: Bools


def assign_support(rng: np.random.Generator, who: People, found: Conditions, meds: Medicines,
                   pools: StaffPools) -> Support:
    n = who.n
    needs = found.any_social_need
    social_work = (needs & chance(rng, 0.85, n)) | chance(rng, 0.04, n)
    pharmacist = ((meds.active_count >= POLYPHARMACY) & chance(rng, 0.6, n)) | chance(rng, 0.03, n)
    chw = (needs & chance(rng, 0.35, n)) | ((who.language != "en") & chance(rng, 0.2, n)) | chance(rng, 0.03, n)
    caregiver = chance(rng, 0.12 + 0.45 * found.present("dementia") + 0.15 * (who.age >= 80))
    specialist_need = {"heart_failure": found.active("heart_failure") & chance(rng, 0.6, n),
                       "ckd": (found.variant_of("ckd") >= 1) & chance(rng, 0.6, n),
                       "cancer": found.active("cancer") & chance(rng, 0.7, n)}
    return Support(
        social_work,
        np.where(pharmacist, _one_of(rng, pools.pharmacists, n), NULL_INT),
        np.where(chw, _one_of(rng, pools.community_health_workers, n), NULL_INT),
        caregiver,
        np.column_stack([specialist_need[key] for key in SPECIALISTS]),
        chance(rng, 0.06, n),
    )


def _one_of(rng: np.random.Generator, pool: Ints, n: int) -> Ints:
    return pool[(rng.random(n) * len(pool)).astype(np.int64)]


@dataclass
class _Members:
    """Builds one care-team part: the same columns for a subset of patients."""

    rng: np.random.Generator
    until: Ints  # per patient: when the record ends
    enrolled: Ints

    def part(self, owner: Ints, role: str | NDArray[np.str_], *, start: Ints | None = None,
             user: Ints | None = None, team: int | None = None, name: NDArray[np.str_] | None = None,
             contact: NDArray[np.str_] | None = None, added_by: Ints | None = None) -> Frame:
        k = len(owner)
        if start is None:
            span = self.until[owner] - self.enrolled[owner]
            start = self.enrolled[owner] + (self.rng.random(k) * span).astype(np.int64)
        return {
            "owner": owner,
            "user_id": user if user is not None else np.full(k, NULL_INT, dtype=np.int64),
            "team_id": np.full(k, team if team is not None else NULL_INT, dtype=np.int64),
            "member_name": name if name is not None else np.full(k, ""),
            "member_contact": contact if contact is not None else np.full(k, ""),
            "role": np.broadcast_to(np.asarray(role, dtype=np.str_), (k,)).copy(),
            "period_start": start,
            "period_end": np.full(k, NULL_INT, dtype=np.int64),
            "end_reason": np.full(k, ""),
            "added_by_id": added_by if added_by is not None else np.full(k, NULL_INT, dtype=np.int64),
        }


def care_team_frame(rng: np.random.Generator, who: People, patient_ids: Ints, enrolled: Ints, primary: Primary,
                    support: Support, pools: StaffPools, allocator: IdAllocator) -> Frame:
    members = _Members(rng, who.until, enrolled)
    everyone = np.arange(who.n, dtype=np.int64)
    changed = np.flatnonzero(support.changed_manager)
    handover = enrolled[changed] + between(rng, days(30), np.maximum(who.until[changed] - enrolled[changed],
                                                                     days(31)), len(changed))
    manager_start = enrolled.copy()
    manager_start[changed] = handover
    parts = [
        members.part(everyone, primary.manager_role, start=manager_start, user=primary.manager),
        _former_managers(rng, members, changed, primary, pools, enrolled, handover),
        _by_user(members, primary.physician, CareTeamRole.primary_care_physician, primary.manager),
        _by_user(members, support.pharmacist, CareTeamRole.pharmacist, primary.manager),
        _by_user(members, support.community_health_worker, CareTeamRole.community_health_worker, primary.manager),
        members.part(np.flatnonzero(support.social_work), CareTeamRole.social_worker.value,
                     team=pools.social_work_team, added_by=primary.manager[support.social_work]),
        _caregivers(rng, members, who, np.flatnonzero(support.caregiver), primary),
        *_specialists(members, support, primary),
    ]
    rows = concat(parts)
    owner = rows.pop("owner")
    ended = rows["period_end"] >= 0
    k = len(owner)
    return arrange({
        "id": allocator.take("care_team_members", k),
        "public_id": public_ids(rng, k, who.minted_ms),
        "patient_id": patient_ids[owner],
        **{name: rows[name] for name in ("user_id", "team_id", "member_name", "member_contact", "role")},
        "period_start": rows["period_start"].astype("datetime64[s]"),
        "period_end": np.where(ended, rows["period_end"].astype("datetime64[s]"), np.datetime64("NaT", "s")),
        "end_reason": rows["end_reason"],
        "added_by_id": rows["added_by_id"],
    }, "user_id", "patient_id")


def _by_user(members: _Members, user: Ints, role: CareTeamRole, manager: Ints) -> Frame:
    owner = np.flatnonzero(user >= 0)
    return members.part(owner, role.value, user=user[owner], added_by=manager[owner])


def _former_managers(rng: np.random.Generator, members: _Members, changed: Ints, primary: Primary,
                     pools: StaffPools, enrolled: Ints, handover: Ints) -> Frame:
    """The care manager a patient had before the current one: a different person, membership ended."""
    size = len(pools.care_managers)
    current = np.searchsorted(np.sort(pools.care_managers), primary.manager[changed])
    order = np.argsort(pools.care_managers)
    other = order[(current + 1 + (rng.random(len(changed)) * max(size - 1, 1)).astype(np.int64)) % size]
    part = members.part(changed, pools.care_manager_roles[other], start=enrolled[changed],
                        user=pools.care_managers[other])
    part["period_end"] = handover
    part["end_reason"] = lookup(END_REASONS, pick(rng, (0.5, 0.3, 0.2), len(changed)))
    return part


def _caregivers(rng: np.random.Generator, members: _Members, who: People, owner: Ints, primary: Primary) -> Frame:
    """A relative or friend without an account, named like the patient's family most of the time."""
    k = len(owner)
    names = draw_names(rng, chance(rng, 0.7, k))
    family = np.where(chance(rng, 0.7, k), who.names.family[owner], names.family)
    relation = lookup(people.RELATIONS, pick(rng, (0.3, 0.2, 0.1, 0.1, 0.07, 0.05, 0.05, 0.04, 0.05, 0.04), k))
    label = np.strings.add(np.strings.add(np.strings.add(names.given, " "), family), " (")
    label = np.strings.add(np.strings.add(label, relation), ")")
    return members.part(owner, CareTeamRole.family_caregiver.value, name=label, contact=phones(rng, k),
                        added_by=primary.manager[owner])


def _specialists(members: _Members, support: Support, primary: Primary) -> list[Frame]:
    parts = []
    for column, practice in enumerate(SPECIALISTS.values()):
        owner = np.flatnonzero(support.specialists[:, column])
        parts.append(members.part(owner, CareTeamRole.specialist.value, name=np.full(len(owner), practice),
                                  added_by=primary.manager[owner]))
    return parts
