/**
 * Organisational units as both front ends change them (the admin's): add, rename, move, each checked
 * against people/unitRules.ts in the transaction that writes it. Everyone signed in may list them.
 */
import { isUniqueViolation } from '../platform/db/errors';
import { words } from '../domain/words';
import { fieldRefusal } from './adminChecks';
import { OrgUnitsRepository, type OrgUnit } from './orgUnits';
import { makesCycle, parentKindAllowed, type OrgUnitKind } from './unitRules';
import type { PeopleDeps } from './useCases';
import type { Knex } from 'knex';
import { notFound } from '../platform/http/errors';

const clock = (deps: PeopleDeps) => (deps.now ?? (() => new Date()))();

export async function listUnits(deps: PeopleDeps): Promise<OrgUnit[]> {
  return new OrgUnitsRepository(deps.knex).list();
}

/** A sibling with the name: 409 naming `name`. */
async function named<T>(write: () => Promise<T>, name: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw fieldRefusal(409, 'conflict', 'name', words('units.problem.nameTaken', { name }));
    throw error;
  }
}

async function parentChecked(trx: Knex, kind: OrgUnitKind, parentId: number | null): Promise<void> {
  const parent = parentId === null ? null : await new OrgUnitsRepository(trx).get(parentId);
  if (parentId !== null && !parent) throw fieldRefusal(400, 'validation_failed', 'parentId', words('units.problem.noParent', { id: parentId }));
  if (!parentKindAllowed(kind, parent?.kind ?? null)) throw fieldRefusal(400, 'validation_failed', 'parentId', words('units.problem.kind', { kind, parent: parent?.kind ?? '' }));
}

export async function createUnit(input: { name: string; kind: OrgUnitKind; parentId: number | null }, deps: PeopleDeps): Promise<OrgUnit> {
  return deps.knex.transaction(async (trx) => {
    await parentChecked(trx, input.kind, input.parentId);
    return named(() => new OrgUnitsRepository(trx).create(input, clock(deps)), input.name);
  });
}

async function existing(trx: Knex, id: number): Promise<OrgUnit> {
  const unit = await new OrgUnitsRepository(trx).get(id);
  if (!unit) throw notFound(words('units.missing', { id }));
  return unit;
}

/** Renames and/or moves a unit in one transaction: a refused move leaves the name as it was. */
export async function changeUnit(id: number, change: { name?: string; parentId?: number | null }, deps: PeopleDeps): Promise<OrgUnit> {
  return deps.knex.transaction(async (trx) => {
    const repo = new OrgUnitsRepository(trx);
    const unit = await existing(trx, id);
    if (change.parentId !== undefined) {
      await parentChecked(trx, unit.kind, change.parentId);
      const parents = new Map((await repo.list()).map((u) => [u.id, u.parentId]));
      if (makesCycle(id, change.parentId, parents)) throw fieldRefusal(400, 'validation_failed', 'parentId', words('units.problem.cycle'));
      await named(() => repo.move(id, change.parentId!), unit.name);
    }
    if (change.name !== undefined) await named(() => repo.rename(id, change.name!), change.name);
    return (await repo.get(id))!;
  });
}
