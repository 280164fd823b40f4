"""The client's sub-APIs, one per concept: ``client.loans``, ``client.pool``, ``client.registry``,
``client.treasury``, ``client.token``, ``client.market``, ``client.autopay``, ``client.lenders``, ``client.borrowers``,
``client.events``.

Each holds a `Session` (the core plus who signs and how writes are sent) and nothing else.
"""
