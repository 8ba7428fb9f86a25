"""Fault injection over the running marketplace: nothing accepted is lost or counted twice.

The faults (local/runtime/faults.py) are switched on at run time on the shared session
environment and off again by the ``faults`` fixture, so the other end-to-end tests never see
them. Two tap queues, subscribed to the upload and purchase topics, count every event the
services publish: the proof of "exactly once" is counting, not trusting.
A Rekognition outage under the same faults must leave no upload stuck: every one ends
PUBLISHED, REJECTED or IN_REVIEW, none in a DLQ, and each review decision is announced once.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from local.__main__ import main as local_main
from local.demo.client import Marketplace, User, wait_for
from local.demo.samples import SampleImage, corrupt_file
from local.graph import Graph
from local.redrive import alarm_firing, dead_letter_queues, depth, select
from local.runtime.environment import LocalEnvironment
from local.runtime.faults import Faults
from tests.e2e.review_helpers import close_circuit, rekognition_outage, sign_in_admin
from tests.services.upload.images import encode, natural_image

pytestmark = pytest.mark.e2e

BURST_FAULTS = "raise=0.2,crash=0.25,duplicate=0.3,delay=0.25,reorder=1,seed=7"
"""Rates high enough that every kind occurs in a burst: choices hash the records' random
message ids, so with crash=0.1 a run without a single crash was a few percent likely."""
GOOD_IMAGES = 8
CORRUPT_IMAGES = 2
BUYERS = 3
SETTLE_TIMEOUT = 300
TOTALS: Counter[str] = Counter()
"""Faults injected and messages checked by this module (printed at the end, for the note)."""


# -- over the running environment ---------------------------------------------------------


@pytest.fixture
def faults(local_env: LocalEnvironment) -> Iterator[Faults]:
    """The session runtime's switch, always off again after the test."""
    assert local_env.runtime is not None
    switch = local_env.runtime.faults
    before = Counter(switch.counts)
    try:
        yield switch
    finally:
        switch.reset()
        injected = Counter(switch.counts)
        injected.subtract(before)
        TOTALS.update(+injected)


@pytest.fixture(scope="module", autouse=True)
def report_totals() -> Iterator[None]:
    yield
    if TOTALS:
        print(f"\nfault injection: {dict(sorted(TOTALS.items()))}")


@dataclass
class Tap:
    """A queue subscribed to a topic (same account, raw delivery) that keeps every event."""

    sqs: Any
    sns: Any
    url: str
    subscription: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def drain(self) -> list[dict[str, Any]]:
        while messages := self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages"):
            for message in messages:
                self.events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return self.events

    def drain_distinct(self) -> list[dict[str, Any]]:
        """Every event once per event id. A producer publishes at least once with a stable id
        (a redelivered notification racing the run that is publishing the outbox pays the same
        debt again) and consumers deduplicate by id, so the contract is one id per outcome,
        each copy of it the same fact (type and data)."""
        first: dict[str, dict[str, Any]] = {}
        for event in self.drain():
            seen = first.setdefault(event["id"], event)
            assert (seen["type"], seen["data"]) == (event["type"], event["data"]), event["id"]
        return list(first.values())

    def close(self) -> None:
        self.sns.unsubscribe(SubscriptionArn=self.subscription)
        self.sqs.delete_queue(QueueUrl=self.url)


def open_tap(graph: Graph, service: str) -> Tap:
    account = graph.accounts[service]
    sqs, sns = graph.client("sqs", account), graph.client("sns", account)
    url = sqs.create_queue(QueueName=f"e2e-tap-{service}-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    topic = graph.stack_outputs[f"{service}-local"]["eventsTopicArn"]
    subscription = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return Tap(sqs, sns, url, subscription)


@pytest.fixture
def taps(local_env: LocalEnvironment) -> Iterator[dict[str, Tap]]:
    assert local_env.graph is not None
    opened = {service: open_tap(local_env.graph, service) for service in ("upload", "purchase")}
    try:
        yield opened
    finally:
        for tap in opened.values():
            tap.close()


def queue_depths(graph: Graph) -> dict[str, int]:
    """Messages (visible + in flight) in every queue of the environment, relay taps included."""
    depths = {}
    for service in ("upload", "catalog", "purchase"):
        sqs = graph.client("sqs", graph.accounts[service])
        for url in sqs.list_queues(QueueNamePrefix="m").get("QueueUrls", []):
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            depths[url.rsplit("/", 1)[-1]] = sum(int(v) for v in attributes.values())
    return depths


def dlq_depths(graph: Graph) -> dict[str, int]:
    return {queue.name: depth(graph, queue) for queue in dead_letter_queues(graph)}


def wait_until_settled(graph: Graph) -> None:
    """Every work queue empty twice in a row, a second apart: nothing in flight anywhere.

    DLQs are left out: they never drain by themselves (the tests compare their depths).
    """
    dlqs = set(dlq_depths(graph))
    quiet = 0
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while quiet < 2:
        busy = {name: n for name, n in queue_depths(graph).items() if n and name not in dlqs}
        quiet = 0 if busy else quiet + 1
        assert time.monotonic() < deadline, f"queues never settled: {busy}"
        time.sleep(1)


def small_photo(seed: int) -> SampleImage:
    return SampleImage(
        f"fault-{seed}.jpg",
        encode(natural_image(480, 360, seed=seed), "JPEG", quality=85),
        "image/jpeg",
        (480, 360),
    )


def upload_statuses(market: Marketplace, photographer: User) -> dict[str, dict[str, Any]]:
    page = market.call("GET", "upload", "/uploads", photographer, params={"limit": 100})
    if page.status_code == 503:  # the listing timed out on the loaded emulator: ask again
        return {}
    return {u["uploadId"]: u for u in page.json()["items"]}


def processed_uploads(
    market: Marketplace, photographer: User, count: int
) -> dict[str, dict[str, Any]]:
    """The photographer's ``count`` uploads once none is PENDING any more."""
    return wait_for(
        "every upload processed",
        lambda: upload_statuses(market, photographer),
        lambda found: len(found) == count and all(u["status"] != "PENDING" for u in found.values()),
        timeout=SETTLE_TIMEOUT,
    )


def purchase_status(market: Marketplace, buyer: User, purchase_id: str) -> str:
    return market.my_purchase(buyer, purchase_id).json()["status"]


def popularity_counter(graph: Graph, image_id: str) -> int:
    """The catalog's own counter item (still there for a withdrawn image)."""
    item = (
        graph.client("dynamodb", graph.accounts["catalog"])
        .get_item(
            TableName=graph.stack_outputs["catalog-local"]["tableName"],
            Key={"pk": {"S": f"IMAGE#{image_id}"}, "sk": {"S": "POPULARITY"}},
        )
        .get("Item")
    )
    return int(item["purchases"]["N"]) if item else 0


def buy_with_retry(market: Marketplace, buyer: User, image_id: str) -> str | None:
    """POST twice with one idempotency key (a client retry); the purchase id, or None if refused."""
    key = str(uuid.uuid4())
    first = market.purchase(buyer, image_id, key)
    if first.status_code not in (200, 201):
        return None
    again = market.purchase(buyer, image_id, key)
    assert again.json()["purchaseId"] == first.json()["purchaseId"], "a retry made a new purchase"
    return str(first.json()["purchaseId"])


def test_burst_under_faults_ends_every_upload_and_purchase_exactly_once(
    market: Marketplace, local_env: LocalEnvironment, faults: Faults, taps: dict[str, Tap]
) -> None:
    graph = local_env.graph
    assert graph is not None
    run = uuid.uuid4().hex[:6]
    photographer = market.sign_in(f"fault-photographer-{run}")
    buyers = [market.sign_in(f"fault-buyer-{run}-{i}") for i in range(BUYERS)]
    samples = [small_photo(seed) for seed in range(GOOD_IMAGES)]
    samples += [corrupt_file()] * CORRUPT_IMAGES
    parked_before = dlq_depths(graph)
    # GIVEN random failures, lost successes, duplicates, delays and shuffled batches everywhere
    faults.set(BURST_FAULTS)

    # WHEN a burst of uploads goes through the processor while the catalog consumer is down
    faults.pause("catalog-upload-events", 3)
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(lambda s: market.upload(photographer, s, s.name, [run]), samples))
    uploads = processed_uploads(market, photographer, len(ids))
    published = [i for i in ids if uploads[i]["status"] == "PUBLISHED"]
    # AND buyers purchase each published image 1-3 times (with client retries) while the
    # completion consumer stops and restarts, and one image is withdrawn mid-purchase
    withdrawn = published[-1]
    purchases = {  # purchase id -> index of its buyer
        market.buy(buyers[0], image_id, str(uuid.uuid4()))["purchaseId"]: 0
        for image_id in published  # each waits until the image is for sale
    }
    faults.pause("purchase-completion", 2)
    jobs = [
        (buyers[b], image_id)
        for n, image_id in enumerate(published)
        for b in range(1, 1 + n % BUYERS)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        bought = pool.map(lambda job: (job[0], buy_with_retry(market, *job)), jobs)
        withdrawal = market.withdraw(photographer, withdrawn)
        for buyer_index, purchase_id in ((buyers.index(b), p) for b, p in bought):
            if purchase_id:
                purchases[purchase_id] = buyer_index
    assert withdrawal.status_code in (200, 204)
    final = wait_for(
        "every purchase settled",
        lambda: {p: purchase_status(market, buyers[b], p) for p, b in purchases.items()},
        lambda statuses: "PENDING" not in statuses.values(),
        timeout=SETTLE_TIMEOUT,
    )
    wait_until_settled(graph)
    image_events = [e for e in taps["upload"].drain_distinct() if e["data"]["imageId"] in ids]
    purchase_events = [
        e for e in taps["purchase"].drain_distinct() if e["data"]["purchaseId"] in purchases
    ]

    # THEN every upload ended PUBLISHED (good files) or REJECTED (corrupt ones), one event id each
    assert [uploads[i]["status"] for i in ids] == ["PUBLISHED"] * GOOD_IMAGES + [
        "REJECTED"
    ] * CORRUPT_IMAGES
    outcomes = Counter(e["data"]["imageId"] for e in image_events if e["type"] != "image.withdrawn")
    assert outcomes == dict.fromkeys(ids, 1)
    # AND every purchase ended COMPLETED or FAILED, announced exactly once, as that outcome
    assert set(final.values()) <= {"COMPLETED", "FAILED"}
    announced = {e["data"]["purchaseId"]: e["type"] for e in purchase_events}
    assert len(purchase_events) == len(announced) == len(purchases)
    assert announced == {p: f"purchase.{s.lower()}" for p, s in final.items()}
    # AND the catalog counts each completed purchase once: API for listed images, counter for all
    completed = Counter(
        next(e["data"]["imageId"] for e in purchase_events if e["data"]["purchaseId"] == p)
        for p, status in final.items()
        if status == "COMPLETED"
    )
    for image_id in published:
        assert popularity_counter(graph, image_id) == completed[image_id], image_id
        if image_id != withdrawn:
            assert market.image(image_id).json()["popularity"] == completed[image_id], image_id
    assert market.image(withdrawn).status_code == 404
    # AND nothing was parked in any DLQ, and faults of each kind were injected
    assert dlq_depths(graph) == parked_before
    assert {"raise", "crash", "duplicate", "delay", "reorder", "pause"} <= set(faults.counts)
    TOTALS["uploads checked"] += len(ids)
    TOTALS["purchases checked"] += len(purchases)
    TOTALS["events checked"] += len(image_events) + len(purchase_events)


def test_rekognition_outage_under_faults_sends_uploads_to_review_never_to_the_dlq(
    market: Marketplace, local_env: LocalEnvironment, faults: Faults, taps: dict[str, Tap]
) -> None:
    graph = local_env.graph
    assert graph is not None
    run = uuid.uuid4().hex[:6]
    photographer = market.sign_in(f"outage-photographer-{run}")
    moderator = sign_in_admin(local_env, f"outage-admin-{run}")
    samples = [small_photo(100 + seed) for seed in range(GOOD_IMAGES)] + [corrupt_file()]
    parked_before = dlq_depths(graph)
    # GIVEN Rekognition failing for the processor, and the burst's faults everywhere
    with rekognition_outage(local_env):
        faults.set(BURST_FAULTS)
        # WHEN a burst of uploads is processed
        with ThreadPoolExecutor(max_workers=4) as pool:
            ids = list(pool.map(lambda s: market.upload(photographer, s, s.name, [run]), samples))
        uploads = processed_uploads(market, photographer, len(ids))
    # THEN no upload is stuck: good files wait IN_REVIEW, the corrupt one is REJECTED
    assert [uploads[i]["status"] for i in ids] == ["IN_REVIEW"] * GOOD_IMAGES + ["REJECTED"]
    # AND none reached a DLQ because Rekognition failed
    wait_until_settled(graph)
    assert dlq_depths(graph) == parked_before
    # WHEN an admin approves every one waiting, under the same faults
    for upload_id in ids[:GOOD_IMAGES]:
        path = f"/admin/reviews/{upload_id}/approve"
        assert market.call("POST", "upload", path, moderator, json={}).status_code == 200
    wait_until_settled(graph)
    faults.reset()
    # THEN each upload announced exactly one outcome: published after review, or rejected
    final = upload_statuses(market, photographer)
    assert [final[i]["status"] for i in ids] == ["PUBLISHED"] * GOOD_IMAGES + ["REJECTED"]
    events = [e for e in taps["upload"].drain_distinct() if e["data"]["imageId"] in ids]
    assert Counter(e["data"]["imageId"] for e in events) == dict.fromkeys(ids, 1)
    close_circuit(local_env, market, photographer)
    TOTALS["uploads checked"] += len(ids)
    TOTALS["events checked"] += len(events)


def test_poison_event_parks_in_the_dlq_raises_its_alarm_and_redrive_delivers_it_once_fixed(
    market: Marketplace,
    local_env: LocalEnvironment,
    faults: Faults,
    capsys: pytest.CaptureFixture[str],
) -> None:
    graph = local_env.graph
    assert graph is not None
    dlq = select(dead_letter_queues(graph), "catalog-upload-events")[0]
    before = depth(graph, dlq)
    tag = f"poison-{uuid.uuid4().hex[:6]}"
    # GIVEN the catalog's indexer fails every event that mentions one tag (a permanent fault)
    faults.set(poison=(tag,), scope=("catalog-upload-events",))
    photographer = market.sign_in(f"poison-{tag}")
    # WHEN an image with that tag is published
    image_id = market.upload(photographer, small_photo(99), "Poisoned", [tag])
    assert market.wait_until_processed(photographer, image_id)["status"] == "PUBLISHED"
    parked = wait_for(
        "the event in the DLQ", lambda: depth(graph, dlq), lambda n: n > before, timeout=60
    )
    # THEN it is parked in the DLQ, whose alarm fires, and the catalog does not list it
    assert parked == before + 1
    assert alarm_firing(dlq, parked)
    assert market.search(tag=tag) == []
    # WHEN the fault is fixed and the DLQ redriven with the documented command
    faults.reset()
    graph_file = Path(local_env.state_dir) / "graph.json"
    assert local_main(["redrive", "--graph", str(graph_file), "--queue", dlq.name]) == 0
    # THEN the event is delivered again and indexed, and the DLQ is empty and quiet
    assert f"{dlq.name}: moved {parked} message(s)" in capsys.readouterr().out
    listed = wait_for("the image in the catalog", lambda: market.search(tag=tag), timeout=180)
    assert [i["imageId"] for i in listed] == [image_id]
    assert depth(graph, dlq) == 0 and not alarm_firing(dlq, 0)
    TOTALS["events checked"] += 1


def test_redrive_lists_dead_letter_queues_with_their_depth(
    local_env: LocalEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the running environment's graph
    graph_file = Path(local_env.state_dir) / "graph.json"
    # WHEN redrive runs without a queue
    code = local_main(["redrive", "--graph", str(graph_file)])
    # THEN it lists every DLQ and the stream failure queue, and moves nothing
    out = capsys.readouterr().out
    assert code == 0
    for name in ("upload-ingest-dlq", "catalog-upload-events-dlq", "completion-failures"):
        assert name in out
    assert "moved" not in out


def test_pause_stops_a_consumer_and_restarts_it_cold(
    local_env: LocalEnvironment, faults: Faults
) -> None:
    # GIVEN the catalog's purchase-events consumer and its function's warm workers
    assert local_env.runtime is not None
    indexer = local_env.runtime.functions["marketplace-local-catalog-indexer"]
    restarts = sum(w.restarts for w in indexer.workers)
    # WHEN it is paused
    paused = faults.pause("catalog-purchase-events", 1.5)
    # THEN only it is paused, for a while, and its workers were stopped
    assert paused == ["catalog-purchase-events-work-mapping"]
    assert faults.paused(paused[0]) and not faults.paused("catalog-upload-events-work-mapping")
    assert not any(w.alive for w in indexer.workers)
    wait_for("the consumer to resume", lambda: not faults.paused(paused[0]), timeout=10)
    # AND the next invocation starts a new process
    indexer.invoke({"Records": []})
    assert sum(w.restarts for w in indexer.workers) == restarts + 1
