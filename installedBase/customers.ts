import type { Knex } from 'knex';
import { isForeignKeyViolation, NotFoundError } from '../platform/db/errors';
import { insertedId, toBool, toDate, toRequiredDate } from '../platform/db/mapping';

export type CustomerClass = 'key' | 'long_term' | 'regular';
import type { Locale } from '../domain/locale';
import { words } from '../domain/words';

export type { Locale };

export interface Contact {
  id: number;
  name: string;
  email: string;
  phone: string | null;
  locale: Locale;
  /** e.g. 'interface' (the customer's interface person, PRODUCT §P1.1) or 'lead'. */
  role: string;
  isPrimary: boolean;
}

/** The long-term customer file (PRODUCT §P1.8). */
export interface Customer {
  id: number;
  name: string;
  address: string | null;
  class: CustomerClass;
  timeZone: string;
  locale: Locale;
  serviceStopped: boolean;
  flagReason: string | null;
  acceptanceDate: Date | null;
  /** The one-to-one engineer: tickets go to them first, care visits default to them. */
  engineerUserId: number | null;
  contacts: Contact[];
  createdAt: Date;
  updatedAt: Date;
}

export interface Site {
  id: number;
  customerId: number;
  name: string;
  address: string | null;
}

export interface NewContact {
  name: string;
  email: string;
  phone?: string | null;
  locale?: Locale;
  role: string;
  isPrimary?: boolean;
}

export interface NewCustomer {
  name: string;
  address?: string | null;
  class?: CustomerClass;
  timeZone?: string;
  locale?: Locale;
  contacts?: NewContact[];
}

export interface NewSite {
  name: string;
  address?: string | null;
}

interface CustomerRow {
  id: number;
  name: string;
  address: string | null;
  class: CustomerClass;
  time_zone: string;
  locale: Locale;
  service_stopped_flag: unknown;
  flag_reason: string | null;
  acceptance_date: unknown;
  engineer_user_id: unknown;
  created_at: unknown;
  updated_at: unknown;
}

interface ContactRow {
  id: number;
  customer_id: number;
  name: string;
  email: string;
  phone: string | null;
  locale: Locale;
  role: string;
  is_primary: unknown;
}

interface SiteRow {
  id: number;
  customer_id: number;
  name: string;
  address: string | null;
}

function toContact(row: ContactRow): Contact {
  return {
    id: Number(row.id),
    name: row.name,
    email: row.email,
    phone: row.phone,
    locale: row.locale,
    role: row.role,
    isPrimary: toBool(row.is_primary),
  };
}

function toCustomer(row: CustomerRow, contacts: Contact[]): Customer {
  return {
    id: Number(row.id),
    name: row.name,
    address: row.address,
    class: row.class,
    timeZone: row.time_zone,
    locale: row.locale,
    serviceStopped: toBool(row.service_stopped_flag),
    flagReason: row.flag_reason,
    acceptanceDate: toDate(row.acceptance_date),
    engineerUserId: row.engineer_user_id === null || row.engineer_user_id === undefined ? null : Number(row.engineer_user_id),
    contacts,
    createdAt: toRequiredDate(row.created_at),
    updatedAt: toRequiredDate(row.updated_at),
  };
}

function toSite(row: SiteRow): Site {
  return { id: Number(row.id), customerId: Number(row.customer_id), name: row.name, address: row.address };
}

export class CustomersRepository {
  constructor(private readonly db: Knex) {}

  /** Customer and contacts are written together or not at all. */
  async create(input: NewCustomer, now: Date = new Date()): Promise<Customer> {
    return this.db.transaction(async (trx) => {
      const id = insertedId(
        await trx('customers').insert({
          name: input.name,
          address: input.address ?? null,
          class: input.class ?? 'regular',
          time_zone: input.timeZone ?? 'Asia/Shanghai',
          locale: input.locale ?? 'zh-CN',
          service_stopped_flag: false,
          flag_reason: null,
          acceptance_date: null,
          created_at: now,
          updated_at: now,
        }),
      );
      const contacts = input.contacts ?? [];
      if (contacts.length > 0) {
        await trx('customer_contacts').insert(
          contacts.map((contact) => ({
            customer_id: id,
            name: contact.name,
            email: contact.email,
            phone: contact.phone ?? null,
            locale: contact.locale ?? input.locale ?? 'zh-CN',
            role: contact.role,
            is_primary: contact.isPrimary ?? false,
          })),
        );
      }
      return new CustomersRepository(trx).require(id);
    });
  }

  async get(id: number): Promise<Customer | null> {
    return this.withContacts((await this.db('customers').where({ id }).first()) as CustomerRow | undefined);
  }

  /** Exact name match; names are not unique, so the earliest-created customer wins. */
  async findByName(name: string): Promise<Customer | null> {
    return this.withContacts((await this.db('customers').where({ name }).orderBy('id').first()) as CustomerRow | undefined);
  }

  /** Marks the account (e.g. an unreturned DOA unit, PRODUCT §P2); service may be stopped. */
  async flagServiceStopped(id: number, reason: string, now: Date = new Date()): Promise<Customer> {
    await this.db('customers').where({ id }).update({ service_stopped_flag: true, flag_reason: reason, updated_at: now });
    return this.require(id);
  }

  /** Lifts the flag (a DOA charge proved wrong by a back-dated return). */
  async clearServiceStopped(id: number, now: Date = new Date()): Promise<Customer> {
    await this.db('customers').where({ id }).update({ service_stopped_flag: false, flag_reason: null, updated_at: now });
    return this.require(id);
  }

  async recordAcceptance(id: number, date: Date, now: Date = new Date()): Promise<Customer> {
    await this.db('customers').where({ id }).update({ acceptance_date: date, updated_at: now });
    return this.require(id);
  }

  /** Sets (or, with null, clears) the customer's one-to-one engineer. */
  async assignEngineer(id: number, engineerUserId: number | null, now: Date = new Date()): Promise<Customer> {
    await this.db('customers').where({ id }).update({ engineer_user_id: engineerUserId, updated_at: now });
    return this.require(id);
  }

  /** The customer's one-to-one engineer, if any (and still active). */
  async engineerOf(id: number): Promise<number | null> {
    const row = (await this.db('customers as c')
      .join('users as u', 'u.id', 'c.engineer_user_id')
      .where({ 'c.id': id, 'u.active': true })
      .first('u.id')) as { id: unknown } | undefined;
    return row ? Number(row.id) : null;
  }

  async list(filter: { class?: CustomerClass } = {}): Promise<Customer[]> {
    const matching = (query: Knex.QueryBuilder): Knex.QueryBuilder => (filter.class ? query.where({ class: filter.class }) : query);
    const rows = (await matching(this.db('customers')).orderBy('id')) as CustomerRow[];
    // A subquery rather than a list of ids: no bound-parameter limit however many customers match.
    const contactRows = await this.contactRows(matching(this.db('customers').select('id')));
    return assemble(rows, contactRows);
  }

  async addSite(customerId: number, site: NewSite): Promise<Site> {
    try {
      const id = insertedId(
        await this.db('sites').insert({ customer_id: customerId, name: site.name, address: site.address ?? null }),
      );
      return { id, customerId, name: site.name, address: site.address ?? null };
    } catch (error) {
      if (isForeignKeyViolation(error)) throw customerNotFound(customerId);
      throw error;
    }
  }

  async listSites(customerId: number): Promise<Site[]> {
    const rows = (await this.db('sites').where({ customer_id: customerId }).orderBy('id')) as SiteRow[];
    return rows.map(toSite);
  }

  private async require(id: number): Promise<Customer> {
    const customer = await this.get(id);
    if (!customer) throw customerNotFound(id);
    return customer;
  }

  private async withContacts(row: CustomerRow | undefined): Promise<Customer | null> {
    if (!row) return null;
    const [customer] = assemble([row], await this.contactRows([row.id]));
    return customer ?? null;
  }

  /** Contacts of the given customers (ids or a subquery selecting them), in the order they were added. */
  private async contactRows(customerIds: number[] | Knex.QueryBuilder): Promise<ContactRow[]> {
    return (await this.db('customer_contacts').whereIn('customer_id', customerIds).orderBy('id')) as ContactRow[];
  }
}

function assemble(rows: CustomerRow[], contactRows: ContactRow[]): Customer[] {
  const byCustomer = new Map<number, Contact[]>();
  for (const row of contactRows) {
    const customerId = Number(row.customer_id);
    const contacts = byCustomer.get(customerId) ?? [];
    contacts.push(toContact(row));
    byCustomer.set(customerId, contacts);
  }
  return rows.map((row) => toCustomer(row, byCustomer.get(Number(row.id)) ?? []));
}

function customerNotFound(id: number): NotFoundError {
  return new NotFoundError(words('installedBase.customerNotFound', { customerId: id }), { customerId: id });
}
