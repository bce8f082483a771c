"""Field types shared by several command models (one rule, one message)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def _responsible_unit(value: str) -> str:
    # The unit must be an active row of ``units``: the service checks that in its transaction
    # (``services.units.resolve``); here only that one was chosen.
    value = (value or "").strip()
    if not value:
        raise ValueError("请选择责任单位")
    return value


ResponsibleUnit = Annotated[str, AfterValidator(_responsible_unit)]
