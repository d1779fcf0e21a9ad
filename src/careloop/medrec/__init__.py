"""Medication reconciliation: the pre-admission and discharge lists compared at the RxNorm ingredient level."""
