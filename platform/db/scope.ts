import type { Knex } from 'knex';
import type { Scope } from '../../domain/access';

/**
 * The columns of one table that say to whom its rows belong, for `whereInScope`. A scope whose
 * column the table lacks admits no row: a table without dealer_id has no dealer's records.
 */
export interface ScopeColumns {
  customer?: string;
  dealer?: string;
  manager?: string;
  assignee?: string;
  addressee?: string;
  user?: string;
}

const COLUMN_OF_SCOPE = { customer: 'customer', dealer: 'dealer', manager: 'manager', assignee: 'assignee', addressee: 'addressee', user: 'user' } as const;

/**
 * Narrows `query` to the rows `scope` admits: the SQL twin of domain/access.ts `scopeAdmits`. The
 * scope is required: every row is `ALL_ROWS` (domain/access.ts), never a scope left out.
 */
export function whereInScope<Q extends Knex.QueryBuilder>(query: Q, scope: Scope, columns: ScopeColumns): Q {
  // An untyped caller (JavaScript, a cast) that leaves the scope out gets an error, never every row.
  if (!scope) throw new TypeError('whereInScope: a scope is required (ALL_ROWS for every row)');
  if (scope.kind === 'all') return query;
  if (scope.kind === 'none') return query.whereRaw('1 = 0') as Q;
  const column = columns[COLUMN_OF_SCOPE[scope.kind]];
  if (!column) return query.whereRaw('1 = 0') as Q;
  const value = scope.kind === 'customer' ? scope.customerId : scope.kind === 'dealer' ? scope.dealerId : scope.userId;
  return query.where(column, value) as Q;
}
