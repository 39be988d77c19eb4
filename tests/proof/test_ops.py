"""The lag command's arithmetic on a real broker: high watermarks from fetch responses, committed
offsets read without joining the group."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from runtime.ops import behind, by_topic, committed, high_watermarks
from tests.helpers import eventually


async def test_lag_is_the_high_watermark_minus_the_committed_offset(kafka_bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, b"x", partition=0, key=str(i).encode())
    finally:
        await producer.stop()
    group = f"ops-{topic}"
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.commit({partition: 2})
    finally:
        await consumer.stop()

    async def marks() -> dict[str, int] | None:
        totals = by_topic(await high_watermarks(kafka_bootstrap, [topic]))
        return totals if totals.get(topic) == 5 else None

    assert (await eventually(marks))[topic] == 5
    offsets = await committed(kafka_bootstrap, [(group, topic)])
    assert offsets[group][TopicPartition(topic, 0)] == 2
    assert by_topic(offsets[group])[topic] == 2
    ends = await high_watermarks(kafka_bootstrap, [topic])
    assert behind(offsets, ends) == {(group, topic): 3}
    assert behind({group: {partition: 5}}, ends) == {(group, topic): 0}
    unread = TopicPartition(topic, 99)  # a partition whose watermark the broker did not give
    assert behind({group: {partition: 5, unread: 0}}, ends) == {(group, topic): None}
