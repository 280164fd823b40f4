"""Node outages and provider limits: a failed read writes nothing and never moves the cursor past the range; a
provider's range or result limits halve the range until it answers; `run` waits with backoff and carries on."""

from __future__ import annotations

import threading

import pytest
import requests
from disfruta.index import schema as s
from disfruta.index.source import ChainSource
from disfruta.index.verify import verify
from disfruta.rpc import NodeUnreachable, Rpc
from sqlalchemy import func, select


class Flaky:
    """Wraps an `Rpc`'s provider: calls numbered in ``down`` fail as a dropped connection; ``max_blocks`` makes
    ``eth_getLogs`` over more blocks answer with a provider's range error."""

    def __init__(self, rpc: Rpc, down: range = range(0), max_blocks: int | None = None) -> None:
        self.calls = 0
        self.down = down
        self.max_blocks = max_blocks
        self.refused = 0
        provider = rpc.provider
        self._single, self._batch = provider.make_request, provider.make_batch_request
        provider.make_request = self.single  # type: ignore[method-assign]
        provider.make_batch_request = self.batch  # type: ignore[method-assign]

    def _tick(self) -> None:
        self.calls += 1
        if self.calls in self.down:
            raise requests.ConnectionError("connection refused (test outage)")

    def _limit(self, method, params, answer):
        if self.max_blocks is not None and method == "eth_getLogs" and \
                int(params[0]["toBlock"], 16) - int(params[0]["fromBlock"], 16) + 1 > self.max_blocks:
            self.refused += 1
            return {"jsonrpc": "2.0", "id": answer.get("id"),
                    "error": {"code": -32005, "message": f"block range exceeds limit of {self.max_blocks}"}}
        return answer

    def single(self, method, params):
        self._tick()
        return self._limit(method, params, self._single(method, params))

    def batch(self, requests_):
        self._tick()
        answers = self._batch(requests_)
        return [self._limit(m, p, a) for (m, p), a in zip(requests_, answers, strict=True)]


@pytest.fixture
def flaky_rpc(chain):
    return Rpc.from_url(chain.provider.uri, retries=1, backoff=0.01)


def event_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(s.events)).scalar_one()


@pytest.fixture
def reference(make_indexer, tmp_path, lifecycle):
    """The lifecycle on chain, and how many events a plain index of it holds."""
    lifecycle(seed=5)
    plain = make_indexer(str(tmp_path / "reference.db"))
    plain.sync()
    return event_count(plain.engine)


def test_outage__mid_range__nothing_written_cursor_kept_then_resumes(make_indexer, index_url, flaky_rpc, reference,
                                                                       client_core):
    indexer = make_indexer(index_url, rpc=flaky_rpc, max_range=10)
    flaky = Flaky(flaky_rpc)
    for _ in range(4):
        indexer.step()
    before = indexer.cursor()
    stored = event_count(indexer.engine)
    flaky.down = range(flaky.calls + 2, flaky.calls + 10)  # the node goes away after the range's first read
    with pytest.raises(NodeUnreachable):
        indexer.step()
    assert indexer.cursor() == before and event_count(indexer.engine) == stored
    flaky.down = range(0)  # the node is back
    indexer.sync()
    assert event_count(indexer.engine) == reference
    assert verify(indexer.engine, client_core).differences == []


def test_run__node_unreachable_for_a_while__backs_off_and_completes(make_indexer, index_url, flaky_rpc, reference,
                                                                     client_core):
    indexer = make_indexer(index_url, rpc=flaky_rpc, max_range=25)
    flaky = Flaky(flaky_rpc, down=range(6, 20))
    target = indexer.target()
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            indexer.run(poll=0.01, backoff=0.01, stop=lambda: indexer.cursor()[0] >= target)
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)

    thread = threading.Thread(target=follow)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive() and errors == []
    assert flaky.calls > 20  # the outage happened and was waited out
    assert event_count(indexer.engine) == reference
    assert verify(indexer.engine, client_core).differences == []


def test_provider_range_limit__range_halved_until_accepted(make_indexer, index_url, flaky_rpc, reference):
    indexer = make_indexer(index_url, rpc=flaky_rpc, max_range=1_000)
    flaky = Flaky(flaky_rpc, max_blocks=7)
    indexer.sync()
    assert flaky.refused > 0
    assert event_count(indexer.engine) == reference


def test_result_cap__a_full_answer_counts_as_cut_short(make_indexer, index_url, flaky_rpc, reference):
    indexer = make_indexer(index_url, rpc=flaky_rpc, max_range=1_000)
    indexer.source = ChainSource(flaky_rpc, max_logs=6)
    indexer.sync()
    assert indexer.range < 1_000
    assert event_count(indexer.engine) == reference
