"""The staff who work the synthetic population: the demo accounts people sign in with, synthetic colleagues
in proportion to the number of patients, and the teams they work in.

Every seeded account has the password DEMO_PASSWORD (one Argon2 hash, computed once and shared). Caseloads
follow common care-management staffing: about 500 patients per care manager, 1,500 per primary care
physician, and one pharmacist, social worker or community health worker per 4,000-5,000 patients.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, select

from careloop.models import Team, TeamMembership, User
from careloop.models.careteam import CareTeamRole
from careloop.models.user import StaffRole
from careloop.synth.demographics import draw_names
from careloop.synth.draw import Ints, chance
from careloop.synth.frames import Frame, public_ids
from careloop.synth.people import REGIONS
from careloop.synth.writer import IdAllocator

DEMO_PASSWORD = "careloop-demo"  # noqa: S105 - the published demo password, documented in the README
EMAIL_DOMAIN = "careloop.example"  # .example is reserved: no mail can reach anyone

SOCIAL_WORK_TEAM = "Social work"
PHARMACY_TEAM = "Pharmacy"
CHW_TEAM = "Community health workers"
REGION_TEAMS = tuple(f"{region} clinic care management" for region in REGIONS)
TEAMS: dict[str, str] = {
    **{name: f"Care managers and care coordinators of the {region} clinic"
       for name, region in zip(REGION_TEAMS, REGIONS, strict=True)},
    SOCIAL_WORK_TEAM: "Social workers for the whole programme; referrals for food, housing, transport, utilities",
    PHARMACY_TEAM: "Clinical pharmacists: medication reviews and reconciliation after discharge",
    CHW_TEAM: "Community health workers: home visits, outreach and navigation",
}


@dataclass(frozen=True)
class DemoStaffMember:
    username: str
    display_name: str
    roles: list[str]
    team: str | None = None


DEMO_STAFF: tuple[DemoStaffMember, ...] = (
    DemoStaffMember("coordinator", "Cora Lindqvist", [StaffRole.care_coordinator.value], REGION_TEAMS[0]),
    DemoStaffMember("nurse", "Nina Okafor, RN", [StaffRole.rn_care_manager.value], REGION_TEAMS[0]),
    DemoStaffMember("social", "Sam Rivera, LCSW", [StaffRole.social_worker.value], SOCIAL_WORK_TEAM),
    DemoStaffMember("chw", "Chris Alvarez", [StaffRole.community_health_worker.value], CHW_TEAM),
    DemoStaffMember("pharmacist", "Priya Shah, PharmD", [StaffRole.pharmacist.value], PHARMACY_TEAM),
    DemoStaffMember("doctor", "Dr. Daniel Kim", [StaffRole.physician.value]),
    DemoStaffMember("leader", "Lee Anderson", [StaffRole.program_leader.value]),
    DemoStaffMember("admin", "Ada Admin", [StaffRole.admin.value]),
)


@dataclass(frozen=True)
class SyntheticKind:
    prefix: str
    roles: tuple[StaffRole, ...]  # cycled through, one per account
    patients_each: int
    title: tuple[str, str] = ("", "")  # before and after the name
    team: str | None = None  # None: care managers join their region's team


SYNTHETIC_KINDS = (
    SyntheticKind("cm", (StaffRole.rn_care_manager, StaffRole.care_coordinator), 500),
    SyntheticKind("md", (StaffRole.physician,), 1500, ("Dr. ", "")),
    SyntheticKind("ph", (StaffRole.pharmacist,), 5000, ("", ", PharmD"), PHARMACY_TEAM),
    SyntheticKind("sw", (StaffRole.social_worker,), 4000, ("", ", LCSW"), SOCIAL_WORK_TEAM),
    SyntheticKind("chw", (StaffRole.community_health_worker,), 4000, ("", ""), CHW_TEAM),
)
_RN_SUFFIX = ", RN"


@dataclass(frozen=True)
class ExistingStaff:
    """What an earlier seed (or an administrator) already created; --append reuses it instead of colliding."""

    users: dict[str, int] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)
    memberships: frozenset[tuple[int, int]] = frozenset()

    @classmethod
    def read(cls, conn: Connection) -> ExistingStaff:
        users = {name: int(uid) for name, uid in conn.execute(select(User.username, User.id))}
        teams = {name: int(tid) for name, tid in conn.execute(select(Team.name, Team.id))}
        links = frozenset((int(t), int(u)) for t, u in conn.execute(
            select(TeamMembership.team_id, TeamMembership.user_id)))
        return cls(users, teams, links)


@dataclass(frozen=True)
class StaffPools:
    """Who patients can be assigned to in this seed (user and team keys)."""

    care_managers: Ints
    care_manager_roles: NDArray[np.str_]  # CareTeamRole value each holds on care teams
    care_manager_regions: Ints
    physicians: Ints
    physician_names: NDArray[np.str_]
    pharmacists: Ints
    community_health_workers: Ints
    social_work_team: int
    region_teams: Ints


@dataclass(frozen=True)
class StaffPlan:
    users: Frame
    teams: Frame
    team_memberships: Frame
    pools: StaffPools


@dataclass
class _Accounts:
    """Accumulates the accounts of a plan before they become a frame."""

    ids: list[int] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    roles: list[list[str]] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # (team id, user id)


def plan_staff(rng: np.random.Generator, *, patients: int, as_of: int, password_hash: str,
               existing: ExistingStaff, allocator: IdAllocator) -> StaffPlan:
    team_ids, new_teams = _teams(rng, existing, allocator, as_of)
    accounts = _Accounts()
    demo_ids = {member.username: _demo_account(member, existing, allocator, accounts, team_ids)
                for member in DEMO_STAFF}
    synthetic = {kind.prefix: _synthetic_accounts(rng, kind, patients, existing, allocator, accounts, team_ids)
                 for kind in SYNTHETIC_KINDS}
    users = _user_frame(rng, accounts, password_hash, as_of)
    links = [(t, u) for t, u in accounts.links if (t, u) not in existing.memberships]
    memberships: Frame = {
        "id": allocator.take("team_memberships", len(links)),
        "team_id": np.array([t for t, _ in links], dtype=np.int64),
        "user_id": np.array([u for _, u in links], dtype=np.int64),
    }
    pools = _pools(demo_ids, synthetic, team_ids, dict(zip(accounts.ids, accounts.names, strict=True)))
    return StaffPlan(users, new_teams, memberships, pools)


def _teams(rng: np.random.Generator, existing: ExistingStaff, allocator: IdAllocator,
           as_of: int) -> tuple[dict[str, int], Frame]:
    missing = [name for name in TEAMS if name not in existing.teams]
    new_ids = allocator.take("teams", len(missing))
    created = np.full(len(missing), as_of - 400 * 86_400).astype("datetime64[s]")
    frame: Frame = {
        "id": new_ids,
        "public_id": public_ids(rng, len(missing), as_of * 1000),
        "name": np.array(missing, dtype=np.str_),
        "description": np.array([TEAMS[name] for name in missing], dtype=np.str_),
        "created_at": created,
        "updated_at": created,
    }
    return {**existing.teams, **dict(zip(missing, new_ids.tolist(), strict=True))}, frame


def _demo_account(member: DemoStaffMember, existing: ExistingStaff, allocator: IdAllocator,
                  accounts: _Accounts, team_ids: dict[str, int]) -> int:
    user_id = existing.users.get(member.username)
    if user_id is None:
        user_id = int(allocator.take("users", 1)[0])
        accounts.ids.append(user_id)
        accounts.usernames.append(member.username)
        accounts.names.append(member.display_name)
        accounts.roles.append(list(member.roles))
    if member.team is not None:
        accounts.links.append((team_ids[member.team], user_id))
    return user_id


def _next_number(prefix: str, existing: ExistingStaff) -> int:
    pattern = re.compile(rf"^{prefix}(\d+)$")
    numbers = [int(m.group(1)) for name in existing.users if (m := pattern.match(name))]
    return max(numbers, default=0) + 1


def _synthetic_accounts(rng: np.random.Generator, kind: SyntheticKind, patients: int, existing: ExistingStaff,
                        allocator: IdAllocator, accounts: _Accounts, team_ids: dict[str, int]) -> list[int]:
    count = math.ceil(patients / kind.patients_each)
    first = _next_number(kind.prefix, existing)
    ids = allocator.take("users", count).tolist()
    names = draw_names(rng, chance(rng, 0.6, count))
    for i, user_id in enumerate(ids):
        role = kind.roles[i % len(kind.roles)]
        before, after = kind.title
        after = _RN_SUFFIX if role is StaffRole.rn_care_manager else after
        accounts.ids.append(user_id)
        accounts.usernames.append(f"{kind.prefix}{first + i:04d}")
        accounts.names.append(f"{before}{names.given[i]} {names.family[i]}{after}")
        accounts.roles.append([role.value])
        team = kind.team or REGION_TEAMS[i % len(REGION_TEAMS)]
        accounts.links.append((team_ids[team], user_id))
    return [int(i) for i in ids]


def _user_frame(rng: np.random.Generator, accounts: _Accounts, password_hash: str, as_of: int) -> Frame:
    n = len(accounts.ids)
    created = np.full(n, as_of - 400 * 86_400).astype("datetime64[s]")
    roles = np.empty(n, dtype=object)
    roles[:] = accounts.roles
    return {
        "id": np.array(accounts.ids, dtype=np.int64),
        "public_id": public_ids(rng, n, as_of * 1000),
        "username": np.array(accounts.usernames, dtype=np.str_),
        "display_name": np.array(accounts.names, dtype=np.str_),
        "email": np.array([f"{u}@{EMAIL_DOMAIN}" for u in accounts.usernames], dtype=np.str_),
        "password_hash": np.full(n, password_hash),
        "roles": roles,
        "active": np.ones(n, dtype=bool),
        "created_at": created,
        "updated_at": created,
    }


def _pools(demo: dict[str, int], synthetic: dict[str, list[int]], team_ids: dict[str, int],
           names: dict[int, str]) -> StaffPools:
    managers = [demo["coordinator"], demo["nurse"], *synthetic["cm"]]
    cm_roles = SYNTHETIC_KINDS[0].roles
    # StaffRole and CareTeamRole share these values: a care manager holds the role named like their job.
    manager_roles = [CareTeamRole.care_coordinator.value, CareTeamRole.rn_care_manager.value] + [
        CareTeamRole(cm_roles[i % len(cm_roles)].value).value for i in range(len(synthetic["cm"]))]
    regions = [0, 0] + [i % len(REGION_TEAMS) for i in range(len(synthetic["cm"]))]
    physicians = [demo["doctor"], *synthetic["md"]]
    demo_doctor = next(m.display_name for m in DEMO_STAFF if m.username == "doctor")
    return StaffPools(
        care_managers=np.array(managers, dtype=np.int64),
        care_manager_roles=np.array(manager_roles, dtype=np.str_),
        care_manager_regions=np.array(regions, dtype=np.int64),
        physicians=np.array(physicians, dtype=np.int64),
        physician_names=np.array([names.get(p, demo_doctor) for p in physicians], dtype=np.str_),
        pharmacists=np.array([demo["pharmacist"], *synthetic["ph"]], dtype=np.int64),
        community_health_workers=np.array([demo["chw"], *synthetic["chw"]], dtype=np.int64),
        social_work_team=team_ids[SOCIAL_WORK_TEAM],
        region_teams=np.array([team_ids[name] for name in REGION_TEAMS], dtype=np.int64),
    )
