"""Demo accounts for the embedded default, with their TOTP secrets written for the demo only."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from runtime.service import Runtime
from services.auth.adapters.orm import users
from services.auth.domain.passwords import hash_password
from services.auth.domain.totp import new_secret

DEMO_PASSWORD = "demo correct horse battery"  # noqa: S105 - printed demo credential
DEMO = [
    ("prt-martin", "dr.martin", "practitioner", "medecin"),
    ("prt-rossi", "dr.rossi", "practitioner", "chirurgien-dentiste"),
    ("prt-dubois", "ide.dubois", "practitioner", "infirmier"),
    ("ops-1", "ops.monaco", "operator", None),
    ("mc-1", "mc.conseil", "medical_adviser", None),
]


async def seed(runtime: Runtime) -> None:
    if not runtime.settings.demo:
        return
    lines = []
    async with runtime.uow() as unit:
        if (await unit.session.execute(select(func.count()).select_from(users))).scalar_one():
            return
        password_hash = hash_password(DEMO_PASSWORD)
        for user_id, login, role, profession in DEMO:
            secret = new_secret()
            await unit.session.execute(
                users.insert().values(
                    id=user_id,
                    login=login,
                    password_hash=password_hash,
                    role=role,
                    profession=profession,
                    status="active",
                    totp_secret=secret,
                    totp_active=True,
                    created_at=datetime.now(UTC),
                )
            )
            lines.append(f"{login:12} {role:16} TOTP secret {secret}   (oathtool --totp -b {secret})")
    demo_dir = runtime.settings.data_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    header = f"Demo accounts (password for all: '{DEMO_PASSWORD}')\n"
    path = demo_dir / "auth.txt"
    path.write_text(header + "\n".join(lines) + "\n")
    path.chmod(0o600)
