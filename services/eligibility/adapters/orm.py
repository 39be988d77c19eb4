"""The registry's tables. Names are identifying data: encrypted at rest; the code FSE is kept only as
a keyed digest."""

from sqlalchemy import Column, Date, ForeignKeyConstraint, Integer, LargeBinary, MetaData, String, Table

from runtime.crypto import EncryptedText
from runtime.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

households = Table(
    "households",
    metadata,
    Column("fund", String(8), primary_key=True),
    Column("matricule", String(12), primary_key=True),
    Column("code_fse_digest", LargeBinary(32), nullable=False),
    Column("card_colour", String(8), nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("fund", String(8), primary_key=True),
    Column("matricule", String(12), primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("last_name", EncryptedText, nullable=False),
    Column("first_name", EncryptedText, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("relationship", String(16), nullable=False),
    ForeignKeyConstraint(["fund", "matricule"], ["households.fund", "households.matricule"]),
)

periods = Table(
    "periods",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fund", String(8), nullable=False),
    Column("matricule", String(12), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date),
    ForeignKeyConstraint(
        ["fund", "matricule", "rank"], ["members.fund", "members.matricule", "members.rank"]
    ),
)
