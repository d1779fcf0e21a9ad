"""The audit trail, written in the same transaction as the change or read it records."""

from careloop.audit.service import record, record_list

__all__ = ["record", "record_list"]
