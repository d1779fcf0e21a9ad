-- name: gap_flu
-- title: Influenza vaccination (adults)
-- kind: measure
-- source: NCQA HEDIS AIS-E influenza component, public description (adults 19 and older, a dose in the season from July 1); CDC CVX codes for seasonal influenza vaccines
-- version: hedis-my2025.1
-- period: the current influenza season: from July 1 through the as-of date
-- depends: ages
-- The season counted starts on July 1 of the as-of year from October on (when this season's vaccine is
-- given), and on July 1 of the year before until then, so a run in spring still sees the autumn's doses.
WITH season AS (
    SELECT make_date(year(as_of) - CASE WHEN month(as_of) >= 10 THEN 0 ELSE 1 END, 7, 1) AS season_start, as_of
    FROM params
),
doses AS (
    SELECT i.patient_id, max(CAST(i.occurred_at AS DATE)) AS last_dose
    FROM src_immunizations i CROSS JOIN season s
    WHERE i.vaccine_code IN ('88', '135', '140', '141', '144', '149', '150', '151', '153', '155', '158', '161',
                             '166', '168', '171', '185', '186', '197', '205', '231', '320')
      AND CAST(i.occurred_at AS DATE) BETWEEN s.season_start AND s.as_of
    GROUP BY i.patient_id
)
SELECT a.patient_id, 'flu_vaccine' AS measure, CAST(NULL AS DATE) AS event_date, p.period_end AS due_date,
       CASE WHEN d.last_dose IS NOT NULL THEN 'closed' ELSE 'open' END AS status,
       coalesce('influenza vaccine given ' || CAST(d.last_dose AS VARCHAR), 'no influenza vaccine recorded since '
                || CAST(CAST(s.season_start AS DATE) AS VARCHAR)) AS evidence
FROM ages a CROSS JOIN params p CROSS JOIN season s
LEFT JOIN doses d ON d.patient_id = a.patient_id
WHERE a.age >= 19
