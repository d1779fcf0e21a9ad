"""HL7 v2 ADT intake: the MLLP listener, the durable message store, patient matching, and the worker job
that applies admissions, transfers and discharges to encounters and emits the events in `events.py`."""
