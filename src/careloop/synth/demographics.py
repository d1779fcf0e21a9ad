"""Who the patients are: age, sex, names, language, contact details, enrolment, and their identifiers."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from careloop.models.patient import AdministrativeGender, ContactMethod
from careloop.synth import people
from careloop.synth.draw import Bools, Floats, Ints, between, chance, lookup, pick
from careloop.synth.frames import SECONDS_PER_DAY, Frame, arrange, public_ids
from careloop.synth.writer import IdAllocator

MRN_SYSTEM = "urn:careloop:mrn"
MEDICARE_SYSTEM = "http://hl7.org/fhir/sid/us-mbi"
MEDICAID_SYSTEM = "urn:careloop:payer:illinois-medicaid"
COMMERCIAL_SYSTEM = "urn:careloop:payer:blue-lake-health"
DAYS_PER_YEAR = 365.2425

# Care-management programmes enrol mostly older, Medicare-covered adults, so ages skew old (approx.).
AGE_BANDS = ((18, 35, 0.12), (35, 50, 0.14), (50, 65, 0.24), (65, 75, 0.24), (75, 85, 0.17), (85, 100, 0.09))
GENDERS = (AdministrativeGender.female, AdministrativeGender.male, AdministrativeGender.other,
           AdministrativeGender.unknown)
GENDER_WEIGHTS = (0.54, 0.455, 0.003, 0.002)
CONTACT_METHODS = (ContactMethod.phone, ContactMethod.sms, ContactMethod.portal, ContactMethod.email,
                   ContactMethod.mail)
CONTACT_WEIGHTS = (0.55, 0.20, 0.12, 0.05, 0.08)


def _slug(name: str) -> str:
    """Letters only, for e-mail addresses ('O'Brien' -> 'obrien')."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


@dataclass(frozen=True)
class _NameTable:
    """Every name of every group in one array, with where each (group, list) starts, so a draw is an index."""

    names: NDArray[np.str_]
    lower: NDArray[np.str_]
    slug: NDArray[np.str_]
    start: Ints
    count: Ints

    @classmethod
    def of(cls, lists: list[tuple[str, ...]]) -> _NameTable:
        flat = [name for names in lists for name in names]
        counts = np.array([len(names) for names in lists], dtype=np.int64)
        return cls(np.array(flat, dtype=np.str_), np.array([n.lower() for n in flat], dtype=np.str_),
                   np.array([_slug(n) for n in flat], dtype=np.str_), np.cumsum(counts) - counts, counts)

    def draw(self, rng: np.random.Generator, list_index: Ints) -> Ints:
        return self.start[list_index] + (rng.random(len(list_index)) * self.count[list_index]).astype(np.int64)


_SURNAMES = _NameTable.of([g.surnames for g in people.GROUPS])
# Given names: list 2g holds group g's women's names, 2g + 1 its men's.
_GIVEN = _NameTable.of([names for g in people.GROUPS for names in (g.female, g.male)])
_GROUP_WEIGHTS = [g.weight for g in people.GROUPS]


@dataclass(frozen=True)
class Names:
    given: NDArray[np.str_]
    family: NDArray[np.str_]
    given_norm: NDArray[np.str_]
    family_norm: NDArray[np.str_]
    given_slug: NDArray[np.str_]
    family_slug: NDArray[np.str_]
    group: Ints


def draw_names(rng: np.random.Generator, female: Bools) -> Names:
    group = pick(rng, _GROUP_WEIGHTS, len(female))
    family = _SURNAMES.draw(rng, group)
    given = _GIVEN.draw(rng, 2 * group + (~female).astype(np.int64))
    return Names(_GIVEN.names[given], _SURNAMES.names[family], _GIVEN.lower[given], _SURNAMES.lower[family],
                 _GIVEN.slug[given], _SURNAMES.slug[family], group)


@dataclass(frozen=True)
class People:
    n: int
    as_of: int  # seconds since the epoch: the day the population is generated for
    age: Floats  # exact age in years at as_of
    birth_day: Ints  # days since the epoch
    gender: NDArray[np.str_]
    female: Bools  # the sex prevalence figures apply to (other/unknown genders drawn either way)
    names: Names
    language: NDArray[np.str_]
    interpreter: Bools
    until: Ints  # seconds: when the record ends, as_of or the moment of death (set once mortality is drawn)
    minted_ms: int  # the time field of this chunk's public ids (frames.public_ids)


def draw_people(rng: np.random.Generator, n: int, as_of: int, minted_ms: int) -> People:
    band = pick(rng, [w for _, _, w in AGE_BANDS], n)
    low = np.array([lo for lo, _, _ in AGE_BANDS], dtype=np.float64)[band]
    high = np.array([hi for _, hi, _ in AGE_BANDS], dtype=np.float64)[band]
    age = low + rng.random(n) * (high - low)
    birth_day = as_of // SECONDS_PER_DAY - np.round(age * DAYS_PER_YEAR).astype(np.int64)
    gender = lookup([g.value for g in GENDERS], pick(rng, GENDER_WEIGHTS, n))
    female = np.where(np.isin(gender, ["female", "male"]), gender == "female", chance(rng, 0.5, n))
    names = draw_names(rng, female)
    language = _languages(rng, names.group, age)
    interpreter = (language != "en") & chance(rng, np.where(age >= 75, 0.8, 0.6))
    return People(n, as_of, age, birth_day, gender, female, names, language, interpreter,
                  np.full(n, as_of, dtype=np.int64), minted_ms)


def _languages(rng: np.random.Generator, group: Ints, age: Floats) -> NDArray[np.str_]:
    """English unless the group's share of other-language speakers says otherwise; older people keep their
    first language more often (ACS: limited English proficiency rises with age)."""
    language = np.full(len(group), "en", dtype="<U2")
    tilt = np.select([age < 50, age < 65], [0.7, 1.0], 1.3)
    u = rng.random(len(group))
    for g, heritage in enumerate(people.GROUPS):
        members = group == g
        threshold = np.zeros(len(group))
        for code, share in heritage.languages:
            below = u < threshold + share * tilt
            language[members & below & (language == "en")] = code
            threshold = threshold + share * tilt
    return language


def patient_frame(rng: np.random.Generator, who: People, ids: Ints, region: Ints, deceased_at: Ints,
                  deceased: Bools, enrolled: Ints) -> Frame:
    n = who.n
    updated = np.where(deceased, deceased_at, enrolled + (rng.random(n) * (who.as_of - enrolled)).astype(np.int64))
    town = _towns(rng, region)
    email = _emails(rng, who.names, ids)
    method = lookup([m.value for m in CONTACT_METHODS], pick(rng, CONTACT_WEIGHTS, n))
    method = np.where((method == "email") & (email == ""), "phone", method)
    null_time = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    return {
        "id": ids,
        "public_id": public_ids(rng, n, who.minted_ms),
        "family": who.names.family,
        "given": who.names.given,
        "family_norm": who.names.family_norm,
        "given_norm": who.names.given_norm,
        "birth_date": who.birth_day.astype("datetime64[D]"),
        "gender": who.gender,
        "preferred_language": who.language,
        "interpreter_needed": who.interpreter,
        "phone": phones(rng, n),
        "email": email,
        "address_line": _streets(rng, n),
        "city": lookup([t[0] for t in people.TOWNS], town),
        "state": lookup([t[1] for t in people.TOWNS], town),
        "postal_code": lookup([t[2] for t in people.TOWNS], town),
        "contact_method": method,
        "contact_notes": _contact_notes(rng, who),
        "deceased_at": np.where(deceased, deceased_at.astype("datetime64[s]"), null_time),
        "active": ~deceased,
        "created_at": enrolled.astype("datetime64[s]"),
        "updated_at": updated.astype("datetime64[s]"),
    }


def _towns(rng: np.random.Generator, region: Ints) -> Ints:
    town = np.zeros(len(region), dtype=np.int64)
    for r in range(len(people.REGIONS)):
        options = np.array([i for i, t in enumerate(people.TOWNS) if t[3] == r], dtype=np.int64)
        members = np.flatnonzero(region == r)
        town[members] = options[(rng.random(len(members)) * len(options)).astype(np.int64)]
    return town


def _digits(values: Ints, width: int) -> NDArray[np.str_]:
    return np.strings.zfill(values.astype(np.str_), width)


def phones(rng: np.random.Generator, n: int) -> NDArray[np.str_]:
    area = lookup(people.AREA_CODES, pick(rng, [1, 1], n))
    line = _digits(between(rng, 0, 100, n), 2)
    return np.strings.add(np.strings.add(np.strings.add("(", area), ") 555-01"), line)


def _streets(rng: np.random.Generator, n: int) -> NDArray[np.str_]:
    number = between(rng, 1, 9800, n).astype(np.str_)
    street = lookup(people.STREETS, pick(rng, [1] * len(people.STREETS), n))
    suffix = lookup(people.STREET_SUFFIXES, pick(rng, [1] * len(people.STREET_SUFFIXES), n))
    line = np.strings.add(np.strings.add(np.strings.add(np.strings.add(number, " "), street), " "), suffix)
    apartment = np.strings.add(", Apt ", between(rng, 1, 40, n).astype(np.str_))
    return np.where(chance(rng, 0.2, n), np.strings.add(line, apartment), line)


def _emails(rng: np.random.Generator, names: Names, ids: Ints) -> NDArray[np.str_]:
    """A third have e-mail, at example.com (reserved for documentation, so nothing is ever delivered)."""
    local = np.strings.add(np.strings.add(np.strings.add(names.given_slug, "."), names.family_slug),
                           (ids % 97).astype(np.str_))
    address = np.strings.add(local, "@example.com")
    return np.where(chance(rng, 0.35, len(ids)), address, "")


def _contact_notes(rng: np.random.Generator, who: People) -> NDArray[np.str_]:
    note = lookup(people.CONTACT_NOTES, pick(rng, [1] * len(people.CONTACT_NOTES), who.n))
    note = np.where(chance(rng, 0.2, who.n), note, "")
    language_name = lookup(list(people.LANGUAGE_NAMES.values()), _language_index(who.language))
    interpreter_note = np.strings.add(np.strings.add("Needs a ", language_name), " interpreter")
    return np.where(who.interpreter, interpreter_note, note)


def _language_index(language: NDArray[np.str_]) -> Ints:
    codes = list(people.LANGUAGE_NAMES)
    index = np.zeros(len(language), dtype=np.int64)
    for i, code in enumerate(codes):
        index[language == code] = i
    return index


def identifier_frame(rng: np.random.Generator, who: People, patient_ids: Ints, allocator: IdAllocator) -> Frame:
    """Every patient has an MRN; most have a payer member id (Medicare MBI at 65+, else Medicaid or a
    commercial plan). Values are derived from the patient key by a bijection, so they never collide."""
    n = who.n
    system, value = _payer_ids(rng, who, patient_ids)
    has_payer = system != ""
    owners = np.concatenate([patient_ids, patient_ids[has_payer]])
    return arrange({
        "id": allocator.take("patient_identifiers", len(owners)),
        "patient_id": owners,
        "system": np.concatenate([np.full(n, MRN_SYSTEM), system[has_payer]]),
        "value": np.concatenate([np.strings.add("M", _digits(patient_ids, 9)), value[has_payer]]),
        "type_code": np.concatenate([np.full(n, "MR"), np.full(int(has_payer.sum()), "MB")]),
    }, "system", "value")


def _payer_kind(rng: np.random.Generator, who: People) -> Ints:
    """0 none, 1 Medicare, 2 Medicaid, 3 commercial."""
    u = rng.random(who.n)
    older = who.age >= 65
    return np.where(older, np.where(u < 0.93, 1, 0), np.select([u < 0.35, u < 0.88], [2, 3], 0))


def _payer_ids(rng: np.random.Generator, who: People, patient_ids: Ints) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    kind = _payer_kind(rng, who)
    system = lookup(("", MEDICARE_SYSTEM, MEDICAID_SYSTEM, COMMERCIAL_SYSTEM), kind)
    medicaid = np.strings.add("IL", _digits((patient_ids * 7_654_321) % 10**9, 9))
    commercial = np.strings.add("BLH", _digits((patient_ids * 3_000_017) % 10**9, 9))
    value = np.select([kind == 1, kind == 2, kind == 3], [_mbi(patient_ids), medicaid, commercial], "")
    return system, value


# Medicare Beneficiary Identifier layout (CMS): digit 1-9, letter, letter-or-digit, digit, letter,
# letter-or-digit, digit, letter, letter, digit, digit; letters exclude S, L, O, I, B and Z.
_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_MBI_POSITIONS = ("123456789", _MBI_LETTERS, _MBI_LETTERS + "0123456789", "0123456789", _MBI_LETTERS,
                  _MBI_LETTERS + "0123456789", "0123456789", _MBI_LETTERS, _MBI_LETTERS, "0123456789", "0123456789")


def _mbi(patient_ids: Ints) -> NDArray[np.str_]:
    """A well-formed MBI per key: key * an odd prime (not 3 or 5) mod the number of MBIs is a bijection."""
    space = math.prod(len(p) for p in _MBI_POSITIONS)
    x = (patient_ids * 1_000_003) % space
    points = np.empty((len(patient_ids), len(_MBI_POSITIONS)), dtype=np.uint32)
    for place in range(len(_MBI_POSITIONS) - 1, -1, -1):
        alphabet = np.array([ord(ch) for ch in _MBI_POSITIONS[place]], dtype=np.uint32)
        x, digit = np.divmod(x, len(alphabet))
        points[:, place] = alphabet[digit]
    return points.view(f"<U{len(_MBI_POSITIONS)}").reshape(len(patient_ids))
