"""Population health: risk scores, care gaps, risk tiers and cohorts for a whole population, computed by SQL
definitions (definitions/*.sql) over a columnar snapshot of the operational tables, in DuckDB."""
