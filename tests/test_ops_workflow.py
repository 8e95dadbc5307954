"""Warning workflow (issued → assigned → acknowledged → closed), refused transitions, escalation, real-time
evaluation after new data, and the scope of everything a chief can reach (warnings, cases, key persons)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from data import alert_rules as ar
from data.db import make_engine, set_meta
from data.filters import AreaRef, Period, city, find_area
from data.models_ops import WarningAction, WarningLevel, WarningStatus
from data.queries import alerts as qa
from data.queries import backlog as qb
from data.queries import grids as qg

NOW = datetime(2024, 1, 2, 9, 0)
YEAR_2023 = Period(datetime(2023, 1, 1).date(), datetime(2023, 12, 31).date())


@pytest.fixture
def engine(small_sqlite: Engine, tmp_path) -> Engine:
    """A private copy of the small demo: these tests move warnings through their workflow."""
    target = tmp_path / "workflow.sqlite"
    src, dst = sqlite3.connect(small_sqlite.url.database), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    copy = make_engine(f"sqlite:///{target}")
    yield copy
    copy.dispose()


def issued_warning(engine: Engine, county: str | None = None) -> tuple[int, AreaRef]:
    """A fresh warning inside a county (stored through the rules' own path), and that county."""
    with engine.connect() as conn:
        code = county or conn.execute(text("SELECT code FROM areas WHERE level = 'county' ORDER BY code")).scalar()
        village = conn.execute(text("SELECT code FROM areas WHERE level = 'village' AND county_code = :c ORDER BY code"),
                               {"c": code}).scalar()
    at = NOW - timedelta(hours=1)
    cand = ar.Candidate(ar.WarningRule.CLUSTER, WarningLevel.GENERAL, village, None, None, {"count": 9, "case_nos": []},
                        at - timedelta(hours=72), at, f"test:{village}:{at.isoformat()}")
    assert ar.store(engine, [cand], ar.AlertRules.load()) == 1
    assert ar.store(engine, [cand], ar.AlertRules.load()) == 0  # the same evidence twice adds nothing
    with engine.connect() as conn:
        wid = conn.execute(text("SELECT id FROM risk_warnings WHERE dedup_key = :k"), {"k": cand.dedup_key}).scalar_one()
    return wid, find_area(engine, code)


def status_of(engine: Engine, wid: int) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT status FROM risk_warnings WHERE id = :i"), {"i": wid}).scalar_one()


def test_full_workflow_and_its_history(engine: Engine) -> None:
    wid, county = issued_warning(engine)
    scope = city(engine)
    units = ar.unit_options(engine, wid, scope)
    assert len(units) == 9 and sum(u.startswith(county.name) for u in units) == 6  # 3 township + 6 county offices
    assert ar.transition(engine, wid, WarningAction.ASSIGN, "leader", scope, NOW, unit=units[0]) == WarningStatus.ASSIGNED
    assert ar.transition(engine, wid, WarningAction.ACKNOWLEDGE, "chief", scope, NOW) == WarningStatus.ACKNOWLEDGED
    assert ar.transition(engine, wid, WarningAction.CLOSE, "chief", scope, NOW, note="已化解") == WarningStatus.CLOSED
    with engine.connect() as conn:
        row = conn.execute(text("SELECT assigned_unit, close_note, closed_at FROM risk_warnings WHERE id = :i"),
                           {"i": wid}).one()
        actions = conn.execute(text("SELECT action, actor FROM risk_warning_events WHERE warning_id = :i ORDER BY id"),
                               {"i": wid}).all()
    assert row[0] == units[0] and row[1] == "已化解" and row[2] is not None
    assert [a for a, _ in actions] == ["issue", "assign", "acknowledge", "close"]
    detail = qa.warning_detail(engine, scope, wid)
    assert list(detail.events["action"]) == ["issue", "assign", "acknowledge", "close"]


def test_revision_moves_with_every_warning_change(engine: Engine) -> None:
    """The warning queries' cache key: a new warning and each step of its workflow give a new revision."""
    seen = [ar.revision(engine)]
    wid, _county = issued_warning(engine)
    seen.append(ar.revision(engine))
    scope = city(engine)
    ar.transition(engine, wid, WarningAction.ASSIGN, "leader", scope, NOW, unit=ar.unit_options(engine, wid, scope)[0])
    seen.append(ar.revision(engine))
    assert ar.revision(engine) == seen[-1]  # nothing changed: the same key
    ar.transition(engine, wid, WarningAction.ACKNOWLEDGE, "chief", scope, NOW)
    seen.append(ar.revision(engine))
    assert len(set(seen)) == 4


def test_bad_transitions_are_refused(engine: Engine) -> None:
    wid, _county = issued_warning(engine)
    scope = city(engine)
    with pytest.raises(ar.WorkflowError, match="先交办"):
        ar.transition(engine, wid, WarningAction.ACKNOWLEDGE, "x", scope, NOW)
    with pytest.raises(ar.WorkflowError, match="先签收"):
        ar.transition(engine, wid, WarningAction.CLOSE, "x", scope, NOW, note="n")
    with pytest.raises(ar.WorkflowError, match="责任单位"):
        ar.transition(engine, wid, WarningAction.ASSIGN, "x", scope, NOW, unit="某不存在的单位")
    unit = ar.unit_options(engine, wid, scope)[0]
    ar.transition(engine, wid, WarningAction.ASSIGN, "x", scope, NOW, unit=unit)
    ar.transition(engine, wid, WarningAction.ACKNOWLEDGE, "x", scope, NOW)
    with pytest.raises(ar.WorkflowError, match="说明"):
        ar.transition(engine, wid, WarningAction.CLOSE, "x", scope, NOW, note="   ")
    with pytest.raises(ar.WorkflowError):
        ar.transition(engine, wid, WarningAction.ACKNOWLEDGE, "x", scope, NOW)  # twice
    ar.transition(engine, wid, WarningAction.CLOSE, "x", scope, NOW, note="ok")
    for action in (WarningAction.ASSIGN, WarningAction.ACKNOWLEDGE, WarningAction.CLOSE):
        with pytest.raises(ar.WorkflowError):
            ar.transition(engine, wid, action, "x", scope, NOW, unit=unit, note="again")
    with pytest.raises(ar.WorkflowError, match="不支持"):
        ar.transition(engine, wid, WarningAction.ESCALATE, "x", scope, NOW)
    assert status_of(engine, wid) == WarningStatus.CLOSED


def test_outside_the_scope_nothing_moves(engine: Engine) -> None:
    wid, county = issued_warning(engine, "321322000000")
    other = find_area(engine, "321302")
    assert ar.unit_options(engine, wid, other) == [] and ar.warning_in_scope(engine, wid, other) is None
    with pytest.raises(ar.WorkflowError, match="不在本辖区"):
        ar.transition(engine, wid, WarningAction.ASSIGN, "chief-321302", other, NOW, unit="宿城区政法委")
    assert status_of(engine, wid) == WarningStatus.ISSUED
    assert qa.warning_detail(engine, other, wid).warning is None
    assert qa.warning_detail(engine, county, wid).warning is not None
    assert ar.unacknowledged_critical(engine, other).empty


def test_overdue_warnings_escalate_like_cards(engine: Engine) -> None:
    wid, county = issued_warning(engine)
    rules = ar.AlertRules.load()
    with engine.connect() as conn:
        due = conn.execute(text("SELECT due_at FROM risk_warnings WHERE id = :i"), {"i": wid}).scalar_one()
    due = pd.Timestamp(due).to_pydatetime()
    assert ar.escalate_overdue(engine, rules, due - timedelta(minutes=1)) == 0
    # one day past the first deadline: 一般 → 较大 (24h to acknowledge) → 重大 once that passes too
    assert ar.escalate_overdue(engine, rules, due + timedelta(hours=1)) == 1
    assert ar.escalate_overdue(engine, rules, due + timedelta(hours=30)) == 1
    assert ar.escalate_overdue(engine, rules, due + timedelta(days=30)) == 0  # 重大 cannot rise further
    with engine.connect() as conn:
        level = conn.execute(text("SELECT level FROM risk_warnings WHERE id = :i"), {"i": wid}).scalar_one()
        steps = conn.execute(text("SELECT level FROM risk_warning_events WHERE warning_id = :i AND action = 'escalate' "
                                  "ORDER BY id"), {"i": wid}).scalars().all()
    assert level == "critical" and steps == ["major", "critical"]
    banner = ar.unacknowledged_critical(engine, county)
    assert list(banner["id"]) == [wid]
    unit = ar.unit_options(engine, wid, county)[0]
    ar.transition(engine, wid, WarningAction.ASSIGN, "leader", county, NOW, unit=unit)
    assert list(ar.unacknowledged_critical(engine, county)["id"]) == [wid]  # assigned is not acknowledged
    ar.transition(engine, wid, WarningAction.ACKNOWLEDGE, "leader", county, NOW)
    assert ar.unacknowledged_critical(engine, county).empty


def test_new_data_is_evaluated_once(engine: Engine) -> None:
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM risk_warnings")).scalar_one()
    rules = ar.AlertRules.load()
    assert ar.evaluate_if_new_data(engine, rules) == 0  # the demo evaluated its own data
    with engine.begin() as conn:  # a new mass dispute arrives (as an import would bring it)
        case_id = conn.execute(text("SELECT id FROM cases WHERE kind = 'dispute' AND reported_at >= :t AND id NOT IN "
                                    "(SELECT case_id FROM case_parties) ORDER BY reported_at DESC"),
                               {"t": "2023-12-20 00:00:00"}).scalar()
        conn.execute(text("INSERT INTO case_parties (case_id, people) VALUES (:c, 120)"), {"c": case_id})
    set_meta(engine, {"data_version": "after-import"})
    assert ar.evaluate_if_new_data(engine, rules) == 1
    assert ar.evaluate_if_new_data(engine, rules) == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM risk_warnings")).scalar_one() == count + 1
        level = conn.execute(text("SELECT level FROM risk_warnings ORDER BY id DESC")).scalar()
    assert level == "critical"


def test_chief_sees_only_their_county(small_db: Engine) -> None:
    shuyang, suchen = find_area(small_db, "321322"), find_area(small_db, "321302")
    for frame in (qb.backlog_cases(small_db, shuyang, YEAR_2023),
                  qa.warnings_list(small_db, shuyang, YEAR_2023, ar.revision(small_db))):
        assert len(frame)
    with small_db.connect() as conn:
        counties = {conn.execute(text("SELECT county_code FROM cases WHERE id = :i"), {"i": int(i)}).scalar()
                    for i in qb.backlog_cases(small_db, shuyang, YEAR_2023)["id"]}
        warned = {conn.execute(text("SELECT county_code FROM risk_warnings WHERE id = :i"), {"i": int(i)}).scalar()
                  for i in qa.warnings_list(small_db, shuyang, YEAR_2023, ar.revision(small_db))["id"]}
    assert counties == warned == {"321322000000"}
    people = qg.key_person_list(small_db, shuyang, YEAR_2023, ar.OpsSettings(), limit=10_000)
    with small_db.connect() as conn:
        own = conn.execute(text("SELECT count(*) FROM key_persons WHERE county_code = '321322000000'")).scalar_one()
        in_list = conn.execute(text("SELECT count(*) FROM key_persons WHERE county_code <> '321322000000' AND id IN ("
                                    + ",".join(str(int(i)) for i in people["id"]) + ")")).scalar_one()
    assert 0 < len(people) <= own and in_list == 0
    case_id = int(qb.backlog_cases(small_db, suchen, YEAR_2023)["id"].iloc[0])
    assert qb.backlog_case(small_db, shuyang, case_id).case.empty


def test_who_may_see_people() -> None:
    city_ = AreaRef("321300000000", "city", "宿迁市")
    county = AreaRef("321322000000", "county", "沭阳县")
    town = AreaRef("321322101000", "township", "某镇")
    other = AreaRef("321302000000", "county", "宿城区")
    assert qg.may_see_people("chief", county, county) and qg.may_see_people("chief", county, town)
    assert not qg.may_see_people("chief", county, other) and not qg.may_see_people("chief", county, city_)
    assert qg.may_see_people("admin", city_, town)
    for role in ("leader", "analyst", None):
        assert not qg.may_see_people(role, city_, county)
    assert not qg.may_see_people("chief", None, county)
