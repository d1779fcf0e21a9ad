-- name: risk_tiers
-- title: Risk tier per patient, by the program's thresholds
-- kind: score
-- source: careloop program rules (data/risk_tiers.csv, configurable per program); inputs are Charlson (Quan 2011), utilization and the latest LACE
-- version: 1
-- period: the as-of date
-- depends: charlson, utilization, latest_scores
WITH inputs AS (
    SELECT c.patient_id, c.charlson_quan2011, u.ip_12m, u.ed_12m, l.lace
    FROM charlson c
    JOIN utilization u ON u.patient_id = c.patient_id
    LEFT JOIN latest_scores l ON l.patient_id = c.patient_id
),
matched AS (
    SELECT i.patient_id, r.tier, r.rank,
           CASE WHEN i.charlson_quan2011 >= r.min_charlson THEN 'Charlson ' || CAST(i.charlson_quan2011 AS VARCHAR)
                WHEN i.ip_12m >= r.min_ip_12m THEN CAST(i.ip_12m AS VARCHAR) || ' admissions in 12 months'
                WHEN i.ed_12m >= r.min_ed_12m THEN CAST(i.ed_12m AS VARCHAR) || ' ED visits in 12 months'
                WHEN i.lace >= r.min_lace THEN 'LACE ' || CAST(i.lace AS VARCHAR) || ' at the latest discharge'
                ELSE 'none of the thresholds met' END AS reason,
           row_number() OVER (PARTITION BY i.patient_id ORDER BY r.rank) AS rn
    FROM inputs i
    CROSS JOIN params p
    JOIN ref_risk_tiers r ON r.program = p.program
    WHERE i.charlson_quan2011 >= r.min_charlson OR i.ip_12m >= r.min_ip_12m OR i.ed_12m >= r.min_ed_12m
       OR i.lace >= r.min_lace
       OR (r.min_charlson IS NULL AND r.min_ip_12m IS NULL AND r.min_ed_12m IS NULL AND r.min_lace IS NULL)
)
SELECT patient_id, tier, reason AS tier_reason FROM matched WHERE rn = 1
