"""Who may do what to which patient. Every read or write of patient data goes through `require` or a
scoped query from `visible_patient_ids`; both leave an audit record."""

from careloop.access.actor import Actor, load_actor, system_actor, user_actor
from careloop.access.check import PatientRef, require, require_permission, visible_patient_ids
from careloop.access.permissions import Permission

__all__ = ["Actor", "PatientRef", "Permission", "load_actor", "require", "require_permission", "system_actor",
           "user_actor", "visible_patient_ids"]
