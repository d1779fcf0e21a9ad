"""Peer implementations the tests compare with, imported the way they run on current pandas."""

from __future__ import annotations

from typing import Any


def comorbidipy_comorbidity() -> Any:
    """comorbidipy 0.5.0's `comorbidity` function. It imports pandas.core.common.SettingWithCopyWarning only to
    silence it, and pandas 3 removed that name: the one-line alias below lets it import unchanged."""
    import pandas.core.common

    pandas.core.common.SettingWithCopyWarning = Warning  # type: ignore[attr-defined]
    from comorbidipy import comorbidity

    return comorbidity
