"""“获取当前位置”: the browser's GPS through a tiny inline component (Streamlit components v2).

Our own dozen lines of JavaScript call ``navigator.geolocation`` (no third-party code, no outside
host: works on an intranet). Browsers allow it only in a secure context (HTTPS or localhost).
Returns ``{"lat", "lon", "accuracy"}`` once after a successful fix, ``{"error": 中文}`` on failure,
else None. AppTest does not run components: there it always returns None.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function (component) {
  const { parentElement, setTriggerValue, data } = component;
  const button = parentElement.querySelector("button");
  const label = (data && data.label) || "获取当前位置";
  button.textContent = label;
  button.onclick = () => {
    if (!window.isSecureContext || !navigator.geolocation) {
      setTriggerValue("position", { error: "insecure" });
      return;
    }
    button.disabled = true;
    button.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      (p) => {
        button.disabled = false;
        button.textContent = label;
        setTriggerValue("position", { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy });
      },
      (e) => {
        button.disabled = false;
        button.textContent = label;
        setTriggerValue("position", { error: String(e.code || "unknown") });
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  };
}
"""

_CSS = """
button {
  min-height: 48px; width: 100%; padding: 0 1rem; font-size: 1rem; cursor: pointer;
  border: 1px solid var(--st-border-color, #ccc); border-radius: var(--st-button-radius, 0.5rem);
  background: var(--st-secondary-background-color, #f0f2f6); color: var(--st-text-color, #262730);
  font-family: var(--st-font, sans-serif);
}
button:disabled { opacity: 0.6; }
"""

_ERRORS = {
    "insecure": "浏览器只在 HTTPS 或本机地址下提供定位，请改用工地坐标或地图选点",
    "1": "未获得定位权限：请在浏览器设置中允许本站使用位置信息",
    "2": "暂时无法获取位置（信号弱），请稍后重试或改用工地坐标",
    "3": "定位超时，请到开阔处重试或改用工地坐标",
}

_component = None


def _get():
    global _component
    if _component is None:
        _component = st.components.v2.component("gangwen_geolocate", html="<button type='button'></button>",
                                                css=_CSS, js=_JS)
    return _component


def geolocate(key: str, label: str = "获取当前位置") -> dict | None:
    result = _get()(key=key, data={"label": label}, on_position_change=lambda: None)
    position = getattr(result, "position", None)
    if not position:
        return None
    if "error" in position:
        return {"error": _ERRORS.get(str(position["error"]), "无法获取位置，请改用工地坐标或地图选点")}
    try:
        return {"lat": float(position["lat"]), "lon": float(position["lon"]),
                "accuracy": float(position.get("accuracy") or 0)}
    except (KeyError, TypeError, ValueError):
        return {"error": "定位结果无效，请重试"}
