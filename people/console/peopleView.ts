/**
 * What the people pages show: the choices of their forms (roles the caller may give, customers,
 * dealers, units, languages), each person as a row, and the form values an account starts from.
 */
import type { Knex } from 'knex';
import type { Locale } from '../../domain/locale';
import { LOCALES } from '../../domain/locale';
import { LOCALE_NAMES, translate, type MessageKey } from '../../platform/i18n/catalogue';
import { codeWord, label } from '../../platform/console/views';
import { managedCustomerIds } from '../adminChecks';
import { isDealerAdmin, offeredRoles, type Administrator } from '../adminRules';
import type { PersonListing } from '../directory';
import type { OrgUnit } from '../orgUnits';
import { ROLES } from '../roles';
import { treeOrder } from '../unitRules';

export interface Choice {
  value: string;
  label: string;
}

export interface FormChoices {
  roles: Choice[];
  customers: Choice[];
  dealers: Choice[];
  units: Choice[];
  locales: Choice[];
  /** Whether the form offers the dealer-administrator flag (an admin's alone). */
  dealerAdmin: boolean;
}

async function named(knex: Knex, table: 'customers' | 'dealers', ids?: readonly number[]): Promise<Choice[]> {
  const query = knex(table).orderBy('name').limit(1000).select('id', 'name');
  if (ids) query.whereIn('id', ids as number[]);
  const rows = (await query) as Array<{ id: number; name: string }>;
  return rows.map((row) => ({ value: String(row.id), label: row.name }));
}

/** A unit's name with its path, indented by depth in the tree. */
export function unitChoices(units: readonly OrgUnit[], locale: Locale): Choice[] {
  return treeOrder(units).map((u) => ({ value: String(u.id), label: `${'· '.repeat(u.depth)}${u.name} (${codeWord(locale, 'units.kind', u.kind)})` }));
}

export async function formChoices(knex: Knex, who: Administrator, units: readonly OrgUnit[], locale: Locale): Promise<FormChoices> {
  const customers = who.role === 'admin' || who.role === 'service_manager' || who.role === 'dispatcher' ? await named(knex, 'customers') : who.role === 'project_manager' ? await named(knex, 'customers', await managedCustomerIds(knex, who.userId)) : [];
  const dealers = who.role === 'admin' ? await named(knex, 'dealers') : isDealerAdmin(who) ? await named(knex, 'dealers', [who.dealerId!]) : [];
  return {
    roles: offeredRoles(who, ROLES).map((role) => ({ value: role, label: label(locale, 'role', role) })),
    customers,
    dealers,
    units: unitChoices(units, locale),
    locales: LOCALES.map((value) => ({ value, label: LOCALE_NAMES[value] })),
    dealerAdmin: who.role === 'admin',
  };
}

export const stateWord = (locale: Locale, state: string | null): string => translate(locale, (state ? `people.state.${state}` : 'people.state.none') as MessageKey);

/** Each person as a row of the list (and the facts of their page). */
export async function personRows(knex: Knex, people: readonly PersonListing[], units: readonly OrgUnit[], locale: Locale) {
  const ids = (column: 'customerId' | 'dealerId') => [...new Set(people.map((p) => p[column]).filter((id): id is number => id !== null))];
  const [customers, dealers] = await Promise.all([named(knex, 'customers', ids('customerId')), named(knex, 'dealers', ids('dealerId'))]);
  const nameOf = (choices: Choice[], id: number) => choices.find((c) => c.value === String(id))?.label ?? `#${id}`;
  return people.map((p) => ({
    id: p.id,
    name: p.name,
    email: p.email,
    role: label(locale, 'role', p.role),
    actsFor: p.customerId !== null ? nameOf(customers, p.customerId) : p.dealerId !== null ? nameOf(dealers, p.dealerId) : null,
    dealerAdmin: p.dealerAdmin,
    unit: p.orgUnitId === null ? null : (units.find((u) => u.id === p.orgUnitId)?.name ?? `#${p.orgUnitId}`),
    state: stateWord(locale, p.invitation?.state ?? null),
    stateKey: p.invitation?.state ?? 'none',
    expiresAt: p.invitation?.expiresAt ?? null,
    active: p.active,
    hasPassword: p.hasPassword,
    locale: p.locale,
    timeZone: p.timeZone,
  }));
}

/** The change form starts from the account as it is. */
export function accountValues(p: PersonListing): Record<string, string> {
  return {
    name: p.name,
    role: p.role,
    locale: p.locale,
    timeZone: p.timeZone ?? '',
    customerId: p.customerId === null ? '' : String(p.customerId),
    dealerId: p.dealerId === null ? '' : String(p.dealerId),
    orgUnitId: p.orgUnitId === null ? '' : String(p.orgUnitId),
    dealerAdmin: p.dealerAdmin ? 'true' : '',
  };
}
