"""The pathway engine: events are matched by rules (data files under data/) to actions that create work."""
