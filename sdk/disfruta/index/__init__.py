"""The index of one Disfruta market (the ``[index]`` extra): chain events into SQL, served over HTTP.

* `disfruta.index.schema` — the tables; `disfruta.index.db` — engines and migrations (SQLite file or PostgreSQL URL);
* `disfruta.index.source` — paged log, header and receipt reads from the node;
* `disfruta.index.handlers` — one small handler per event, deriving the state tables from the events;
* `disfruta.index.sync` — the follower: range by range, reorg-safe, crash-safe (`Indexer`);
* `disfruta.index.verify` — the indexed state against the chain's views at the indexed block;
* `disfruta.index.api` — the read API (``disfruta index serve``).

>>> from disfruta.index.sync import Indexer                                      # doctest: +SKIP
>>> indexer = Indexer.connect("index.db", "http://127.0.0.1:8545", "deployments/local.json")   # doctest: +SKIP
>>> indexer.sync()               # to the head, committing each range with its cursor                  # doctest: +SKIP
"""
