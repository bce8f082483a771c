"""Field types shared by several command models (one rule, one message)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from gangwen_dash.config import get_settings


def _responsible_unit(value: str) -> str:
    # The list is configurable (settings.responsible_units), so it is checked at validation time.
    if value not in get_settings().responsible_units:
        raise ValueError("请选择责任单位")
    return value


ResponsibleUnit = Annotated[str, AfterValidator(_responsible_unit)]
