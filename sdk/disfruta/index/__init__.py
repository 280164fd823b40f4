"""The index of one Disfruta market (the ``[index]`` extra): chain events into SQL, served over HTTP.

* `disfruta.index.schema` — the tables; `disfruta.index.db` — engines and migrations (SQLite file or PostgreSQL URL);
* `disfruta.index.source` — paged log, header and receipt reads from the node;
* `disfruta.index.handlers` — one small handler per event, deriving the state tables from the events, through a
  `disfruta.index.writer.Writer` (the rows of one database transaction); the pool's, registry's and treasury's in
  `account_handlers`, the note market's and autopay's in `market_handlers`;
* `disfruta.index.sync` — the follower: range by range, reorg-safe, crash-safe (`Indexer`);
* `disfruta.index.verify` — the indexed state against the chain's views at the indexed block;
* `disfruta.index.queries`, `portfolio`, `statements`, `live` — the reads: marketplace, loans, portfolios,
  statements, statistics, and time-dependent fields from one Multicall3 call; `market` — the note market's
  listings and trades, autopay's enrolments and collections;
* `disfruta.index.api` — the read API (``disfruta index serve``); `disfruta.index.local` — the same questions for
  the SDK and the keeper from a local database (`LocalIndex`);
* `disfruta.index.synthetic` — large synthetic markets through the write path (benchmarks, fuzzing).

>>> from disfruta.index.sync import Indexer                                      # doctest: +SKIP
>>> indexer = Indexer.connect("index.db", "http://127.0.0.1:8545", "deployments/local.json")   # doctest: +SKIP
>>> indexer.sync()               # to the head, committing each range with its cursor                  # doctest: +SKIP
"""
