"""Demo accounts: one per role and one chief per county (demo only — a production setup has none)."""

from __future__ import annotations

from sqlalchemy import Engine

from data.accounts import Role, add_user

DEMO_PASSWORD = "suqian-demo-2023"
COUNTY_CHIEFS = {"321302": "宿城区", "321311": "宿豫区", "321322": "沭阳县", "321323": "泗阳县", "321324": "泗洪县"}


def create_demo_users(engine: Engine) -> list[str]:
    """Create the documented demo users; returns their names."""
    users = [("leader", Role.LEADER, "321300"), ("analyst", Role.ANALYST, "321300"), ("admin", Role.ADMIN, "321300")]
    users += [(f"chief-{code}", Role.CHIEF, code) for code in COUNTY_CHIEFS]
    for name, role, area in users:
        add_user(engine, name, str(role), area, DEMO_PASSWORD)
    return [u[0] for u in users]
