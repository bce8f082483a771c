"""Glue for the 督查录入 page: cached reads, the server-side draft, staged photos, the command builder.

Widget keys are ``entry.*``. The draft is every JSON-able ``entry.*`` value (dates and times tagged),
saved through ``services.drafts`` from each widget's ``on_change`` callback and restored when the
page's widgets are missing from the session (a reload, a new connection, or a page switch, after
which Streamlit drops the widget values). Uploaded photos are not part of the draft.

Length: the entry form's session-state model (draft, kept problems, staged photos, errors by widget) is one
state machine over ``entry.*`` keys; split, its invariants would be spread over several modules.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import date, datetime, time

import pandas as pd
import streamlit as st

from gangwen_dash import domain, photos
from gangwen_dash.photos import staging
from gangwen_dash.queries import entry as entry_queries
from gangwen_dash.services.base import Actor, ServiceError
from gangwen_dash.services.drafts import clear_draft, decode_value, encode_value, load_draft, save_draft
from gangwen_dash.services.inspections import default_due_date, field_errors
from gangwen_dash.services.permissions import can
from gangwen_dash.ui.reads import cached

PREFIX = "entry."
DRAFT_FORM = "inspection_entry"
TOKEN = "entry._token"
EXTRAS = "entry._extras"
ERRORS = "entry._errors"
NOTICE = "entry._notice"
CONFIRM_FIELDS = "entry._confirm_fields"  # fields the service said the user may confirm (flagged photos)
KEEP = "entry.keep."  # a finding's values, kept while its block is hidden (until removed explicitly)
FINDING_FIELDS = ("severity", "due", "unit", "desc", "handover", "category")
DEVICE_POS = "entry._device_pos"
SENTINEL = "entry.kind"  # present while the page's widgets live in the session
NOT_SAVED = {ERRORS, NOTICE, CONFIRM_FIELDS, "entry._restored_at", "entry._banner"}
UNSAVEABLE_SUFFIXES = (".photos", ".camera", ".submit", ".geo", ".add_extra", ".remove", ".clear", ".near",
                       ".drop")
NOT_SAVED_PREFIXES = ("entry.new_", "entry._pending", "entry._site_errors", "entry.register", "entry.up.",
                      "entry.cam.", "entry._stage_errors", "entry.pickmap", "entry._last_click")
STAGE_ERRORS = "entry._stage_errors"


# --------------------------------------------------------------------------- cached reads


load_site_info_by_id = cached(max_entries=256)(entry_queries.site_info)


@cached(max_entries=64)
def load_site_search(session, text: str, street_id: int | None) -> pd.DataFrame:
    return entry_queries.search_sites(session, text or "", street_id)


@cached(max_entries=64)
def _nearest(session, lat: float, lon: float) -> pd.DataFrame:
    return entry_queries.nearest_sites(session, lat, lon)


def load_nearest_sites(lat: float, lon: float) -> pd.DataFrame:
    return _nearest(round(lat, 5), round(lon, 5))  # a few metres: the same answer, one cache entry


def load_site_info(site_id: int | None) -> dict | None:
    return load_site_info_by_id(int(site_id)) if site_id is not None else None


@cached(max_entries=16)
def load_roster(session, group_id: int) -> tuple[pd.DataFrame, list[int], str | None]:
    """(active members, member ids as last used, group name)."""
    return (entry_queries.roster(session, group_id), entry_queries.last_used_members(session, group_id),
            entry_queries.group_name(session, group_id))


# --------------------------------------------------------------------------- draft


def draft_payload() -> dict:
    out = {}
    for key, value in st.session_state.items():
        if (not key.startswith(PREFIX) or key in NOT_SAVED or key.endswith(UNSAVEABLE_SUFFIXES)
                or key.startswith(NOT_SAVED_PREFIXES)):
            continue
        try:
            out[key] = encode_value(value)
        except TypeError:
            continue
    return out


def save_entry_draft(actor: Actor) -> None:
    """on_change callback: keep the server-side draft current (failures never block typing)."""
    with contextlib.suppress(ServiceError):
        save_draft(actor, DRAFT_FORM, draft_payload())


def restore_entry_draft(actor: Actor) -> bool:
    """Put the saved draft back into the session when the page's widgets are gone. True if restored."""
    if SENTINEL in st.session_state:
        return False
    payload = load_draft(actor, DRAFT_FORM) if can(actor.role, "draft.save")[0] else None
    if not payload:
        return False
    for key, value in payload.items():
        if key.startswith(PREFIX) and not key.endswith(UNSAVEABLE_SUFFIXES) and not key.startswith(NOT_SAVED_PREFIXES):
            st.session_state[key] = decode_value(value)
    st.session_state["entry._restored_at"] = datetime.now()
    return True


def reset_entry(actor: Actor) -> None:
    """After a successful submission (or 清空): drop the draft and every entry widget value."""
    with contextlib.suppress(ServiceError):
        clear_draft(actor, DRAFT_FORM)
    for key in [k for k in st.session_state if k.startswith("entry.f.") and k.endswith(".staged")]:
        staging.delete(st.session_state[key])
    for key in [k for k in st.session_state if k.startswith(PREFIX) and k not in (NOTICE,)]:
        del st.session_state[key]


# --------------------------------------------------------------------------- form model


def token() -> str:
    if not st.session_state.get(TOKEN):
        st.session_state[TOKEN] = uuid.uuid4().hex
    return st.session_state[TOKEN]


def finding_slots() -> list[str]:
    """Finding blocks in display order: one per 不符合 checklist item, then the added extra ones."""
    failing = [item for item in domain.CHECKLIST_ITEMS
               if st.session_state.get(f"entry.check.{item}") == domain.RESULT_FAIL]
    return failing + list(st.session_state.get(EXTRAS, []))


def slot_category(slot: str) -> str | None:
    if slot in domain.CHECKLIST_ITEMS:
        return slot
    return st.session_state.get(f"entry.f.{slot}.category")


def init_finding_slot(slot: str, found: date) -> None:
    """Give a finding block its values: what was typed before it was hidden (kept), else defaults."""
    ss = st.session_state
    for name in FINDING_FIELDS:
        key, kept = f"entry.f.{slot}.{name}", f"{KEEP}{slot}.{name}"
        if key not in ss and kept in ss:
            ss[key] = ss[kept]
    ss.setdefault(f"entry.f.{slot}.severity", domain.SEV_MAJOR)
    from gangwen_dash.ui.units import load_unit_names

    ss.setdefault(f"entry.f.{slot}.unit", next(iter(load_unit_names()), ""))
    ss.setdefault(f"entry.f.{slot}.due", default_due_date(ss[f"entry.f.{slot}.severity"], found))
    ss.setdefault(f"entry.f.{slot}.desc", "")
    ss.setdefault(f"entry.f.{slot}.handover", False)
    if slot not in domain.CHECKLIST_ITEMS:
        ss.setdefault(f"entry.f.{slot}.category", domain.EXTRA_CATEGORIES[0])


def keep_finding(slot: str) -> None:
    """Copy a shown finding's values aside: Streamlit forgets a widget's value once the widget is not
    drawn (e.g. 不符合 tapped off and on again), the draft must not."""
    ss = st.session_state
    for name in FINDING_FIELDS:
        key = f"entry.f.{slot}.{name}"
        if key in ss:
            ss[f"{KEEP}{slot}.{name}"] = ss[key]


def checklist_changed(actor: Actor, item: str) -> None:
    """on_change of a checklist item: an item back at 不符合 gets its kept finding values again.

    Set here, in the callback before the widgets exist, so the browser is told the values too (a
    value merely left over in the session would reach the script but show an empty field)."""
    ss = st.session_state
    if ss.get(f"entry.check.{item}") == domain.RESULT_FAIL:
        for name in FINDING_FIELDS:
            kept = f"{KEEP}{item}.{name}"
            if kept in ss:
                ss[f"entry.f.{item}.{name}"] = ss[kept]
    save_entry_draft(actor)


def kept_text(slot: str) -> bool:
    """True when the finding holds something typed or photographed (removing it should be confirmed)."""
    ss = st.session_state
    desc = ss.get(f"entry.f.{slot}.desc", ss.get(f"{KEEP}{slot}.desc")) or ""
    return bool(desc.strip() or ss.get(f"entry.f.{slot}.staged"))


def hidden_kept_items() -> list[str]:
    """Checklist items no longer 不符合 whose typed problem is still kept."""
    return [item for item in domain.CHECKLIST_ITEMS
            if st.session_state.get(f"entry.check.{item}") != domain.RESULT_FAIL and kept_text(item)]


def remove_finding(actor: Actor, slot: str) -> None:
    """移除此问题: drop the finding's values and photos; a checklist item goes back to "not chosen"."""
    ss = st.session_state
    staging.delete(ss.get(f"entry.f.{slot}.staged", []))
    for key in [k for k in ss if k.startswith((f"entry.f.{slot}.", f"{KEEP}{slot}."))]:
        del ss[key]
    if slot in domain.CHECKLIST_ITEMS:
        ss[f"entry.check.{slot}"] = None
    else:
        ss[EXTRAS] = [s for s in ss.get(EXTRAS, []) if s != slot]
    save_entry_draft(actor)


# --------------------------------------------------------------------------- staged photos
#
# A photo is validated and kept on the server the moment it is chosen (under photo_dir/drafts/<user>/),
# and the list of staged files is part of the draft: a reload or a dropped connection keeps the photos
# too. The uploader is then re-keyed so it shows empty again; the staged photos are shown as thumbnails.


def uploader_key(slot: str) -> str:
    return f"entry.up.{slot}.{st.session_state.get(f'entry.f.{slot}.upn', 0)}"


def camera_key(slot: str) -> str:
    return f"entry.cam.{slot}.{st.session_state.get(f'entry.f.{slot}.upn', 0)}"


def stage_photos(actor: Actor, slot: str) -> None:
    """on_change of a finding's uploader / camera: validate, keep on the server, list in the draft."""
    ss = st.session_state
    files = list(ss.get(uploader_key(slot)) or [])
    shot = ss.get(camera_key(slot))
    if shot is not None:
        files.append(shot)
    staged = list(ss.get(f"entry.f.{slot}.staged", []))
    problems = []
    for f in files:
        data = f.getvalue()
        digest = staging.upload_digest(data)
        if any(item["sha"] == digest for item in staged):
            continue
        try:
            staged.append(staging.stage(actor.username, data, f.name or "照片.jpg", digest))
        except photos.PhotoRejected as exc:
            problems.append(str(exc))
    ss[f"entry.f.{slot}.staged"] = staged
    errors = dict(ss.get(STAGE_ERRORS, {}))
    if problems:
        errors[slot] = "；".join(problems)
    else:
        errors.pop(slot, None)
    ss[STAGE_ERRORS] = errors
    ss[f"entry.f.{slot}.upn"] = ss.get(f"entry.f.{slot}.upn", 0) + 1  # a fresh, empty uploader
    _forget_photo_error(slot)
    save_entry_draft(actor)


def _forget_photo_error(slot: str) -> None:
    """The photos of ``slot`` changed: the submit's verdict on them (e.g. 位置不符) no longer applies."""
    ss = st.session_state
    sent = ss.get("entry._slots", [])
    if slot in sent:
        field = f"findings.{sent.index(slot)}.photos"
        ss[ERRORS] = {k: v for k, v in ss.get(ERRORS, {}).items() if k != field}
        ss[CONFIRM_FIELDS] = [f for f in ss.get(CONFIRM_FIELDS, []) if f != field]


def unstage_photo(actor: Actor, slot: str, sha: str) -> None:
    ss = st.session_state
    keep, drop = [], []
    for item in ss.get(f"entry.f.{slot}.staged", []):
        (drop if item["sha"] == sha else keep).append(item)
    ss[f"entry.f.{slot}.staged"] = keep
    staging.delete(drop)
    _forget_photo_error(slot)
    save_entry_draft(actor)


def staged_photos(slot: str) -> list[dict]:
    """Staged photos still on disk, with the absolute thumbnail path for display."""
    return staging.present(st.session_state.get(f"entry.f.{slot}.staged", []))


def _uploads(slot: str, with_bytes: bool) -> list[dict]:
    return [{"name": item["name"], "data": staging.read(item) if with_bytes else b"-"} for item in staged_photos(slot)]


def build_command(group_id: int, *, photo_bytes: bool = True) -> tuple[dict, list[str]]:
    """The RecordInspection command from the widgets; also the slot of each finding (for errors).
    ``photo_bytes=False``: stand-ins instead of the files (for ``field_errors``, which only counts them)."""
    ss = st.session_state
    d, t = ss.get("entry.date"), ss.get("entry.time")
    inspected_at = datetime.combine(d, t) if isinstance(d, date) and isinstance(t, time) else None
    slots = finding_slots()
    findings = []
    for slot in slots:
        findings.append({
            "category": slot_category(slot), "severity": ss.get(f"entry.f.{slot}.severity"),
            "responsible_unit": ss.get(f"entry.f.{slot}.unit"), "description": ss.get(f"entry.f.{slot}.desc", ""),
            "due_date": ss.get(f"entry.f.{slot}.due"), "photos": _uploads(slot, photo_bytes),
            "hand_over_now": bool(ss.get(f"entry.f.{slot}.handover")),
        })
    source = ss.get("entry.loc_source") or domain.LOC_SITE
    lat = lon = None
    if source == domain.LOC_DEVICE and ss.get(DEVICE_POS):
        lat, lon = ss[DEVICE_POS]["lat"], ss[DEVICE_POS]["lon"]
    elif source == domain.LOC_MAP:
        lat, lon = ss.get("entry.lat"), ss.get("entry.lon")
    return {
        "idempotency_key": token(), "site_id": ss.get("entry.site"), "kind": ss.get("entry.kind"),
        "inspected_at": inspected_at, "group_id": group_id, "member_ids": list(ss.get("entry.members") or []),
        "checklist": {item: ss.get(f"entry.check.{item}") for item in domain.CHECKLIST_ITEMS},
        "findings": findings, "location_source": source, "lat": lat, "lon": lon,
        "notes": ss.get("entry.notes", ""), "confirm_flagged_photos": bool(ss.get("entry.confirm_flagged")),
    }, slots


def errors_by_widget(errors: dict[str, str], slots: list[str]) -> dict[str, str]:
    """Map service error fields (``findings.0.photos``) to the page's blocks (``f.S2.photos``)."""
    out = {}
    for field, message in errors.items():
        parts = field.split(".")
        if parts[0] == "findings" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(slots):
            rest = parts[2] if len(parts) > 2 else "desc"
            rest = {"description": "desc", "responsible_unit": "unit", "due_date": "due"}.get(rest, rest)
            out[f"f.{slots[int(parts[1])]}.{rest}"] = message
        else:
            out[field] = message
    return out


def shown_errors(group_id: int | None, now: datetime) -> tuple[dict[str, str], set[str]]:
    """The submit's errors still true now, by widget (``f.S2.desc``), and the widgets whose error the
    user may confirm. An error disappears as soon as its field is valid (re-checked without the
    database); the service's photo verdicts stay until those photos change."""
    ss = st.session_state
    stored = ss.get(ERRORS) or {}
    if not stored:
        return {}, set()
    confirm = set(ss.get(CONFIRM_FIELDS) or [])
    command, slots = build_command(group_id, photo_bytes=False)
    current = errors_by_widget(field_errors(command, now=now), slots)
    out = {field: current[field] for field in errors_by_widget(stored, ss.get("entry._slots", []))
           if field in current}
    for field in confirm:
        if field in stored:
            out.update(errors_by_widget({field: stored[field]}, ss.get("entry._slots", [])))
    confirmable = set(errors_by_widget({f: "" for f in confirm if f in stored}, ss.get("entry._slots", [])))
    return out, confirmable
