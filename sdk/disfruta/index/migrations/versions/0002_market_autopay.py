"""the note market and autopay (issue #16): listings, trades, enrolments, collections, their settings, the
treasury's trading fees, and the fixed contracts followed

Revision ID: 0002
Revises: 0001

An index built before this revision followed the five fixed contracts of then (factory, pool, registry, treasury,
timelock) from its start block: ``followed_contracts`` is seeded with those whose events it holds, so that only a
contract it never followed (the note market, autopay) is read back when the deployment names it. The treasury's
``trading_fees`` starts as the sum of the trading fees (fee type 3) it already recorded in ``fee_collections``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from disfruta.index.schema import Uint256

TRADING = 3
FIXED = ("LoanFactory", "LendingPool", "UserRegistry", "Treasury", "DisfrutaTimelock")

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('autopay_collections',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('borrower', sa.String(length=42), nullable=False),
    sa.Column('caller', sa.String(length=42), nullable=False),
    sa.Column('due_date', sa.BigInteger(), nullable=False),
    sa.Column('amount', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_autopay_collections_tx_log')
    )
    with op.batch_alter_table('autopay_collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_autopay_collections_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_autopay_collections_borrower'), ['borrower'], unique=False)
        batch_op.create_index(batch_op.f('ix_autopay_collections_loan_id'), ['loan_id'], unique=False)

    op.create_table('autopay_enrolments',
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('borrower', sa.String(length=42), nullable=False),
    sa.Column('cap', Uint256(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('enrolled_block', sa.BigInteger(), nullable=False),
    sa.Column('enrolled_at', sa.BigInteger(), nullable=False),
    sa.Column('cancelled_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_block', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('loan_id')
    )
    with op.batch_alter_table('autopay_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_autopay_enrolments_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_autopay_enrolments_borrower'), ['borrower'], unique=False)

    op.create_table('followed_contracts',
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('contract', sa.String(length=32), nullable=False),
    sa.Column('since_block', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('address')
    )
    op.create_table('market_listings',
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('seller', sa.String(length=42), nullable=False),
    sa.Column('notes', Uint256(), nullable=False),
    sa.Column('listed_notes', Uint256(), nullable=False),
    sa.Column('premium_bps', sa.Integer(), nullable=False),
    sa.Column('expiry', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('listed_block', sa.BigInteger(), nullable=False),
    sa.Column('listed_log_index', sa.Integer(), nullable=False),
    sa.Column('listed_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_block', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('loan_id', 'seller')
    )
    with op.batch_alter_table('market_listings', schema=None) as batch_op:
        batch_op.create_index('ix_market_listings_listed', ['listed_block', 'listed_log_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_listings_seller'), ['seller'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_listings_status'), ['status'], unique=False)

    op.create_table('market_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_fee_bps', sa.Integer(), nullable=False),
    sa.Column('autopay_lead_time', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('market_trades',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('seller', sa.String(length=42), nullable=False),
    sa.Column('buyer', sa.String(length=42), nullable=False),
    sa.Column('notes', Uint256(), nullable=False),
    sa.Column('price', Uint256(), nullable=False),
    sa.Column('fee', Uint256(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_market_trades_tx_log')
    )
    with op.batch_alter_table('market_trades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_trades_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_trades_buyer'), ['buyer'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_trades_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_trades_seller'), ['seller'], unique=False)

    with op.batch_alter_table('treasury', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trading_fees', Uint256(), nullable=False, server_default='0'))
    with op.batch_alter_table('treasury', schema=None) as batch_op:
        batch_op.alter_column('trading_fees', server_default=None)  # as the other amounts: the code sets it
    _seed()


def _seed() -> None:
    conn = op.get_bind()
    events = sa.table('events', sa.column('address', sa.String), sa.column('contract', sa.String),
                      sa.column('block', sa.BigInteger))
    start = conn.execute(sa.text('SELECT start_block FROM sync_state')).scalar()
    if start is not None:
        followed = sa.table('followed_contracts', sa.column('address', sa.String), sa.column('contract', sa.String),
                            sa.column('since_block', sa.BigInteger))
        rows = conn.execute(sa.select(events.c.address, events.c.contract).where(events.c.contract.in_(FIXED))
                            .group_by(events.c.address, events.c.contract)).all()
        if rows:
            conn.execute(sa.insert(followed), [{"address": a, "contract": c, "since_block": start - 1} for a, c in rows])
    fees = sa.table('fee_collections', sa.column('fee_type', sa.Integer), sa.column('amount', Uint256()))
    total = sum(int(x) for x in conn.execute(sa.select(fees.c.amount).where(fees.c.fee_type == TRADING)).scalars())
    if total:
        treasury = sa.table('treasury', sa.column('trading_fees', Uint256()))
        conn.execute(sa.update(treasury).values(trading_fees=total))



def downgrade() -> None:
    with op.batch_alter_table('treasury', schema=None) as batch_op:
        batch_op.drop_column('trading_fees')

    with op.batch_alter_table('market_trades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_trades_seller'))
        batch_op.drop_index(batch_op.f('ix_market_trades_loan_id'))
        batch_op.drop_index(batch_op.f('ix_market_trades_buyer'))
        batch_op.drop_index(batch_op.f('ix_market_trades_block'))

    op.drop_table('market_trades')
    op.drop_table('market_settings')
    with op.batch_alter_table('market_listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_listings_status'))
        batch_op.drop_index(batch_op.f('ix_market_listings_seller'))
        batch_op.drop_index('ix_market_listings_listed')

    op.drop_table('market_listings')
    op.drop_table('followed_contracts')
    with op.batch_alter_table('autopay_enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_autopay_enrolments_borrower'))
        batch_op.drop_index(batch_op.f('ix_autopay_enrolments_active'))

    op.drop_table('autopay_enrolments')
    with op.batch_alter_table('autopay_collections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_autopay_collections_loan_id'))
        batch_op.drop_index(batch_op.f('ix_autopay_collections_borrower'))
        batch_op.drop_index(batch_op.f('ix_autopay_collections_block'))

    op.drop_table('autopay_collections')
