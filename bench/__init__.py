"""Disfruta's benchmarks (issue #8): ``python -m bench`` / ``make bench``.

Modules, one concern each:

- `bench.node`: a fresh anvil per run (subprocess, free loopback port, automine) and raw RPC helpers;
- `bench.market`: markets deployed through ape with the SDK's `deploy_market`, users onboarded by attestations;
- `bench.gas`: gas per operation against DESIGN.md's targets and anchors;
- `bench.scale`: repayment and claim gas from 1 to 1,000 lenders, auto-invest batches, the seed's push loop;
- `bench.throughput` (+ `bench.keeper_worker`): SDK-driven lifecycle vs pre-signed raw transactions, keeper memory;
- `bench.sdk_speed`: the same writes raw, through the SDK one at a time and pipelined (automine, 1-second blocks);
  reads at 500 loans in requests and ms;
- `bench.oracle_load`: the oracle service's assessments per second, latency and memory under a bounded load;
- `bench.memory`: RSS sampling (psutil) and the `disfruta demo` run;
- `bench.report`: environment, tables (text and Markdown).
"""
