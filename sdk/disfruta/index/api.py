"""The index's read API (FastAPI; OpenAPI at ``/openapi.json``, docs at ``/docs``): ``create_app(engine, core)``.

The note market's listings and trades and the autopay enrolments (issue #16) are under ``/v1/market`` and
``/v1/autopay``; a loan's open listings and its enrolment are in its detail row.

The oracle's conventions: a refusal is a 4xx JSON ``{"detail": message}`` (an unknown loan 404, a bad cursor, filter
or address 400, a value outside its declared range 422), pages are bounded (``limit`` ≤ ``max_limit``). Every
response carries ``X-Index-Block`` (the indexed block it reflects) and ``Cache-Control`` (``cache_seconds`` for what
only changes with new blocks; ``live_cache_seconds`` for responses with time-dependent fields). Amounts are decimal
strings of token units (18-decimal amounts overflow JSON's safe integers). Time-dependent fields (amount due, payoff,
days past due) come from one Multicall3 call for the rows returned, when the app has a node (``core``).
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at runtime, and they refer to
# names local to `create_app` (the page limit, the connection dependency).

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from disfruta import __version__, http_metrics
from disfruta.core import Core
from disfruta.errors import DisfrutaError
from disfruta.grades import Grade
from disfruta.index import local, metrics
from disfruta.index import market as m
from disfruta.index import queries as q
from disfruta.index import schema as s
from disfruta.index.live import Live, live_fields
from disfruta.index.portfolio import portfolio_json
from disfruta.index.statements import borrower_statement, lender_statement
from disfruta.models import PURPOSES, LoanStatus

STATUSES = tuple(x.name.lower() for x in LoanStatus)
GRADES = tuple(g.name for g in Grade)
ADDRESS = r"^0x[0-9a-fA-F]{40}$"
Address = Annotated[str, Query(pattern=ADDRESS)]
REQUEST_SECONDS = http_metrics.request_histogram(metrics.PREFIX)
LoanRef = Annotated[str | None, Query(pattern=r"^([0-9]{1,18}|0x[0-9a-fA-F]{40})$",
                                      description="A loan's id or address.")]


def loan_json(row: dict[str, Any], live: Live | None = None) -> dict[str, Any]:
    """One loan as the API shows it (amounts as strings; live fields ``null`` when not read)."""
    out: dict[str, Any] = {
        "loan_id": row["loan_id"], "address": row["address"], "borrower": row["borrower"],
        "status": LoanStatus(row["status"]).name.lower(),
        "grade": Grade(row["grade"]).name if 1 <= row["grade"] <= 25 else None,
        "purpose": PURPOSES[row["purpose"]] if row["purpose"] < len(PURPOSES) else str(row["purpose"]),
        "annual_rate_bps": row["annual_rate_bps"], "term_months": row["term_months"],
        "funding_deadline": row["funding_deadline"], "funded_at": row["funded_at"], "start_time": row["start_time"],
        "paused": row["paused"], "created_at": row["created_at"],
    }
    for name in ("goal", "principal", "funded", "monthly_payment", "principal_outstanding", "interest_paid",
                 "principal_paid", "late_fees_paid", "servicing_fees", "reserve_cover", "defaulted_principal"):
        out[name] = str(row[name])
    out["live"] = None if live is None else {
        "amount_due": str(live.amount_due), "payoff_amount": str(live.payoff_amount),
        "next_due_date": live.next_due_date, "days_past_due": live.days_past_due,
        "interest_owed": str(live.interest_owed), "late_fees_owed": str(live.late_fees_owed)}
    return out


def create_app(engine: Engine, core: Core | None = None, *, cors_origins: Sequence[str] = (),
               cache_seconds: int = 5, live_cache_seconds: int = 1, max_limit: int = 100,
               clock: Callable[[], float] = time.time) -> FastAPI:
    """The application over an index database (``engine``) and, for live fields, a node (``core``)."""
    app = FastAPI(title="Disfruta index", version=__version__,
                  description="The marketplace, loans, portfolios, statements and statistics of one Disfruta "
                              "market, from its index.")
    http_metrics.install(app, REQUEST_SECONDS)  # before CORS: the CORS middleware stays outermost
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET"],
                           allow_headers=["*"], expose_headers=["X-Index-Block"])

    @app.exception_handler(q.BadQuery)
    async def _bad_query(_request: Request, exc: q.BadQuery) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(DBAPIError)
    async def _database_error(_request: Request, _exc: DBAPIError) -> JSONResponse:
        metrics.database_error()
        return JSONResponse({"detail": "index database unavailable, retry later"}, status_code=503,
                            headers={"Retry-After": "5"})

    @app.exception_handler(DisfrutaError)
    async def _node_error(_request: Request, exc: DisfrutaError) -> JSONResponse:
        return JSONResponse({"detail": f"the node could not answer: {exc}"}, status_code=503,
                            headers={"Retry-After": "5"})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @contextmanager
    def _connect() -> Iterator[Connection]:
        with engine.connect() as conn:
            yield conn

    def db() -> Iterator[Connection]:
        with _connect() as conn:
            yield conn

    Db = Annotated[Connection, Depends(db)]

    def headers(response: Response, conn: Connection, live: bool) -> None:
        block = conn.execute(select(s.sync_state.c.cursor)).scalar()
        response.headers["X-Index-Block"] = str(block if block is not None else -1)
        response.headers["Cache-Control"] = f"public, max-age={live_cache_seconds if live else cache_seconds}"

    def live_for(addresses: list[str], schedule_of: str | None = None) -> tuple[dict[str, Live], list[Any]]:
        if core is None or not addresses:
            return {}, []
        values, schedule, _ = live_fields(core, addresses, schedule_of=schedule_of)
        return values, schedule

    def indexed_now(conn: Connection) -> int:
        """The indexed block's time: what listing expiries are judged by (the figures are as of that block)."""
        now = m.indexed_time(conn)
        return int(now if now is not None else clock())

    @app.get("/v1/status", summary="How far the index is")
    def status(response: Response, conn: Db) -> dict[str, Any]:
        row = conn.execute(select(s.sync_state)).first()
        headers(response, conn, False)
        if row is None:
            raise HTTPException(503, "the index is empty: run `disfruta index run` first")
        return {"chain_id": row.chain_id, "factory": row.factory, "block": row.cursor, "block_hash": row.cursor_hash}

    @app.get("/v1/loans", summary="The marketplace, newest first, with the SDK's filters")
    def loans(response: Response, conn: Db,
              status: Annotated[Literal[STATUSES] | None, Query()] = None,  # type: ignore[valid-type]
              min_grade: Annotated[Literal[GRADES] | None, Query()] = None,  # type: ignore[valid-type]
              max_grade: Annotated[Literal[GRADES] | None, Query()] = None,  # type: ignore[valid-type]
              min_rate_bps: Annotated[int | None, Query(ge=0, le=10_000)] = None,
              max_rate_bps: Annotated[int | None, Query(ge=0, le=10_000)] = None,
              term_months: Annotated[int | None, Query(ge=1, le=600)] = None,
              max_term_months: Annotated[int | None, Query(ge=1, le=600)] = None,
              purpose: Annotated[int | None, Query(ge=0, le=len(PURPOSES) - 1)] = None,
              borrower: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
              limit: Annotated[int, Query(ge=1, le=max_limit)] = 20,
              cursor: Annotated[str | None, Query(max_length=200)] = None,
              live: Annotated[bool, Query(description="Add amounts due now (one Multicall3 call).")] = False,
              ) -> dict[str, Any]:
        filters = q.LoanFilters(
            status=LoanStatus.parse(status) if status else None,
            min_grade=Grade[min_grade] if min_grade else None, max_grade=Grade[max_grade] if max_grade else None,
            min_rate_bps=min_rate_bps, max_rate_bps=max_rate_bps, term_months=term_months,
            max_term_months=max_term_months, purpose=purpose, borrower=borrower)
        page = q.list_loans(conn, filters, limit=limit, cursor=cursor)
        values = live_for([r["address"] for r in page.rows])[0] if live else {}
        headers(response, conn, live)
        return {"items": [loan_json(r, values.get(r["address"])) for r in page.rows],
                "next_cursor": page.next_cursor}

    @app.get("/v1/loans/{loan_id}", summary="One loan, its schedule and its full history")
    def loan(response: Response, conn: Db, loan_id: int) -> dict[str, Any]:
        row = q.loan_row(conn, loan_id) if 0 < loan_id < 2**63 else None
        if row is None:
            raise HTTPException(404, f"there is no loan #{loan_id} in the index")
        values, schedule = live_for([row["address"]], schedule_of=row["address"])
        holders = conn.execute(select(s.note_positions.c.holder, s.note_positions.c.notes)
                               .where(s.note_positions.c.loan_id == loan_id).where(s.note_positions.c.notes > 0)
                               .order_by(s.note_positions.c.holder)).all()
        headers(response, conn, core is not None)
        return {**loan_json(row, values.get(row["address"])),
                "schedule": [{"number": i.number, "due_date": i.due_date, "interest": str(i.interest),
                              "principal": str(i.principal)} for i in schedule],
                "noteholders": [{"holder": h, "notes": str(n)} for h, n in holders],
                **m.loan_market(conn, loan_id, indexed_now(conn)),
                "history": q.loan_history(conn, row)}

    @app.get("/v1/market/listings", summary="The note market's listings, the newest listed first")
    def market_listings(response: Response, conn: Db, loan: LoanRef = None,
                        seller: Annotated[str | None, Query(pattern=ADDRESS)] = None,
                        active: Annotated[bool | None, Query(
                            description="Only the open listings (true: notes left, not past their expiry at the "
                                        "indexed block's time) or only the others (false).")] = None,
                        limit: Annotated[int, Query(ge=1, le=max_limit)] = 20,
                        cursor: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
        now = indexed_now(conn)
        page = m.list_listings(conn, now=now, loan=loan, seller=seller, active=active, limit=limit, cursor=cursor)
        headers(response, conn, False)
        return {"items": [m.listing_json(r, now) for r in page.rows], "next_cursor": page.next_cursor}

    @app.get("/v1/market/trades", summary="Sales on the note market, newest first")
    def market_trades(response: Response, conn: Db, loan: LoanRef = None,
                      account: Annotated[str | None, Query(pattern=ADDRESS,
                                                           description="Sales where it sold or bought.")] = None,
                      limit: Annotated[int, Query(ge=1, le=max_limit)] = 20,
                      cursor: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
        page = m.list_trades(conn, loan=loan, account=account, limit=limit, cursor=cursor)
        headers(response, conn, False)
        return {"items": [m.trade_json(r) for r in page.rows], "next_cursor": page.next_cursor}

    @app.get("/v1/autopay", summary="Autopay enrolments and their collections, the newest loan first")
    def autopay(response: Response, conn: Db, borrower: Annotated[str | None, Query(pattern=ADDRESS)] = None,
                loan: LoanRef = None, active: Annotated[bool | None, Query()] = None,
                limit: Annotated[int, Query(ge=1, le=max_limit)] = 20,
                cursor: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
        page = m.list_autopay(conn, borrower=borrower, loan=loan, active=active, limit=limit, cursor=cursor)
        headers(response, conn, False)
        return {"items": [m.enrolment_json(r) for r in page.rows], "next_cursor": page.next_cursor}

    @app.get("/v1/lenders/{address}/portfolio", summary="A lender's positions, cash flows and returns")
    def portfolio(response: Response, conn: Db, address: str) -> dict[str, Any]:
        book = q.lender_book(conn, address)
        headers(response, conn, False)
        # "Now" for expected losses and the XIRR's last flow: the indexed block's time (the figures are as of it).
        now = conn.execute(select(s.blocks.c.timestamp).join(s.sync_state, s.sync_state.c.cursor ==
                                                             s.blocks.c.number)).scalar()
        return portfolio_json(conn, book, now=int(now if now is not None else clock()))

    @app.get("/v1/lenders/{address}/statement", summary="A lender's statement for a period (JSON or CSV)")
    def lender_stmt(response: Response, conn: Db, address: str,
                    start: Annotated[int, Query(ge=0, lt=2**40)] = 0,
                    end: Annotated[int, Query(ge=0, lt=2**40)] = 2**40 - 1,
                    format: Literal["json", "csv"] = "json") -> Any:
        statement = lender_statement(conn, address, start, end)
        headers(response, conn, False)
        if format == "csv":
            return PlainTextResponse(statement.to_csv(), media_type="text/csv", headers=dict(response.headers))
        return statement.to_json()

    @app.get("/v1/borrowers/{address}", summary="A borrower's loans and what is due")
    def borrower(response: Response, conn: Db, address: str) -> dict[str, Any]:
        rows = q.borrower_loans(conn, address)
        open_rows = [r for r in rows if r["status"] == 3]
        values = live_for([r["address"] for r in open_rows])[0]
        user = q.user_row(conn, address)
        headers(response, conn, core is not None)
        dues = [values[r["address"]] for r in open_rows if r["address"] in values]
        upcoming = [v.next_due_date for v in dues if v.next_due_date]
        return {"borrower": q.checksum(address),
                "grade": Grade(user["grade"]).name if user and 1 <= user["grade"] <= 25 else None,
                "borrow_limit": str(user["borrow_limit"]) if user else "0",
                "loans": [loan_json(r, values.get(r["address"])) for r in rows],
                "total_outstanding": str(sum(r["principal_outstanding"] for r in open_rows)),
                "amount_due": str(sum(v.amount_due for v in dues)) if core is not None else None,
                "next_due_date": min(upcoming) if upcoming else None}

    @app.get("/v1/borrowers/{address}/statement", summary="A borrower's statement for a period (JSON or CSV)")
    def borrower_stmt(response: Response, conn: Db, address: str,
                      start: Annotated[int, Query(ge=0, lt=2**40)] = 0,
                      end: Annotated[int, Query(ge=0, lt=2**40)] = 2**40 - 1,
                      format: Literal["json", "csv"] = "json") -> Any:
        rows = [r for r in q.borrower_loans(conn, address) if r["status"] == 3]
        values = live_for([r["address"] for r in rows])[0]
        due = {r["loan_id"]: (values[r["address"]].amount_due, values[r["address"]].next_due_date)
               for r in rows if r["address"] in values}
        statement = borrower_statement(conn, address, start, end, due)
        headers(response, conn, core is not None)
        if format == "csv":
            return PlainTextResponse(statement.to_csv(), media_type="text/csv", headers=dict(response.headers))
        return statement.to_json()

    @app.get("/v1/lenders/{address}/activity", summary="A lender's loans and events (for the SDK's portfolio)")
    def activity(response: Response, conn: Db, address: str) -> dict[str, Any]:
        found = local.lender_activity(conn, address)
        headers(response, conn, False)
        return {"block": found.block, "loans": found.loans, "times": {str(k): v for k, v in found.times.items()},
                "events": [vars(e) for e in found.events], "history": [vars(e) for e in found.history]}

    @app.get("/v1/keeper/candidates", summary="Loans that may need the keeper at a given time")
    def candidates(response: Response, conn: Db, now: Annotated[int, Query(ge=0, lt=2**40)],
                   sweep_min: Annotated[int, Query(ge=0, lt=2**255)] = 0) -> dict[str, Any]:
        headers(response, conn, True)
        return {"loan_ids": local.keeper_candidates(conn, now, sweep_min)}

    @app.get("/v1/pool/auto-investors", summary="Lenders whose auto-invest criteria are enabled")
    def investors(response: Response, conn: Db) -> dict[str, Any]:
        headers(response, conn, False)
        return {"lenders": local.auto_investors(conn)}

    @app.get("/v1/keeper/autopay", summary="Loans enrolled in autopay now, in the order enrolled")
    def enrolled(response: Response, conn: Db,
                 borrower: Annotated[str | None, Query(pattern=ADDRESS)] = None) -> dict[str, Any]:
        headers(response, conn, False)
        return {"loans": local.autopay_enrolled(conn, borrower)}

    @app.get("/v1/stats", summary="Protocol statistics")
    def stats(response: Response, conn: Db) -> dict[str, Any]:
        headers(response, conn, False)
        out = q.statistics(conn)
        for key in ("volume", "outstanding", "defaulted_principal", "reserve", "reserve_used"):
            out[key] = str(out[key])
        out["fees"] = {k: str(v) for k, v in out["fees"].items()}
        return out

    return app
