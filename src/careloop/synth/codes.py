"""The clinical vocabulary of the synthetic population: conditions with their prevalence by age, the
medicines that follow from them, the observations measured, and the encounter codes.

Codes are stored the way careloop normalises them: ICD-10-CM without dots and upper case (valid billable
codes of the FY2024 tabular list), SNOMED CT concept ids, LOINC and RxNorm. Conditions that the Charlson index
counts carry the Quan 2005 category their ICD-10 code falls in (CLINICAL-REFERENCE section 4); a test checks
each against ../shared/data/reference/charlson_quan_icd10.txt.

Prevalence by age band (18-44, 45-64, 65-74, 75-84, 85+) is diagnosed prevalence in adults, rounded from:
  [CCW]  CMS Chronic Conditions Data Warehouse, Medicare fee-for-service prevalence, 2018 (65+: hypertension
         57%, hyperlipidaemia 47%, diabetes 27%, CKD 24%, heart failure 14%, depression 18%, COPD 11%,
         Alzheimer's and related dementia 11%, atrial fibrillation 8%, breast/colorectal/lung/prostate cancer 8%)
  [NCHS] CDC/NCHS Data Brief 364 (hypertension, NHANES 2017-2018: 22% at 18-39, 55% at 40-59, 75% at 60+,
         measured; diagnosed prevalence is lower in the young)
  [NDSR] CDC National Diabetes Statistics Report 2020 (18-44 4.2%, 45-64 17.5%, 65+ 26.8%)
  [AHA]  AHA Heart Disease and Stroke Statistics 2023 update, NHANES 2017-2020 (heart failure, MI, stroke,
         atrial fibrillation and PAD by age)
  [MMWR] CDC MMWR 2015;64(11):289-95, COPD by age (BRFSS 2013: 3.2%, 7.3%, 11.6%, 12.3%)
  [AA]   Alzheimer's Association 2023 Facts and Figures (dementia 5.0% at 65-74, 13.1% at 75-84, 33.3% at 85+)
  [NHIS] CDC National Health Interview Survey 2019 (asthma, depression, anxiety in adults)
  [NCI]  NCI Office of Cancer Survivorship statistics 2022 (cancer survivors by age)
  [HIV]  CDC HIV Surveillance Report 2021 (about 0.4% of adults)
  [OST]  CDC/NCHS Data Brief 405 (osteoporosis 12.6% at 50+, 19.6% of women)
Figures marked "approx." are rounded judgements between these sources, not published numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

AGE_BAND_MIDPOINTS = (31.0, 55.0, 70.0, 80.0, 90.0)  # bands 18-44, 45-64, 65-74, 75-84, 85+


@dataclass(frozen=True)
class Code:
    snomed: str
    icd10: str
    display: str
    charlson: str | None = None  # Quan 2005 category, None where the index does not count it


@dataclass(frozen=True)
class ConditionSpec:
    """A chronic condition drawn by a liability-threshold model (see clinical.py), or, with `parent`, a
    complication drawn among those who have the parent condition."""

    key: str
    variants: tuple[Code, ...]
    prevalence: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
    frailty: float = 0.3  # loading on the shared "general frailty" liability
    cardiometabolic: float = 0.0  # loading on the shared cardiometabolic liability
    female: float = 1.0  # prevalence multiplier for women; `male` for men
    male: float = 1.0
    weights_female: tuple[float, ...] = ()  # variant weights; empty: equal
    weights_male: tuple[float, ...] = ()  # empty: same as women
    remission: float = 0.0  # share whose clinical status is remission rather than active
    parent: str | None = None
    share: float = 0.0  # with parent: share of the parent's (active) cases


def _one(snomed: str, icd10: str, display: str, charlson: str | None = None) -> tuple[Code, ...]:
    return (Code(snomed, icd10, display, charlson),)


CONDITIONS: tuple[ConditionSpec, ...] = (
    ConditionSpec("hypertension", _one("59621000", "I10", "Essential hypertension"),  # [NCHS][CCW]
                  (0.12, 0.40, 0.58, 0.66, 0.70), frailty=0.3, cardiometabolic=0.6),
    ConditionSpec("hyperlipidemia", _one("55822004", "E785", "Hyperlipidemia"),  # [CCW], approx. below 65
                  (0.10, 0.33, 0.48, 0.49, 0.43), frailty=0.2, cardiometabolic=0.5),
    ConditionSpec(
        "diabetes",  # [NDSR][CCW]; complication mix approx.
        (Code("44054006", "E119", "Type 2 diabetes mellitus", "diab"),
         Code("127013003", "E1122", "Type 2 diabetes mellitus with diabetic kidney disease", "diabwc"),
         Code("230572002", "E1140", "Type 2 diabetes mellitus with diabetic neuropathy", "diabwc"),
         Code("4855003", "E11319", "Type 2 diabetes mellitus with diabetic retinopathy", "diabwc"),
         Code("46635009", "E109", "Type 1 diabetes mellitus", "diab")),
        (0.04, 0.17, 0.26, 0.27, 0.22), frailty=0.35, cardiometabolic=0.6,
        weights_female=(0.55, 0.17, 0.13, 0.09, 0.06)),
    ConditionSpec(
        "heart_failure",  # [AHA][CCW]
        (Code("84114007", "I509", "Heart failure", "chf"),
         Code("441481004", "I5022", "Chronic systolic heart failure", "chf"),
         Code("441530006", "I5032", "Chronic diastolic heart failure", "chf")),
        (0.004, 0.02, 0.07, 0.12, 0.18), frailty=0.55, cardiometabolic=0.45, weights_female=(0.5, 0.25, 0.25)),
    ConditionSpec("copd", _one("13645005", "J449", "Chronic obstructive pulmonary disease", "copd"),  # [MMWR]
                  (0.032, 0.073, 0.116, 0.123, 0.12), frailty=0.5, cardiometabolic=0.1),
    ConditionSpec("asthma", _one("195967001", "J45909", "Asthma", "copd"),  # [NHIS]
                  (0.08, 0.08, 0.07, 0.06, 0.05), frailty=0.2, female=1.3, male=0.7),
    ConditionSpec(
        "ckd",  # [CCW]; stage mix approx. from USRDS
        (Code("433144002", "N1830", "Chronic kidney disease stage 3", "rend"),
         Code("431857002", "N184", "Chronic kidney disease stage 4", "rend"),
         Code("433146000", "N185", "Chronic kidney disease stage 5", "rend"),
         Code("46177005", "N186", "End-stage renal disease", "rend")),
        (0.012, 0.045, 0.14, 0.23, 0.32), frailty=0.45, cardiometabolic=0.55,
        weights_female=(0.72, 0.17, 0.04, 0.07)),
    ConditionSpec("depression", _one("36923009", "F329", "Major depressive disorder, single episode"),  # [NHIS][CCW]
                  (0.09, 0.10, 0.13, 0.14, 0.14), frailty=0.4, female=1.3, male=0.7, remission=0.15),
    ConditionSpec("anxiety", _one("197480006", "F419", "Anxiety disorder"),  # [NHIS]
                  (0.08, 0.07, 0.06, 0.05, 0.05), frailty=0.3, female=1.3, male=0.7),
    ConditionSpec(
        "dementia",  # [AA]
        (Code("52448006", "F0390", "Dementia", "dementia"),
         Code("26929004", "G309", "Alzheimer's disease", "dementia"),
         Code("429998004", "F0150", "Vascular dementia", "dementia")),
        (0.0005, 0.005, 0.05, 0.13, 0.33), frailty=0.5, female=1.1, male=0.9, weights_female=(0.40, 0.45, 0.15)),
    ConditionSpec(
        "cancer",  # [NCI][CCW]; sites by sex approx.
        (Code("254837009", "C50919", "Malignant neoplasm of breast", "canc"),
         Code("399068003", "C61", "Malignant tumor of prostate", "canc"),
         Code("363406005", "C189", "Malignant neoplasm of colon", "canc"),
         Code("254637007", "C3490", "Non-small cell lung cancer", "canc"),
         Code("118601006", "C8590", "Non-Hodgkin's lymphoma", "canc")),
        (0.01, 0.045, 0.09, 0.12, 0.12), frailty=0.35,
        weights_female=(0.45, 0.0, 0.2, 0.17, 0.18), weights_male=(0.0, 0.45, 0.2, 0.2, 0.15), remission=0.45),
    ConditionSpec(
        "metastatic",  # about a fifth of active cancers, approx.
        (Code("94381002", "C787", "Secondary malignant neoplasm of liver", "metacanc"),
         Code("94222008", "C7951", "Secondary malignant neoplasm of bone", "metacanc"),
         Code("94391008", "C7800", "Secondary malignant neoplasm of lung", "metacanc")),
        parent="cancer", share=0.2, weights_female=(0.35, 0.40, 0.25)),
    ConditionSpec("old_mi", _one("1755008", "I252", "Old myocardial infarction", "ami"),  # [AHA]
                  (0.003, 0.025, 0.06, 0.09, 0.11), frailty=0.3, cardiometabolic=0.6, female=0.65, male=1.4),
    ConditionSpec("stroke", _one("230690007", "I639", "Cerebrovascular accident", "cevd"),  # [AHA]
                  (0.005, 0.025, 0.06, 0.09, 0.12), frailty=0.4, cardiometabolic=0.5),
    ConditionSpec("hemiplegia", _one("50582007", "G8190", "Hemiplegia", "hp"),  # after stroke, approx.
                  parent="stroke", share=0.15),
    ConditionSpec("pvd", _one("400047006", "I739", "Peripheral vascular disease", "pvd"),  # [AHA], diagnosed
                  (0.002, 0.015, 0.04, 0.07, 0.09), frailty=0.3, cardiometabolic=0.6, female=0.85, male=1.2),
    ConditionSpec("atrial_fibrillation", _one("49436004", "I4891", "Atrial fibrillation"),  # [AHA][CCW]
                  (0.002, 0.015, 0.06, 0.11, 0.15), frailty=0.35, cardiometabolic=0.4, female=0.85, male=1.2),
    ConditionSpec("rheumatoid_arthritis", _one("69896004", "M069", "Rheumatoid arthritis", "rheumd"),  # approx.
                  (0.004, 0.008, 0.015, 0.018, 0.018), frailty=0.25, female=1.5, male=0.5),
    ConditionSpec("peptic_ulcer", _one("397825006", "K259", "Gastric ulcer", "pud"),  # approx.
                  (0.005, 0.01, 0.015, 0.02, 0.02), frailty=0.25),
    ConditionSpec(
        "liver_disease",  # approx. (chronic liver disease and cirrhosis, NHIS)
        (Code("19943007", "K7460", "Cirrhosis of liver", "mld"),
         Code("128302006", "B182", "Chronic hepatitis C", "mld"),
         Code("420054005", "K7030", "Alcoholic cirrhosis", "mld")),
        (0.004, 0.012, 0.012, 0.008, 0.005), frailty=0.3, cardiometabolic=0.2, female=0.6, male=1.4,
        weights_female=(0.5, 0.3, 0.2)),
    ConditionSpec(
        "severe_liver",  # decompensation among chronic liver disease, approx.
        (Code("34742003", "K766", "Portal hypertension", "msld"),
         Code("28670008", "I8500", "Esophageal varices", "msld")),
        parent="liver_disease", share=0.2, weights_female=(0.6, 0.4)),
    ConditionSpec("hiv", _one("86406008", "B20", "Human immunodeficiency virus disease", "aids"),  # [HIV]
                  (0.004, 0.005, 0.003, 0.001, 0.0005), frailty=0.1, female=0.5, male=1.5),
    ConditionSpec("osteoporosis", _one("64859006", "M810", "Osteoporosis"),  # [OST]
                  (0.005, 0.03, 0.08, 0.13, 0.18), frailty=0.3, female=1.7, male=0.3),
)
CONDITION_INDEX = {spec.key: i for i, spec in enumerate(CONDITIONS)}

# Charlson 1987 weights (CLINICAL-REFERENCE section 4), used to make sicker patients use more care.
CHARLSON_WEIGHTS = {
    "ami": 1, "chf": 1, "pvd": 1, "cevd": 1, "dementia": 1, "copd": 1, "rheumd": 1, "pud": 1, "mld": 1,
    "diab": 1, "diabwc": 2, "hp": 2, "rend": 2, "canc": 2, "msld": 3, "metacanc": 6, "aids": 6,
}
# Where a patient has the graver category, the milder one does not count again ("assign0").
CHARLSON_HIERARCHY = {"msld": "mld", "diabwc": "diab", "metacanc": "canc"}


@dataclass(frozen=True)
class SocialNeed:
    """A social need recorded as a health-concern Condition (Gravity SDOH pattern) with its ICD-10-CM Z code."""

    key: str
    code: Code
    prevalence: float
    referral_title: str


# Shares approx. from the CMS Accountable Health Communities screening results (2018-2020: food 41%,
# housing 37%, transportation 26%, utilities 24% of those screened positive, with about a third of
# Medicare and Medicaid beneficiaries screening positive for at least one need); "lives alone" from the
# Census share of people 65+ living alone (about 28%), applied to the older patients only.
SOCIAL_NEEDS: tuple[SocialNeed, ...] = (
    SocialNeed("food", Code("733423003", "Z5941", "Food insecurity"), 0.10, "Refer to food pantry"),
    SocialNeed("transport", Code("713458007", "Z5982", "Transportation insecurity"), 0.07,
               "Arrange transportation to appointments"),
    # SNOMED CT has no concept for utilities alone; "Housing unsatisfactory" is the nearest broader one.
    SocialNeed("utilities", Code("105531004", "Z5912", "Inadequate housing utilities"), 0.05,
               "Refer to utility assistance program"),
    SocialNeed("homeless", Code("32911000", "Z5900", "Homelessness"), 0.015, "Housing navigation referral"),
    SocialNeed("lives_alone", Code("105529008", "Z602", "Lives alone"), 0.18, "Refer to home-delivered meals"),
)
LIVES_ALONE_MIN_AGE = 65


@dataclass(frozen=True)
class Medicine:
    rxnorm: str
    display: str
    dosage: str


# RxNorm semantic clinical drugs (SCD; two branded packs where that is what is dispensed), as listed by NLM
# RxNav. Those marked [S] also appear in the Synthea sample data under ../shared/data.
MEDICINES: dict[str, Medicine] = {
    "lisinopril": Medicine("314076", "lisinopril 10 MG Oral Tablet", "1 tablet by mouth once daily"),  # [S]
    "losartan": Medicine("979485", "losartan potassium 50 MG Oral Tablet", "1 tablet by mouth once daily"),
    "amlodipine": Medicine("197361", "amlodipine 5 MG Oral Tablet", "1 tablet by mouth once daily"),
    "hctz": Medicine("310798", "hydrochlorothiazide 25 MG Oral Tablet", "1 tablet by mouth every morning"),  # [S]
    "atorvastatin": Medicine("617310", "atorvastatin 20 MG Oral Tablet", "1 tablet by mouth at bedtime"),
    "simvastatin": Medicine("312961", "simvastatin 20 MG Oral Tablet", "1 tablet by mouth at bedtime"),  # [S]
    "metformin": Medicine("861007", "metformin hydrochloride 500 MG Oral Tablet",
                          "1 tablet by mouth twice daily with meals"),
    "metformin_er": Medicine("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet",
                             "2 tablets by mouth once daily with the evening meal"),  # [S]
    "insulin_glargine": Medicine("311041", "insulin glargine 100 UNT/ML Injectable Solution",
                                 "20 units under the skin at bedtime"),
    "insulin_70_30": Medicine("106892", "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML "
                              "Injectable Suspension [Humulin]", "15 units under the skin twice daily before meals"),
    "furosemide": Medicine("313988", "furosemide 40 MG Oral Tablet", "1 tablet by mouth every morning"),
    "carvedilol": Medicine("200031", "carvedilol 6.25 MG Oral Tablet", "1 tablet by mouth twice daily with food"),
    "metoprolol": Medicine("866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet",
                           "1 tablet by mouth once daily"),  # [S]
    "spironolactone": Medicine("313096", "spironolactone 25 MG Oral Tablet", "1 tablet by mouth once daily"),
    "aspirin": Medicine("243670", "aspirin 81 MG Oral Tablet", "1 tablet by mouth once daily"),  # [S]
    "clopidogrel": Medicine("309362", "clopidogrel 75 MG Oral Tablet", "1 tablet by mouth once daily"),
    "nitroglycerin": Medicine("705129", "nitroglycerin 0.4 MG/ACTUAT Mucosal Spray",
                              "1 spray under the tongue as needed for chest pain"),  # [S]
    "albuterol": Medicine("745679", "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
                          "2 puffs every 4 to 6 hours as needed for wheezing"),
    "budesonide": Medicine("351109", "budesonide 0.25 MG/ML Inhalation Suspension",
                           "1 vial by nebuliser twice daily"),  # [S]
    "sertraline": Medicine("312940", "sertraline 50 MG Oral Tablet", "1 tablet by mouth once daily"),
    "donepezil": Medicine("997223", "donepezil hydrochloride 10 MG Oral Tablet", "1 tablet by mouth at bedtime"),
    "apixaban": Medicine("1364445", "apixaban 5 MG Oral Tablet", "1 tablet by mouth twice daily"),
    "warfarin": Medicine("855332", "warfarin sodium 5 MG Oral Tablet", "as directed by the anticoagulation clinic"),
    "epoetin": Medicine("205923", "1 ML epoetin alfa 4000 UNT/ML Injection [Epogen]",
                        "4,000 units under the skin once weekly"),  # [S]
    "ferrous_sulfate": Medicine("310325", "ferrous sulfate 325 MG Oral Tablet", "1 tablet by mouth once daily"),  # [S]
    "alendronate": Medicine("904419", "alendronic acid 10 MG Oral Tablet",
                            "1 tablet by mouth once daily, 30 minutes before breakfast"),  # [S]
    "methotrexate": Medicine("105585", "methotrexate 2.5 MG Oral Tablet", "6 tablets (15 mg) by mouth once weekly"),
    "anastrozole": Medicine("199224", "anastrozole 1 MG Oral Tablet", "1 tablet by mouth once daily"),
    "acetaminophen": Medicine("313782", "acetaminophen 325 MG Oral Tablet",
                              "2 tablets by mouth every 6 hours as needed for pain"),  # [S]
}
MEDICINE_KEYS = tuple(MEDICINES)


@dataclass(frozen=True)
class MedicineRule:
    """Patients with `condition` (optionally only these variants of it) are prescribed `medicine` with
    probability `p`. A medicine reached by several rules is prescribed once."""

    condition: str
    medicine: str
    p: float
    variants: tuple[int, ...] = ()


# First-line choices from the usual guidelines (ACC/AHA hypertension 2017, ADA Standards of Care, ACC/AHA
# heart failure 2022, GOLD), with shares that leave room for untreated and otherwise treated patients.
MEDICINE_RULES: tuple[MedicineRule, ...] = (
    MedicineRule("hypertension", "lisinopril", 0.40), MedicineRule("hypertension", "amlodipine", 0.30),
    MedicineRule("hypertension", "hctz", 0.25), MedicineRule("hypertension", "losartan", 0.15),
    MedicineRule("hyperlipidemia", "atorvastatin", 0.55), MedicineRule("hyperlipidemia", "simvastatin", 0.25),
    MedicineRule("diabetes", "metformin", 0.45, (0, 1, 2, 3)),
    MedicineRule("diabetes", "metformin_er", 0.25, (0, 1, 2, 3)),
    MedicineRule("diabetes", "insulin_glargine", 0.22, (0, 1, 2, 3)),
    MedicineRule("diabetes", "insulin_glargine", 1.0, (4,)),
    MedicineRule("diabetes", "insulin_70_30", 0.05), MedicineRule("diabetes", "atorvastatin", 0.5),
    MedicineRule("heart_failure", "furosemide", 0.75), MedicineRule("heart_failure", "carvedilol", 0.45),
    MedicineRule("heart_failure", "metoprolol", 0.35), MedicineRule("heart_failure", "spironolactone", 0.30),
    MedicineRule("heart_failure", "lisinopril", 0.40),
    MedicineRule("copd", "albuterol", 0.85), MedicineRule("copd", "budesonide", 0.35),
    MedicineRule("asthma", "albuterol", 0.90), MedicineRule("asthma", "budesonide", 0.40),
    MedicineRule("old_mi", "aspirin", 0.85), MedicineRule("old_mi", "atorvastatin", 0.80),
    MedicineRule("old_mi", "metoprolol", 0.50), MedicineRule("old_mi", "nitroglycerin", 0.30),
    MedicineRule("old_mi", "clopidogrel", 0.25),
    MedicineRule("pvd", "aspirin", 0.70), MedicineRule("pvd", "clopidogrel", 0.30),
    MedicineRule("pvd", "atorvastatin", 0.60),
    MedicineRule("stroke", "aspirin", 0.60), MedicineRule("stroke", "clopidogrel", 0.35),
    MedicineRule("stroke", "atorvastatin", 0.70),
    MedicineRule("atrial_fibrillation", "apixaban", 0.60), MedicineRule("atrial_fibrillation", "warfarin", 0.15),
    MedicineRule("atrial_fibrillation", "metoprolol", 0.40),
    MedicineRule("ckd", "epoetin", 0.30, (1, 2, 3)), MedicineRule("ckd", "ferrous_sulfate", 0.30, (1, 2, 3)),
    MedicineRule("ckd", "furosemide", 0.20),
    MedicineRule("depression", "sertraline", 0.60), MedicineRule("anxiety", "sertraline", 0.40),
    MedicineRule("dementia", "donepezil", 0.55),
    MedicineRule("rheumatoid_arthritis", "methotrexate", 0.60),
    MedicineRule("rheumatoid_arthritis", "acetaminophen", 0.30),
    MedicineRule("osteoporosis", "alendronate", 0.60),
    MedicineRule("cancer", "anastrozole", 0.50, (0,)),
    MedicineRule("liver_disease", "spironolactone", 0.40), MedicineRule("liver_disease", "furosemide", 0.20),
    # Antiretroviral regimens are left out: a single-tablet regimen's RxNorm code could not be verified here.
)


@dataclass(frozen=True)
class Loinc:
    code: str
    display: str
    unit: str
    category: str


BP_PANEL = "85354-9"
SYSTOLIC = Loinc("8480-6", "Systolic blood pressure", "mm[Hg]", "vital-signs")
DIASTOLIC = Loinc("8462-4", "Diastolic blood pressure", "mm[Hg]", "vital-signs")
WEIGHT = Loinc("29463-7", "Body weight", "kg", "vital-signs")
HEART_RATE = Loinc("8867-4", "Heart rate", "/min", "vital-signs")
RESPIRATORY_RATE = Loinc("9279-1", "Respiratory rate", "/min", "vital-signs")
BODY_TEMPERATURE = Loinc("8310-5", "Body temperature", "Cel", "vital-signs")
OXYGEN_SATURATION = Loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "vital-signs")
HBA1C = Loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", "laboratory")
GLUCOSE = Loinc("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", "laboratory")
SODIUM = Loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", "laboratory")
HEMOGLOBIN = Loinc("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", "laboratory")


@dataclass(frozen=True)
class EncounterType:
    snomed: str
    display: str


CHECK_UP = EncounterType("185349003", "Encounter for check up")
PROBLEM_VISIT = EncounterType("185347001", "Encounter for problem")
FOLLOW_UP = EncounterType("390906007", "Follow-up encounter")
HOME_VISIT = EncounterType("439708006", "Home visit")
ED_VISIT = EncounterType("50849002", "Emergency room admission")
ADMISSION = EncounterType("32485007", "Hospital admission")

GENERAL_EXAM = ("Z0000", "Encounter for general adult medical examination without abnormal findings")
# Why people land in the ED or hospital: the exacerbation of a chronic condition where they have one
# (condition key -> ICD-10-CM), otherwise one of the common acute reasons (AHRQ HCUP's top principal
# diagnoses for adult stays: sepsis, pneumonia, UTI, chest pain, syncope, dehydration, falls).
EXACERBATIONS: dict[str, tuple[str, str]] = {
    "heart_failure": ("I5023", "Acute on chronic systolic (congestive) heart failure"),
    "copd": ("J441", "Chronic obstructive pulmonary disease with (acute) exacerbation"),
    "ckd": ("N179", "Acute kidney failure, unspecified"),
    "diabetes": ("E1165", "Type 2 diabetes mellitus with hyperglycemia"),
    "atrial_fibrillation": ("I4891", "Unspecified atrial fibrillation"),
    "asthma": ("J45901", "Unspecified asthma with (acute) exacerbation"),
}
ACUTE_REASONS: tuple[tuple[str, str], ...] = (
    ("A419", "Sepsis, unspecified organism"), ("J189", "Pneumonia, unspecified organism"),
    ("N390", "Urinary tract infection, site not specified"), ("R0789", "Other chest pain"),
    ("R55", "Syncope and collapse"), ("E860", "Dehydration"), ("R296", "Repeated falls"),
    ("R0602", "Shortness of breath"),
)

# FHIR discharge-disposition codes (http://terminology.hl7.org/CodeSystem/discharge-disposition) with shares
# for younger and older patients, approx. from HCUP National Inpatient Sample dispositions (about two
# thirds home, one in six to skilled nursing at 75+).
DISPOSITIONS = ("home", "snf", "rehab", "other-hcf", "hosp", "aadvice", "long", "psy", "oth")
DISPOSITION_WEIGHTS_YOUNGER = (0.82, 0.05, 0.03, 0.03, 0.01, 0.03, 0.005, 0.015, 0.01)
DISPOSITION_WEIGHTS_OLDER = (0.62, 0.17, 0.07, 0.05, 0.03, 0.01, 0.02, 0.005, 0.015)

HOSPITALS = ("Northside Community Hospital", "St. Brigid Medical Center", "Lakeview General Hospital")
INPATIENT_UNITS = ("4 West", "5 East", "6 North", "Cardiac step-down", "Medical ICU", "Telemetry")
SPECIALISTS: dict[str, str] = {
    "heart_failure": "Lakeview Cardiology Associates",
    "ckd": "Northshore Nephrology",
    "cancer": "Lake County Cancer Center",
}
