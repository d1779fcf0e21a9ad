"""Transitions of care: the TCM episode after a discharge, its checklist and contacts, and readmissions."""
