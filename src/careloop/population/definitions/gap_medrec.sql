-- name: gap_medrec
-- title: Medication reconciliation within 30 days after discharge
-- kind: measure
-- source: NCQA HEDIS TRC medication reconciliation post-discharge (discharge date through 30 days after, 31 days), public description (CLINICAL-REFERENCE.md section 4)
-- version: hedis-my2025.1
-- period: discharges in the 12 months up to the as-of date
-- depends: discharges
-- Evidence of reconciliation: a completed careloop medication-review task, or a procedure coded as
-- medication reconciliation (CPT II 1111F, SNOMED CT 430193006), dated from the discharge date to 30 days after.
WITH done AS (
    SELECT patient_id, CAST(completed_at AS DATE) AS on_date, 'medication review task completed' AS what
    FROM src_tasks_done WHERE type = 'med-review'
    UNION ALL
    SELECT patient_id, CAST(performed_start AS DATE), 'medication reconciliation recorded (' || code || ')'
    FROM src_procedures WHERE code IN ('1111F', '430193006')
),
matched AS (
    SELECT d.encounter_id, min(x.on_date) AS on_date, min(x.what) AS what
    FROM discharges d JOIN done x ON x.patient_id = d.patient_id
    WHERE x.on_date >= d.discharge_date AND x.on_date <= d.discharge_date + INTERVAL 30 DAY
    GROUP BY d.encounter_id
)
SELECT d.patient_id, 'medrec_30d' AS measure, d.discharge_date AS event_date,
       CAST(d.discharge_date + INTERVAL 30 DAY AS DATE) AS due_date,
       CASE WHEN m.on_date IS NOT NULL THEN 'closed' ELSE 'open' END AS status,
       'discharged ' || CAST(d.discharge_date AS VARCHAR) || '; '
         || coalesce(m.what || ' ' || CAST(m.on_date AS VARCHAR), 'no reconciliation recorded') AS evidence
FROM discharges d LEFT JOIN matched m ON m.encounter_id = d.encounter_id
