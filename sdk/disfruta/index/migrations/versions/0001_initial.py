"""initial schema: the chain's log, facts and state

Revision ID: 0001
Revises: (none)

Token amounts are `Uint256` (NUMERIC(78, 0) on PostgreSQL, decimal text on SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from disfruta.index.schema import Uint256

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auto_invest_criteria',
    sa.Column('lender', sa.String(length=42), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('lender')
    )
    with op.batch_alter_table('auto_invest_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auto_invest_criteria_enabled'), ['enabled'], unique=False)

    op.create_table('blocks',
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=66), nullable=False),
    sa.Column('parent_hash', sa.String(length=66), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('number')
    )
    op.create_table('claims',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('lender', sa.String(length=42), nullable=False),
    sa.Column('to', sa.String(length=42), nullable=False),
    sa.Column('amount', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_claims_tx_log')
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_lender'), ['lender'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_loan_id'), ['loan_id'], unique=False)

    op.create_table('defaults',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('principal_outstanding', Uint256(), nullable=False),
    sa.Column('reserve_cover', Uint256(), nullable=False),
    sa.Column('days_past_due', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('loan_id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_defaults_tx_log')
    )
    with op.batch_alter_table('defaults', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_defaults_block'), ['block'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('contract', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_events_tx_log')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_block'), ['block'], unique=False)
        batch_op.create_index('ix_events_block_log', ['block', 'log_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_name'), ['name'], unique=False)

    op.create_table('fee_collections',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('loan', sa.String(length=42), nullable=False),
    sa.Column('fee_type', sa.Integer(), nullable=False),
    sa.Column('amount', Uint256(), nullable=False),
    sa.Column('to_reserve', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_fee_collections_tx_log')
    )
    with op.batch_alter_table('fee_collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_collections_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_collections_loan'), ['loan'], unique=False)

    op.create_table('fundings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('lender', sa.String(length=42), nullable=False),
    sa.Column('payer', sa.String(length=42), nullable=False),
    sa.Column('amount', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_fundings_tx_log')
    )
    with op.batch_alter_table('fundings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fundings_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_fundings_lender'), ['lender'], unique=False)
        batch_op.create_index(batch_op.f('ix_fundings_loan_id'), ['loan_id'], unique=False)

    op.create_table('loans',
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('borrower', sa.String(length=42), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Integer(), nullable=False),
    sa.Column('annual_rate_bps', sa.Integer(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('goal', Uint256(), nullable=False),
    sa.Column('principal', Uint256(), nullable=False),
    sa.Column('funded', Uint256(), nullable=False),
    sa.Column('monthly_payment', Uint256(), nullable=False),
    sa.Column('origination_fee', Uint256(), nullable=False),
    sa.Column('principal_outstanding', Uint256(), nullable=False),
    sa.Column('interest_paid', Uint256(), nullable=False),
    sa.Column('principal_paid', Uint256(), nullable=False),
    sa.Column('late_fees_paid', Uint256(), nullable=False),
    sa.Column('late_fees_assessed', Uint256(), nullable=False),
    sa.Column('servicing_fees', Uint256(), nullable=False),
    sa.Column('fees_swept', Uint256(), nullable=False),
    sa.Column('reserve_cover', Uint256(), nullable=False),
    sa.Column('defaulted_principal', Uint256(), nullable=False),
    sa.Column('refunded', Uint256(), nullable=False),
    sa.Column('claimed', Uint256(), nullable=False),
    sa.Column('reserve_recovered', Uint256(), nullable=False),
    sa.Column('acc_per_note', Uint256(), nullable=False),
    sa.Column('funding_deadline', sa.BigInteger(), nullable=False),
    sa.Column('funded_at', sa.BigInteger(), nullable=False),
    sa.Column('start_time', sa.BigInteger(), nullable=False),
    sa.Column('closed_at', sa.BigInteger(), nullable=False),
    sa.Column('uncovered_due', sa.BigInteger(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('created_block', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_block', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('loan_id'),
    sa.UniqueConstraint('address')
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loans_uncovered_due'), ['uncovered_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_annual_rate_bps'), ['annual_rate_bps'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_borrower'), ['borrower'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_grade'), ['grade'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_status'), ['status'], unique=False)
        batch_op.create_index('ix_loans_status_grade_rate', ['status', 'grade', 'annual_rate_bps', 'loan_id'], unique=False)

    op.create_table('note_positions',
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('holder', sa.String(length=42), nullable=False),
    sa.Column('notes', Uint256(), nullable=False),
    sa.Column('owed', Uint256(), nullable=False),
    sa.Column('acc_snapshot', Uint256(), nullable=False),
    sa.Column('funded', Uint256(), nullable=False),
    sa.Column('bought', Uint256(), nullable=False),
    sa.Column('sold', Uint256(), nullable=False),
    sa.Column('claimed', Uint256(), nullable=False),
    sa.Column('refunded', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('loan_id', 'holder')
    )
    with op.batch_alter_table('note_positions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_positions_holder'), ['holder'], unique=False)

    op.create_table('note_transfers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('sender', sa.String(length=42), nullable=False),
    sa.Column('receiver', sa.String(length=42), nullable=False),
    sa.Column('amount', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_note_transfers_tx_log')
    )
    with op.batch_alter_table('note_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_transfers_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_transfers_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_transfers_receiver'), ['receiver'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_transfers_sender'), ['sender'], unique=False)

    op.create_table('pool_accounts',
    sa.Column('lender', sa.String(length=42), nullable=False),
    sa.Column('balance', Uint256(), nullable=False),
    sa.Column('deposited', Uint256(), nullable=False),
    sa.Column('withdrawn', Uint256(), nullable=False),
    sa.Column('invested', Uint256(), nullable=False),
    sa.Column('returns_claimed', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('lender')
    )
    op.create_table('pool_investments',
    sa.Column('lender', sa.String(length=42), nullable=False),
    sa.Column('loan', sa.String(length=42), nullable=False),
    sa.Column('amount', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('lender', 'loan')
    )
    op.create_table('pool_movements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('lender', sa.String(length=42), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('loan', sa.String(length=42), nullable=True),
    sa.Column('amount', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_pool_movements_tx_log')
    )
    with op.batch_alter_table('pool_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_movements_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_pool_movements_lender'), ['lender'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('lender', sa.String(length=42), nullable=False),
    sa.Column('amount', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_refunds_tx_log')
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_lender'), ['lender'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_loan_id'), ['loan_id'], unique=False)

    op.create_table('repayments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('payer', sa.String(length=42), nullable=False),
    sa.Column('amount', Uint256(), nullable=False),
    sa.Column('late_fees', Uint256(), nullable=False),
    sa.Column('interest', Uint256(), nullable=False),
    sa.Column('principal', Uint256(), nullable=False),
    sa.Column('servicing_fee', Uint256(), nullable=False),
    sa.Column('principal_outstanding', Uint256(), nullable=False),
    sa.Column('notes_total', Uint256(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash', 'log_index', name='uq_repayments_tx_log')
    )
    with op.batch_alter_table('repayments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repayments_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_repayments_loan_id'), ['loan_id'], unique=False)

    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('factory', sa.String(length=42), nullable=False),
    sa.Column('start_block', sa.BigInteger(), nullable=False),
    sa.Column('cursor', sa.BigInteger(), nullable=False),
    sa.Column('cursor_hash', sa.String(length=66), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('transactions',
    sa.Column('hash', sa.String(length=66), nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('tx_index', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=42), nullable=False),
    sa.Column('to', sa.String(length=42), nullable=True),
    sa.Column('gas_used', sa.BigInteger(), nullable=False),
    sa.Column('effective_gas_price', Uint256(), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('hash')
    )
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transactions_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_sender'), ['sender'], unique=False)

    op.create_table('treasury',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reserve', Uint256(), nullable=False),
    sa.Column('available_fees', Uint256(), nullable=False),
    sa.Column('origination_fees', Uint256(), nullable=False),
    sa.Column('servicing_fees', Uint256(), nullable=False),
    sa.Column('reserve_used', Uint256(), nullable=False),
    sa.Column('reserve_funded', Uint256(), nullable=False),
    sa.Column('distributed', Uint256(), nullable=False),
    sa.Column('surplus_fees', Uint256(), nullable=False),
    sa.Column('reserve_recovered', Uint256(), nullable=False),
    sa.Column('reserve_share_bps', sa.Integer(), nullable=False),
    sa.Column('default_cover_bps', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('users',
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('roles', sa.Integer(), nullable=False),
    sa.Column('kyc_commitment', sa.String(length=66), nullable=False),
    sa.Column('kyc_valid_until', sa.BigInteger(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('borrow_limit', Uint256(), nullable=False),
    sa.Column('credit_valid_until', sa.BigInteger(), nullable=False),
    sa.Column('defaults', sa.Integer(), nullable=False),
    sa.Column('last_default_at', sa.BigInteger(), nullable=False),
    sa.Column('registered_block', sa.BigInteger(), nullable=False),
    sa.Column('updated_block', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('address')
    )


def downgrade() -> None:
    op.drop_table('users')
    op.drop_table('treasury')
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transactions_sender'))
        batch_op.drop_index(batch_op.f('ix_transactions_block'))

    op.drop_table('transactions')
    op.drop_table('sync_state')
    with op.batch_alter_table('repayments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repayments_loan_id'))
        batch_op.drop_index(batch_op.f('ix_repayments_block'))

    op.drop_table('repayments')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_loan_id'))
        batch_op.drop_index(batch_op.f('ix_refunds_lender'))
        batch_op.drop_index(batch_op.f('ix_refunds_block'))

    op.drop_table('refunds')
    with op.batch_alter_table('pool_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pool_movements_lender'))
        batch_op.drop_index(batch_op.f('ix_pool_movements_block'))

    op.drop_table('pool_movements')
    op.drop_table('pool_investments')
    op.drop_table('pool_accounts')
    with op.batch_alter_table('note_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_transfers_sender'))
        batch_op.drop_index(batch_op.f('ix_note_transfers_receiver'))
        batch_op.drop_index(batch_op.f('ix_note_transfers_loan_id'))
        batch_op.drop_index(batch_op.f('ix_note_transfers_block'))

    op.drop_table('note_transfers')
    with op.batch_alter_table('note_positions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_positions_holder'))

    op.drop_table('note_positions')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('ix_loans_status_grade_rate')
        batch_op.drop_index(batch_op.f('ix_loans_uncovered_due'))
        batch_op.drop_index(batch_op.f('ix_loans_status'))
        batch_op.drop_index(batch_op.f('ix_loans_grade'))
        batch_op.drop_index(batch_op.f('ix_loans_borrower'))
        batch_op.drop_index(batch_op.f('ix_loans_annual_rate_bps'))

    op.drop_table('loans')
    with op.batch_alter_table('fundings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fundings_loan_id'))
        batch_op.drop_index(batch_op.f('ix_fundings_lender'))
        batch_op.drop_index(batch_op.f('ix_fundings_block'))

    op.drop_table('fundings')
    with op.batch_alter_table('fee_collections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_collections_loan'))
        batch_op.drop_index(batch_op.f('ix_fee_collections_block'))

    op.drop_table('fee_collections')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_name'))
        batch_op.drop_index('ix_events_block_log')
        batch_op.drop_index(batch_op.f('ix_events_block'))
        batch_op.drop_index(batch_op.f('ix_events_address'))

    op.drop_table('events')
    with op.batch_alter_table('defaults', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_defaults_block'))

    op.drop_table('defaults')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_loan_id'))
        batch_op.drop_index(batch_op.f('ix_claims_lender'))
        batch_op.drop_index(batch_op.f('ix_claims_block'))

    op.drop_table('claims')
    op.drop_table('blocks')
    with op.batch_alter_table('auto_invest_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auto_invest_criteria_enabled'))

    op.drop_table('auto_invest_criteria')
