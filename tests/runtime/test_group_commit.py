"""Group commit on SQLite and PostgreSQL: concurrent units share a transaction, and a part that fails
takes only its own writes (made at once or deferred), appended rows, events and after-commit actions
with it. A group where nothing fails takes no savepoint. Deferred statements run in order, a run of the
same statement at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.envelope import Payload
from runtime import db
from runtime.messaging.grouped import GroupCommit, ReadAhead
from runtime.messaging.tables import messaging_tables
from runtime.messaging.uow import Unit, UnitOfWork
from tests.helpers import Counting, statements_sent


class Stored(Payload):
    event_type: ClassVar[str] = "TestStored"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = "unused"

    n: int


@dataclass
class Setup:
    grouped: GroupCommit
    sessions: Any
    rows: Table
    history: Table
    outbox: Table
    commits: list[int]
    done: list[int]

    async def stored(self) -> tuple[set[int], list[str]]:
        async with self.sessions() as session:
            rows = set((await session.execute(select(self.rows.c.n))).scalars())
            keys = list((await session.execute(select(self.outbox.c.key))).scalars())
        return rows, keys

    async def appended(self) -> list[int]:
        """The appended rows, in the order of their ids."""
        async with self.sessions() as session:
            query = select(self.history.c.n).order_by(self.history.c.id)
            return list((await session.execute(query)).scalars())


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[Setup]:
    metadata = MetaData()
    tables = messaging_tables(metadata)
    rows = Table("rows", metadata, Column("n", Integer, primary_key=True))
    history = Table(
        "history", metadata, Column("id", Integer, primary_key=True), Column("n", Integer, nullable=False)
    )
    engine = db.make_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.run_sync(metadata.create_all)
    sessions = db.sessions(engine)
    commits: list[int] = []
    uow = UnitOfWork(sessions, tables, "tests", lambda rows: commits.append(len(rows)))
    yield Setup(GroupCommit(uow), sessions, rows, history, tables.outbox, commits, [])
    await engine.dispose()


def store(
    setup: Setup, n: int, fail: bool = False, history: int | None = None, deferred: bool = False
) -> Any:
    """Writes row n (at once, or `deferred`), appends history n (or `history`: None is refused at
    commit) and emits k<n>."""

    async def work(unit: Unit) -> int:
        if deferred:
            unit.defer(setup.rows.insert(), {"n": n})
        else:
            await unit.session.execute(setup.rows.insert(), {"n": n})
        unit.append(setup.history, {"n": n if history is None else history})
        unit.emit(Stored(n=n), subject=f"k{n}")
        unit.after_commit(lambda: setup.done.append(n))
        if fail:
            raise ValueError(f"n: {n} refused")
        return n * 10

    return work


async def test_concurrent_callers_share_one_transaction_and_get_their_own_results(setup: Setup) -> None:
    results = await asyncio.gather(*(setup.grouped.run(store(setup, n)) for n in range(50)))

    assert results == [n * 10 for n in range(50)]
    assert setup.grouped.transactions < 50
    assert len(setup.commits) == setup.grouped.transactions
    rows, keys = await setup.stored()
    assert rows == set(range(50))
    assert sorted(keys) == sorted(f"k{n}" for n in range(50))


def savepoints(sent: list[tuple[str, Any]]) -> list[str]:
    return [statement for statement, _ in sent if statement.lstrip().upper().startswith("SAVEPOINT")]


def counted(work: Any, calls: list[int], n: int) -> Any:
    async def run(unit: Unit) -> Any:
        calls.append(n)
        return await work(unit)

    return run


async def test_what_the_parts_will_read_is_read_once_a_transaction_before_any_part(setup: Setup) -> None:
    order: list[Any] = []

    async def read_rows(unit: Unit, keys: list[Any]) -> None:
        order.append(("rows", keys))
        unit.prefetched["rows"] = {key: key * 10 for key in keys}

    async def read_other(_unit: Unit, keys: list[Any]) -> None:
        order.append(("other", keys))

    def part(n: int, fail: bool = False) -> Any:
        async def work(unit: Unit) -> Any:
            order.append(n)
            if fail:
                raise ValueError(f"n: {n} refused")
            return unit.prefetched.get("rows", {}).get(n)

        return work

    aheads = [ReadAhead(read_rows, 0), ReadAhead(read_other, "x"), None, ReadAhead(read_rows, 3)]
    results = await asyncio.gather(*(setup.grouped.run(part(n), a) for n, a in enumerate(aheads)))
    assert results == [0, None, None, 30]
    assert order == [("rows", [0, 3]), ("other", ["x"]), 0, 1, 2, 3]
    assert setup.grouped.transactions == 1

    order.clear()
    assert await setup.grouped.run(part(5), ReadAhead(read_rows, 5)) == 50  # alone, it reads ahead too
    assert order == [("rows", [5]), 5]

    order.clear()
    outcomes = await asyncio.gather(
        setup.grouped.run(part(6), ReadAhead(read_rows, 6)),
        setup.grouped.run(part(7, fail=True), ReadAhead(read_rows, 7)),
        return_exceptions=True,
    )
    assert outcomes[0] == 60
    assert isinstance(outcomes[1], ValueError)
    assert order == [("rows", [6, 7]), 6, 7, ("rows", [6, 7]), 6, 7]  # read again with the group


async def test_callers_are_not_left_waiting_when_the_writer_stops_amid_a_group(setup: Setup) -> None:
    """As when the service shuts down: the callers of the group being written are cancelled too."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def held(_unit: Unit) -> int:
        entered.set()
        await release.wait()
        return 1

    callers = [asyncio.create_task(setup.grouped.run(held)) for _ in range(3)]
    await entered.wait()
    (writer,) = [task for task in asyncio.all_tasks() if task.get_name() == "group-commit"]
    writer.cancel()
    async with asyncio.timeout(10):
        outcomes = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)


async def test_a_group_where_nothing_fails_takes_no_savepoint(setup: Setup) -> None:
    works = [store(setup, n, deferred=n % 2 == 0) for n in range(20)]
    with statements_sent() as sent:
        results = await asyncio.gather(*(setup.grouped.run(w) for w in works))

    assert results == [n * 10 for n in range(20)]
    assert setup.grouped.transactions == 1
    assert savepoints(sent) == []
    rows, keys = await setup.stored()
    assert rows == set(range(20))
    assert len(keys) == 20


async def test_after_a_failing_part_it_and_the_parts_after_it_take_savepoints(setup: Setup) -> None:
    calls: list[int] = []
    works = [counted(store(setup, n, fail=n == 3), calls, n) for n in range(6)]
    with statements_sent() as sent:
        outcomes = await asyncio.gather(*(setup.grouped.run(w) for w in works), return_exceptions=True)

    assert outcomes[:3] == [0, 10, 20]
    assert isinstance(outcomes[3], ValueError)
    assert outcomes[4:] == [40, 50]
    assert calls == [0, 1, 2, 3, 0, 1, 2, 3, 4, 5]  # rolled back at 3, then written again
    assert len(savepoints(sent)) == 3  # parts 3, 4 and 5
    assert setup.grouped.transactions == 1
    rows, keys = await setup.stored()
    assert rows == {0, 1, 2, 4, 5}
    assert sorted(keys) == ["k0", "k1", "k2", "k4", "k5"]
    assert await setup.appended() == [0, 1, 2, 4, 5]
    assert setup.done == [0, 1, 2, 4, 5]  # the rolled-back run's actions were never run


async def test_a_refused_deferred_write_fails_its_own_part_wherever_it_surfaces(setup: Setup) -> None:
    """The first part defers a row that the database refuses; the second, which reads what the unit
    wrote, is where the refusal surfaces. It is the first part's, and only the first part's."""
    await setup.grouped.run(store(setup, 1))

    async def reader(unit: Unit) -> int:
        await unit.write_deferred()
        return len((await unit.session.execute(select(setup.rows.c.n))).all())

    outcomes = await asyncio.gather(
        setup.grouped.run(store(setup, 1, deferred=True)), setup.grouped.run(reader), return_exceptions=True
    )

    assert isinstance(outcomes[0], IntegrityError)
    assert outcomes[1] == 1
    rows, keys = await setup.stored()
    assert rows == {1}
    assert keys == ["k1"]  # the first store's; the refused one's event went with it
    assert setup.done == [1]


@pytest.mark.parametrize("deferred", [False, True], ids=["at once", "deferred"])
async def test_a_failing_part_loses_only_its_own_writes_and_events(setup: Setup, deferred: bool) -> None:
    works = [store(setup, n, fail=n == 3, deferred=deferred) for n in range(6)]
    works.append(store(setup, 4, deferred=deferred))  # the same key again: refused by the database, alone
    outcomes = await asyncio.gather(*(setup.grouped.run(w) for w in works), return_exceptions=True)

    assert outcomes[:3] == [0, 10, 20]
    assert isinstance(outcomes[3], ValueError)
    assert outcomes[4:6] == [40, 50]
    assert isinstance(outcomes[6], IntegrityError)
    assert setup.grouped.transactions == 1
    rows, keys = await setup.stored()
    assert rows == {0, 1, 2, 4, 5}
    assert sorted(keys) == ["k0", "k1", "k2", "k4", "k5"]
    assert await setup.appended() == [0, 1, 2, 4, 5]  # one statement at commit, in the parts' order
    assert setup.done == [0, 1, 2, 4, 5]  # run after the commit, not for the parts undone


async def test_a_group_whose_commit_fails_is_written_again_each_alone(setup: Setup) -> None:
    works = [store(setup, n) for n in range(5)]
    works[2] = store(setup, 2, history=-1)
    works.append(store(setup, 9, history=None))
    bad = store(setup, 7)

    async def refused_at_commit(unit: Unit) -> int:
        result: int = await bad(unit)
        unit.append(setup.history, {"n": None})  # accepted by its part, refused by the database at commit
        return result

    works.insert(3, refused_at_commit)
    outcomes = await asyncio.gather(*(setup.grouped.run(w) for w in works), return_exceptions=True)

    assert outcomes[:3] == [0, 10, 20]
    assert isinstance(outcomes[3], IntegrityError)
    assert outcomes[4:] == [30, 40, 90]
    assert setup.grouped.transactions == len(works)  # each alone, once the group had failed
    assert len(setup.commits) == len(works) - 1  # the refused one committed nothing
    rows, keys = await setup.stored()
    assert rows == {0, 1, 2, 3, 4, 9}
    assert sorted(keys) == ["k0", "k1", "k2", "k3", "k4", "k9"]
    assert await setup.appended() == [0, 1, -1, 3, 4, 9]


async def test_a_caller_alone_is_written_at_once(setup: Setup) -> None:
    assert await setup.grouped.run(store(setup, 1)) == 10
    assert await setup.grouped.run(store(setup, 2)) == 20
    assert setup.grouped.transactions == 2
    with pytest.raises(ValueError, match="refused"):
        await setup.grouped.run(store(setup, 3, fail=True))
    rows, keys = await setup.stored()
    assert rows == {1, 2}
    assert sorted(keys) == ["k1", "k2"]


async def test_deferred_statements_run_in_order_a_run_of_the_same_at_once(setup: Setup) -> None:
    insert, update = setup.rows.insert(), setup.rows.update().where(setup.rows.c.n == bindparam("old"))
    async with setup.grouped._uow() as unit:
        counting = Counting(unit.session)
        unit.session = cast(AsyncConnection, counting)
        for n in (1, 2, 3):
            unit.defer(insert, {"n": n})
        unit.defer(update, {"old": 3, "n": 30})  # after the insert of 3, which it needs
        unit.defer(insert, {"n": 3})  # the key 3 is free again by then
        assert counting.executed == []  # nothing yet
        read = select(setup.rows.c.n).order_by(setup.rows.c.n)
        await unit.write_deferred()
        assert list((await unit.session.execute(read)).scalars()) == [1, 2, 3, 30]
        runs = [(str(statement).split()[0], len(rows)) for statement, rows in counting.executed[:3]]
        assert runs == [("INSERT", 3), ("UPDATE", 1), ("INSERT", 1)]
        unit.defer(insert, {"n": 4})  # written at commit
    rows, _keys = await setup.stored()
    assert rows == {1, 2, 3, 4, 30}


async def test_deferred_statements_of_an_undone_part_are_never_run(setup: Setup) -> None:
    async with setup.grouped._uow() as unit:
        unit.defer(setup.rows.insert(), {"n": 1})  # the unit's own, written before the part
        with pytest.raises(ValueError, match="undone"):
            async with unit.part():
                unit.defer(setup.rows.insert(), {"n": 2})
                unit.prefetched["rows"] = {2: "written"}  # as a repository marks what it added
                raise ValueError("undone")
        assert unit.prefetched == {}  # the mark went with the row: whoever asks reads again
        async with unit.part():
            unit.defer(setup.rows.insert(), {"n": 3})
    rows, _keys = await setup.stored()
    assert rows == {1, 3}
