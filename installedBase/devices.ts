import type { Knex } from 'knex';
import { ConflictError, isUniqueViolation, NotFoundError } from '../platform/db/errors';
import { toDate, toRequiredDate } from '../platform/db/mapping';
import { words } from '../domain/words';

export interface Device {
  id: number;
  customerId: number;
  siteId: number | null;
  projectId: number | null;
  model: string;
  brand: string | null;
  serial: string;
  installedAt: Date | null;
  warrantyStartsAt: Date | null;
  warrantyEndsAt: Date | null;
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewDevice {
  model: string;
  brand?: string | null;
  serial: string;
  siteId?: number | null;
  projectId?: number | null;
}

interface DeviceRow {
  id: number;
  customer_id: number;
  site_id: number | null;
  project_id: number | null;
  model: string;
  brand: string | null;
  serial: string;
  installed_at: unknown;
  warranty_starts_at: unknown;
  warranty_ends_at: unknown;
  status: string;
  created_at: unknown;
  updated_at: unknown;
}

type DeviceDates = Partial<Record<keyof typeof DATE_COLUMNS, Date>>;

const DATE_COLUMNS = { installedAt: 'installed_at', warrantyStartsAt: 'warranty_starts_at', warrantyEndsAt: 'warranty_ends_at' } as const;

// Keeps every IN (...) list well under SQLite's and MySQL's bound-parameter limits.
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK) result.push(items.slice(start, start + CHUNK));
  return result;
}

/** Serials match exactly (binary collation on MySQL); stray whitespace is never part of one. */
function normalizeSerial(serial: string): string {
  return serial.trim();
}

function nullableId(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toDevice(row: DeviceRow): Device {
  return {
    id: Number(row.id),
    customerId: Number(row.customer_id),
    siteId: nullableId(row.site_id),
    projectId: nullableId(row.project_id),
    model: row.model,
    brand: row.brand,
    serial: row.serial,
    installedAt: toDate(row.installed_at),
    warrantyStartsAt: toDate(row.warranty_starts_at),
    warrantyEndsAt: toDate(row.warranty_ends_at),
    status: row.status,
    createdAt: toRequiredDate(row.created_at),
    updatedAt: toRequiredDate(row.updated_at),
  };
}

function duplicatesOf(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const value of values) (seen.has(value) ? duplicates : seen).add(value);
  return [...duplicates];
}

function serialConflict(serials: string[], cause?: unknown): ConflictError {
  return new ConflictError(words('installedBase.serialsTaken', { serials: serials.join(', ') }), { serials }, { cause });
}

export class DevicesRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Registers a customer's equipment list in one transaction. Any serial already taken (or
   * repeated in the list) raises ConflictError naming the serials, and nothing is written.
   */
  async createMany(customerId: number, devices: readonly NewDevice[], now: Date = new Date()): Promise<Device[]> {
    if (devices.length === 0) return [];
    const serials = devices.map((device) => normalizeSerial(device.serial));
    const repeated = duplicatesOf(serials);
    if (repeated.length > 0) throw serialConflict(repeated);

    return this.db.transaction(async (trx) => {
      const repository = new DevicesRepository(trx);
      await repository.assertOwnership(customerId, devices);
      const taken = await repository.serialsTaken(serials);
      if (taken.length > 0) throw serialConflict(taken);
      const rows = devices.map((device) => ({
        customer_id: customerId,
        site_id: device.siteId ?? null,
        project_id: device.projectId ?? null,
        model: device.model,
        brand: device.brand ?? null,
        serial: normalizeSerial(device.serial),
        installed_at: null,
        warranty_starts_at: null,
        warranty_ends_at: null,
        status: 'active',
        created_at: now,
        updated_at: now,
      }));
      try {
        for (const batch of chunks(rows)) await trx('devices').insert(batch);
      } catch (error) {
        // Another writer registered one of these serials since the check above (its row may be
        // invisible to this transaction's snapshot, hence the fallback to the whole list).
        if (isUniqueViolation(error)) {
          const taken = await repository.serialsTaken(serials);
          throw serialConflict(taken.length > 0 ? taken : serials, error);
        }
        throw error;
      }
      return repository.requireAll(serials);
    });
  }

  async getBySerial(serial: string): Promise<Device | null> {
    const row = (await this.db('devices').where({ serial: normalizeSerial(serial) }).first()) as DeviceRow | undefined;
    return row ? toDevice(row) : null;
  }

  async listByProject(projectId: number): Promise<Device[]> {
    return this.list({ project_id: projectId });
  }

  async listByCustomer(customerId: number): Promise<Device[]> {
    return this.list({ customer_id: customerId });
  }

  /** Idempotent: devices already installed at `at` are left untouched. */
  async setInstalled(serials: readonly string[], at: Date, now: Date = new Date()): Promise<Device[]> {
    return this.setDates(serials, { installedAt: at }, now);
  }

  /** Idempotent: devices already carrying this warranty period are left untouched. */
  async setWarranty(serials: readonly string[], startsAt: Date, endsAt: Date, now: Date = new Date()): Promise<Device[]> {
    if (endsAt.getTime() < startsAt.getTime()) throw new RangeError('Warranty cannot end before it starts');
    return this.setDates(serials, { warrantyStartsAt: startsAt, warrantyEndsAt: endsAt }, now);
  }

  /** The given serials that already belong to a device, in the order given (for 409 responses). */
  async serialsTaken(serials: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(serials.map(normalizeSerial))];
    const taken = new Set((await this.rowsBySerials(wanted)).map((row) => row.serial));
    return wanted.filter((serial) => taken.has(serial));
  }

  private async list(where: Partial<Pick<DeviceRow, 'customer_id' | 'project_id'>>): Promise<Device[]> {
    const rows = (await this.db('devices').where(where).orderBy('id')) as DeviceRow[];
    return rows.map(toDevice);
  }

  private async rowsBySerials(serials: readonly string[]): Promise<DeviceRow[]> {
    const rows: DeviceRow[] = [];
    for (const batch of chunks(serials)) rows.push(...((await this.db('devices').whereIn('serial', batch)) as DeviceRow[]));
    return rows;
  }

  /** Devices for these serials in the order given; NotFoundError names any serial with no device. */
  private async requireAll(serials: readonly string[]): Promise<Device[]> {
    const bySerial = new Map((await this.rowsBySerials(serials)).map((row) => [row.serial, toDevice(row)]));
    const missing = serials.filter((serial) => !bySerial.has(serial));
    if (missing.length > 0) throw new NotFoundError(words('installedBase.serialsUnknown', { serials: missing.join(', ') }), { serials: missing });
    return serials.map((serial) => bySerial.get(serial) as Device);
  }

  /** The customer must exist and every site named must be one of its own. */
  private async assertOwnership(customerId: number, devices: readonly NewDevice[]): Promise<void> {
    const customer = (await this.db('customers').where({ id: customerId }).first('id')) as { id: number } | undefined;
    if (!customer) throw new NotFoundError(words('installedBase.customerNotFound', { customerId }), { customerId });
    const siteIds = [...new Set(devices.flatMap((device) => (device.siteId == null ? [] : [device.siteId])))];
    if (siteIds.length === 0) return;
    const owned = (await this.db('sites').where({ customer_id: customerId }).whereIn('id', siteIds).pluck('id')) as number[];
    const ownedIds = new Set(owned.map(Number));
    const foreign = siteIds.filter((siteId) => !ownedIds.has(siteId));
    if (foreign.length > 0) {
      throw new NotFoundError(words('installedBase.sitesNotFound', { customerId, siteIds: foreign.join(', ') }), { customerId, siteIds: foreign });
    }
  }

  /** Writes only the devices whose dates differ, so repeating a call changes nothing. */
  private async setDates(serials: readonly string[], dates: DeviceDates, now: Date): Promise<Device[]> {
    const wanted = [...new Set(serials.map(normalizeSerial))];
    if (wanted.length === 0) return [];
    const fields = Object.entries(dates) as Array<[keyof DeviceDates, Date]>;
    const differs = (device: Device): boolean => fields.some(([field, date]) => device[field]?.getTime() !== date.getTime());
    const changes = Object.fromEntries(fields.map(([field, date]) => [DATE_COLUMNS[field], date]));
    return this.db.transaction(async (trx) => {
      const repository = new DevicesRepository(trx);
      const current = await repository.requireAll(wanted);
      const changedIds = current.filter(differs).map((device) => device.id);
      if (changedIds.length === 0) return current;
      for (const batch of chunks(changedIds)) await trx('devices').whereIn('id', batch).update({ ...changes, updated_at: now });
      return repository.requireAll(wanted);
    });
  }
}
