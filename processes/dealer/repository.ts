import type { Knex } from 'knex';
import { ClaimsRepository } from './claims/repository';
import { SalesRepository } from './sales/repository';
import { SettlementRepository } from './settlement/repository';
import { TasksRepository } from './tasks/repository';

export type { DealerTask } from './tasks/repository';

/**
 * The dealer's records at once (sales, tasks, claims, settlement), for whoever walks a record
 * through several sub-processes: the tests, the replay recorder, the settlement benchmark. Each
 * sub-process's own code uses its own repository (`sales/`, `tasks/`, `claims/`, `settlement/`);
 * this holds no code of its own, every method is the sub-process repository's.
 */
export type DealerWarrantyRepository = Pick<SalesRepository, keyof SalesRepository> & Pick<TasksRepository, keyof TasksRepository> & Pick<ClaimsRepository, keyof ClaimsRepository> & Pick<SettlementRepository, keyof SettlementRepository>;

/** Every public method of `source`, bound to it, on `target`. */
function delegate(target: Record<string, unknown>, source: object): void {
  const prototype = Object.getPrototypeOf(source) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const member = prototype[name];
    if (name !== 'constructor' && typeof member === 'function') target[name] = (member as (...args: unknown[]) => unknown).bind(source);
  }
}

export const DealerWarrantyRepository = class {
  constructor(db: Knex) {
    for (const repository of [new SalesRepository(db), new TasksRepository(db), new ClaimsRepository(db), new SettlementRepository(db)]) delegate(this as unknown as Record<string, unknown>, repository);
  }
} as unknown as new (db: Knex) => DealerWarrantyRepository;
