-- name: latest_scores
-- title: LACE and HOSPITAL at each patient's latest scored discharge
-- kind: intermediate
-- source: lace, hospital_score
-- version: 1
-- period: discharges in the 12 months up to the as-of date
-- depends: lace, hospital_score
WITH l AS (
    SELECT patient_id, lace, lace_band, lace_evidence,
           row_number() OVER (PARTITION BY patient_id ORDER BY discharge_date DESC, encounter_id DESC) AS rn
    FROM lace
),
h AS (
    SELECT patient_id, hospital_score, hospital_band, hospital_evidence,
           row_number() OVER (PARTITION BY patient_id ORDER BY discharge_date DESC, encounter_id DESC) AS rn
    FROM hospital_score
)
SELECT coalesce(l.patient_id, h.patient_id) AS patient_id, l.lace, l.lace_band, l.lace_evidence,
       h.hospital_score, h.hospital_band, h.hospital_evidence
FROM (SELECT * FROM l WHERE rn = 1) l
FULL OUTER JOIN (SELECT * FROM h WHERE rn = 1) h ON h.patient_id = l.patient_id
