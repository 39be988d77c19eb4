"""The tariff service's own tables: nomenclature versions and their rows, and each practitioner's
favourite acts, basket and named pre-coded FSEs. Amounts are stored as decimal text, exact on SQLite
and PostgreSQL alike."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from runtime.db import UtcDateTime
from runtime.messaging.closed import closed_subjects_table
from runtime.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

versions = Table(
    "nomenclature_versions",
    metadata,
    Column("version", String(60), primary_key=True),
    Column("kind", String(4), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("source", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("published_at", UtcDateTime(), nullable=False),
)

ngap_keys = Table(
    "ngap_keys",
    metadata,
    Column("version", String(60), ForeignKey("nomenclature_versions.version"), primary_key=True),
    Column("key", String(10), primary_key=True),
    Column("label", Text, nullable=False),
    Column("value", String(14)),
    Column("professions", String(300), nullable=False),
    Column("confidence", String(20), nullable=False),
    Column("source", Text, nullable=False),
)

ccam_acts = Table(
    "ccam_acts",
    metadata,
    Column("version", String(60), ForeignKey("nomenclature_versions.version"), primary_key=True),
    Column("code", String(7), primary_key=True),
    Column("activity", Integer, primary_key=True),
    Column("phase", Integer, primary_key=True),
    Column("label", Text, nullable=False),
    Column("tariff", String(14)),
    Column("tariff_non_optam", String(14)),
    Column("prior_approval", Boolean, nullable=False),
    Column("modifiers", String(60), nullable=False),
    Column("exo_tm", String(20), nullable=False),
    Column("regroupement", String(10), nullable=False),
    Column("confidence", String(20), nullable=False),
)

favourites = Table(
    "favourite_acts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("practitioner_id", String(64), nullable=False, index=True),
    Column("act", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

baskets = Table(
    "baskets",
    metadata,
    Column("practitioner_id", String(64), primary_key=True),
    Column("acts", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

templates = Table(
    "fse_templates",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("practitioner_id", String(64), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("acts", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("practitioner_id", "name"),
)

# References of cancelled claims (ClaimCancelled on fse.claims): an EligibilityChecked not yet priced is
# skipped.
cancelled_claims = closed_subjects_table(metadata, "cancelled_claims")
