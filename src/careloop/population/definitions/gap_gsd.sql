-- name: gap_gsd
-- title: Glycemic status assessment for patients with diabetes (<8.0% and >9.0%)
-- kind: measure
-- source: NCQA HEDIS GSD (replaced HBD in MY2024), public description (CLINICAL-REFERENCE.md section 4); HbA1c LOINC 4548-4, GMI 97506-0
-- version: hedis-my2025.1
-- period: the 12 months up to the as-of date (HEDIS uses the calendar year)
-- depends: ages, dx
-- Denominator: aged 18-75 with type 1 or type 2 diabetes (E10, E11, E13). The most recent HbA1c or GMI in the
-- period decides both rows: gsd_lt8 is closed when it is below 8.0 %; gsd_gt9 (an inverse measure) is open
-- when it is above 9.0 % or missing.
WITH diabetic AS (
    SELECT DISTINCT d.patient_id FROM dx d JOIN ages a ON a.patient_id = d.patient_id
    WHERE substr(d.code, 1, 3) IN ('E10', 'E11', 'E13') AND a.age BETWEEN 18 AND 75
),
results AS (
    SELECT o.patient_id, o.value_num, CAST(o.effective_at AS DATE) AS on_date,
           row_number() OVER (PARTITION BY o.patient_id ORDER BY o.effective_at DESC) AS rn
    FROM src_observations o
    JOIN diabetic d ON d.patient_id = o.patient_id
    CROSS JOIN params p
    WHERE o.code IN ('4548-4', '97506-0') AND o.value_num IS NOT NULL
      AND CAST(o.effective_at AS DATE) BETWEEN p.period_start AND p.period_end
),
latest AS (SELECT * FROM results WHERE rn = 1),
scored AS (
    SELECT d.patient_id, l.value_num, l.on_date,
           CASE WHEN l.patient_id IS NULL THEN 'no HbA1c or GMI in the period'
                ELSE 'most recent HbA1c ' || CAST(l.value_num AS VARCHAR) || ' % on ' || CAST(l.on_date AS VARCHAR)
           END AS evidence
    FROM diabetic d LEFT JOIN latest l ON l.patient_id = d.patient_id
)
SELECT s.patient_id, 'gsd_lt8' AS measure, CAST(NULL AS DATE) AS event_date, p.period_end AS due_date,
       CASE WHEN s.value_num < 8.0 THEN 'closed' ELSE 'open' END AS status, s.evidence
FROM scored s CROSS JOIN params p
UNION ALL
SELECT s.patient_id, 'gsd_gt9' AS measure, CAST(NULL AS DATE) AS event_date, p.period_end AS due_date,
       CASE WHEN s.value_num IS NULL OR s.value_num > 9.0 THEN 'open' ELSE 'closed' END AS status, s.evidence
FROM scored s CROSS JOIN params p
