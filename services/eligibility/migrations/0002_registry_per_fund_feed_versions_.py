"""registry per fund, feed versions, approvals, lookup audit and throttles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:38:05.428217
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.crypto
import runtime.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # households is rebuilt below while members refer to it: check at commit
        op.execute("PRAGMA defer_foreign_keys=ON")
    op.create_table(
        "approvals",
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("fund", sa.String(length=8), nullable=False),
        sa.Column("matricule", sa.String(length=12), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("nomenclature", sa.String(length=4), nullable=False),
        sa.Column("act_code", sa.String(length=10), nullable=False),
        sa.Column("practitioner_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", runtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", runtime.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("reference"),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index("ix_approvals_insured", ["fund", "matricule"], unique=False)

    op.create_table(
        "card_colours",
        sa.Column("fund", sa.String(length=8), nullable=False),
        sa.Column("matricule", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("fund", "matricule", "year"),
    )
    op.create_table(
        "feed_versions",
        sa.Column("fund", sa.String(length=8), nullable=False),
        sa.Column("matricule", sa.String(length=12), nullable=False),
        sa.Column("aspect", sa.String(length=80), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("fund", "matricule", "aspect"),
    )
    op.create_table(
        "lookup_audit",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("at", runtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("practitioner_id", sa.String(length=64), nullable=True),
        sa.Column("fund", sa.String(length=8), nullable=False),
        sa.Column("matricule", runtime.crypto.EncryptedText(), nullable=False),
        sa.Column("matricule_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lookup_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lookup_audit_matricule_digest"), ["matricule_digest"], unique=False
        )

    op.create_table(
        "throttles",
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", runtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", runtime.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.execute(
        "INSERT INTO card_colours (fund, matricule, year, colour) "
        "SELECT fund, matricule, 2020, card_colour FROM households"
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_issued_at", runtime.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("previous_code_digest", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("previous_code_until", runtime.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("complementary_insurer_email", runtime.crypto.EncryptedText(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("forward_statements", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("contact_changed_at", runtime.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("code_fse_digest", existing_type=sa.BLOB(), nullable=True)
        batch_op.drop_column("card_colour")

    # The periods' foreign key to members was unnamed: name it to drop it (a period may precede its member).
    convention = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
    with op.batch_alter_table("periods", schema=None, naming_convention=convention) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=40), nullable=False, server_default=""))
        batch_op.create_unique_constraint(
            "uq_periods_fact", ["fund", "matricule", "rank", "kind", "scope", "start"]
        )
        batch_op.drop_constraint(
            "fk_periods_fund_members" if sqlite else "periods_fund_matricule_rank_fkey", type_="foreignkey"
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("periods", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "periods_fund_matricule_rank_fkey",
            "members",
            ["fund", "matricule", "rank"],
            ["fund", "matricule", "rank"],
        )
        batch_op.drop_constraint("uq_periods_fact", type_="unique")
        batch_op.drop_column("scope")

    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("card_colour", sa.VARCHAR(length=8), nullable=False, server_default="verte")
        )
        batch_op.alter_column("code_fse_digest", existing_type=sa.BLOB(), nullable=False)
        batch_op.drop_column("contact_changed_at")
        batch_op.drop_column("forward_statements")
        batch_op.drop_column("complementary_insurer_email")
        batch_op.drop_column("previous_code_until")
        batch_op.drop_column("previous_code_digest")
        batch_op.drop_column("code_issued_at")

    op.drop_table("throttles")
    with op.batch_alter_table("lookup_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lookup_audit_matricule_digest"))

    op.drop_table("lookup_audit")
    op.drop_table("feed_versions")
    op.drop_table("card_colours")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index("ix_approvals_insured")

    op.drop_table("approvals")
    # ### end Alembic commands ###
