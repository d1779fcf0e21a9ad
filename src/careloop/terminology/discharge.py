"""Discharge dispositions: careloop stores HL7's FHIR code system; NUBC UB-04 patient discharge status codes
(Synthea's FHIR, and HL7 v2 PV1-36 table 0112 in the US) are translated through one table, here.

Sources: HL7 http://terminology.hl7.org/CodeSystem/discharge-disposition (home, alt-home, other-hcf, hosp,
long, aadvice, exp, psy, rehab, snf, oth); NUBC UB-04 FL17 codes as listed in ../shared/CLINICAL-REFERENCE.md
section 2 (01-09, 20-21, 30, 40-43, 50-51, 61-66, 69-70, and 81-95, the same places "with a planned acute care
hospital inpatient readmission"). Each NUBC code goes to the HL7 code naming the same place.
"""

from __future__ import annotations

HL7_SYSTEM = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
NUBC_SYSTEM = "http://www.nubc.org/patient-discharge"

HL7_CODES = frozenset({"home", "alt-home", "other-hcf", "hosp", "long", "aadvice", "exp", "psy", "rehab", "snf",
                       "oth"})

NUBC_TO_HL7: dict[str, str] = {
    "01": "home",  # home or self care (routine)
    "02": "other-hcf",  # short-term general hospital
    "03": "snf",  # skilled nursing facility
    "04": "long",  # intermediate care facility
    "05": "other-hcf",  # another type of institution (cancer centre, children's hospital)
    "06": "home",  # home under the care of a home health organization
    "07": "aadvice",  # left against medical advice
    "08": "home",  # home under a home IV provider (retired code)
    "09": "oth",  # admitted as an inpatient to this hospital
    "20": "exp",  # expired
    "21": "oth",  # court or law enforcement
    "30": "oth",  # still a patient
    "40": "exp",  # expired at home (hospice claims)
    "41": "exp",  # expired in a medical facility (hospice claims)
    "42": "exp",  # expired, place unknown (hospice claims)
    "43": "other-hcf",  # federal health care facility
    "50": "hosp",  # hospice, home
    "51": "hosp",  # hospice, medical facility
    "61": "snf",  # swing bed
    "62": "rehab",  # inpatient rehabilitation facility
    "63": "long",  # long-term care hospital
    "64": "long",  # nursing facility certified under Medicaid only
    "65": "psy",  # psychiatric hospital or unit
    "66": "other-hcf",  # critical access hospital
    "69": "other-hcf",  # designated disaster alternative care site
    "70": "other-hcf",  # another type of health care institution
    "81": "home", "82": "other-hcf", "83": "snf", "84": "long", "85": "other-hcf", "86": "home", "87": "oth",
    "88": "other-hcf", "89": "snf", "90": "rehab", "91": "long", "92": "long", "93": "psy", "94": "other-hcf",
    "95": "other-hcf",
}


def nubc_to_hl7(code: str) -> str | None:
    """'1' or '01' -> 'home'; None for a code outside the table."""
    cleaned = code.strip()
    return NUBC_TO_HL7.get(cleaned.zfill(2) if cleaned.isdigit() else cleaned)


def discharge_disposition(system: str | None, code: str) -> tuple[str | None, str | None]:
    """(the HL7 code careloop stores, the original as system|code when it was translated).

    An HL7 code passes as is; a NUBC code is translated; anything else is (None, original), so the caller
    keeps what it got without pretending to know what it means."""
    if system == HL7_SYSTEM or (system is None and code in HL7_CODES):
        return (code if code in HL7_CODES else None), (None if code in HL7_CODES else f"{system}|{code}")
    original = f"{system or ''}|{code}"
    if system == NUBC_SYSTEM:
        return nubc_to_hl7(code), original
    return None, original
