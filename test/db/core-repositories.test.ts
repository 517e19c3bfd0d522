import { ConflictError, isUniqueViolation, NotFoundError } from '../../platform/db/errors';
import { ContractsRepository } from '../../installedBase/contracts';
import { CustomersRepository, type NewCustomer } from '../../installedBase/customers';
import { DevicesRepository } from '../../installedBase/devices';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const CREATED = new Date('2026-01-05T01:02:03.456Z');
const LATER = new Date('2026-02-10T10:20:30.789Z');

/** Children first, so foreign keys never block the cleanup. */
const TABLES = ['contracts', 'devices', 'sites', 'customer_contacts', 'customers', 'policy_layers'];

const ACME: NewCustomer = {
  name: '华东精密机械有限公司',
  address: '上海市浦东新区张江路 1 号',
  contacts: [
    { name: '王工', email: 'wang@acme.example', phone: '+86 21 5555 0101', role: 'interface', isPrimary: true },
    { name: 'Alice Lee', email: 'alice@acme.example', locale: 'en', role: 'lead' },
  ],
};

/** A nested policy like the ones contracts freeze: objects, arrays, numbers, booleans, null, non-ASCII text. */
const NESTED_POLICY = {
  name: '标准服务 / standard',
  sla: { levels: [{ level: 1, respond: 'PT1H', onSite: 'PT4H', resolve: 'PT24H', warnAt: [0.5, 0.75] }], clock: 'business' },
  warranty: { startsAt: 'finalAcceptance', length: 'P12M' },
  trialRun: { length: 'P3M', extendBy: 'P1M', maxExtensions: 2 },
  returnCalls: { enabled: true, note: null },
};

describe.each(testDatabaseKinds())('core repositories on %s', (kind) => {
  let db: TestDatabase;
  let customers: CustomersRepository;
  let devices: DevicesRepository;
  let contracts: ContractsRepository;
  let policyLayers: PolicyLayersRepository;

  /** How an instant is stored: UTC text on MySQL, epoch milliseconds on SQLite. */
  async function storedInstant(table: string, column: string, id: number): Promise<unknown> {
    const query = db.knex(table).where({ id });
    const row = (await (kind === 'mysql'
      ? query.first(db.knex.raw("DATE_FORMAT(??, '%Y-%m-%d %H:%i:%s.%f') as value", [column]))
      : query.first(`${column} as value`))) as { value: unknown };
    return row.value;
  }

  async function count(table: string): Promise<number> {
    const row = (await db.knex(table).count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  }

  async function customerId(input: NewCustomer = ACME): Promise<number> {
    return (await customers.create(input, CREATED)).id;
  }

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    customers = new CustomersRepository(db.knex);
    devices = new DevicesRepository(db.knex);
    contracts = new ContractsRepository(db.knex);
    policyLayers = new PolicyLayersRepository(db.knex);
  });

  afterAll(async () => {
    await db.destroy();
  });

  beforeEach(async () => {
    for (const table of TABLES) await db.knex(table).del();
  });

  it('work inside a caller’s transaction, which can roll them all back', async () => {
    const rollback = new Error('rolled back on purpose');

    const outcome = db.knex.transaction(async (trx) => {
      const customer = await new CustomersRepository(trx).create(ACME, CREATED);
      await new DevicesRepository(trx).createMany(customer.id, [{ model: 'A', serial: 'SN-TX' }], CREATED);
      await new ContractsRepository(trx).create({ customerId: customer.id, contractNo: 'HT-TX', kind: 'project', policyOverrides: {}, resolvedPolicy: {} });
      expect(await new CustomersRepository(trx).get(customer.id)).not.toBeNull();
      throw rollback;
    });

    await expect(outcome).rejects.toBe(rollback);
    for (const table of ['customers', 'customer_contacts', 'devices', 'contracts']) expect(await count(table)).toBe(0);
  });

  describe('customers', () => {
    it('creates a customer with its contacts and defaults, and reads it back', async () => {
      const created = await customers.create(ACME, CREATED);

      expect(created).toEqual({
        id: expect.any(Number),
        name: ACME.name,
        address: ACME.address,
        class: 'regular',
        timeZone: 'Asia/Shanghai',
        locale: 'zh-CN',
        serviceStopped: false,
        flagReason: null,
        acceptanceDate: null,
        engineerUserId: null,
        contacts: [
          { id: expect.any(Number), name: '王工', email: 'wang@acme.example', phone: '+86 21 5555 0101', locale: 'zh-CN', role: 'interface', isPrimary: true },
          { id: expect.any(Number), name: 'Alice Lee', email: 'alice@acme.example', phone: null, locale: 'en', role: 'lead', isPrimary: false },
        ],
        createdAt: CREATED,
        updatedAt: CREATED,
      });
      expect(await customers.get(created.id)).toEqual(created);
    });

    it('takes class, time zone and locale from the input; contacts default to the customer locale', async () => {
      const created = await customers.create(
        {
          name: 'Nordic Tools AB',
          class: 'key',
          timeZone: 'Europe/Stockholm',
          locale: 'en',
          contacts: [{ name: 'Erik', email: 'erik@nordic.example', role: 'interface' }],
        },
        CREATED,
      );

      expect(created).toMatchObject({ class: 'key', timeZone: 'Europe/Stockholm', locale: 'en', address: null });
      expect(created.contacts).toEqual([expect.objectContaining({ locale: 'en', isPrimary: false })]);
    });

    it('returns null for an unknown id', async () => {
      expect(await customers.get(999_999)).toBeNull();
    });

    it.each([
      ['a missing required field', { name: null as unknown as string, email: 'x@example.com', role: 'lead' }, /\bname\b/],
      ['an unsupported locale', { name: 'X', email: 'x@example.com', role: 'lead', locale: 'fr' as 'en' }, /customer_contacts_locale_check/],
    ])('leaves nothing behind when a contact row is bad (%s)', async (_case, badContact, complaint) => {
      const contacts = [...(ACME.contacts ?? []), badContact];

      // Matched by message, not toThrow(): jest loads the native driver once per worker, so its
      // errors may belong to another realm's Error class (and mysql2 misnames MariaDB's codes).
      await expect(customers.create({ ...ACME, contacts }, CREATED)).rejects.toMatchObject({ message: expect.stringMatching(complaint) });

      expect(await customers.list()).toEqual([]);
      expect(await count('customer_contacts')).toBe(0);
    });

    it('finds by exact name, the earliest customer first', async () => {
      const first = await customerId();
      await customerId();

      expect((await customers.findByName(ACME.name))?.id).toBe(first);
      expect(await customers.findByName('华东精密机械')).toBeNull();
    });

    it('matches names exactly, case included, on every database', async () => {
      await customerId({ name: 'Nordic Tools AB' });

      expect(await customers.findByName('nordic tools ab')).toBeNull();
    });

    it('flags a customer as service-stopped with a reason', async () => {
      const id = await customerId();

      const flagged = await customers.flagServiceStopped(id, 'DOA unit SN-1 not returned', LATER);

      expect(flagged).toMatchObject({ serviceStopped: true, flagReason: 'DOA unit SN-1 not returned', updatedAt: LATER, createdAt: CREATED });
      expect((await customers.get(id))?.serviceStopped).toBe(true);
    });

    it('records the acceptance date to the millisecond, stored in UTC', async () => {
      const id = await customerId();
      const accepted = new Date('2026-03-01T08:30:15.123Z');

      const updated = await customers.recordAcceptance(id, accepted, LATER);

      expect(updated.acceptanceDate).toEqual(accepted);
      expect(updated.updatedAt).toEqual(LATER);
      expect((await customers.get(id))?.acceptanceDate?.toISOString()).toBe('2026-03-01T08:30:15.123Z');
      expect(await storedInstant('customers', 'acceptance_date', id)).toBe(kind === 'mysql' ? '2026-03-01 08:30:15.123000' : accepted.getTime());
    });

    it('raises NotFoundError when flagging or accepting an unknown customer', async () => {
      await expect(customers.flagServiceStopped(999_999, 'x')).rejects.toBeInstanceOf(NotFoundError);
      await expect(customers.recordAcceptance(999_999, LATER)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists customers in creation order, optionally by class, each with its contacts', async () => {
      const regular = await customerId();
      const key = await customerId({ name: 'Key Co', class: 'key', contacts: [{ name: 'K', email: 'k@key.example', role: 'interface' }] });
      const longTerm = await customerId({ name: 'Long Co', class: 'long_term' });

      expect((await customers.list()).map((customer) => [customer.id, customer.contacts.length])).toEqual([
        [regular, 2],
        [key, 1],
        [longTerm, 0],
      ]);
      expect((await customers.list({ class: 'key' })).map((customer) => customer.id)).toEqual([key]);
      expect((await customers.list({ class: 'long_term' }))[0]?.contacts).toEqual([]);
    });

    it('adds and lists a customer’s sites', async () => {
      const id = await customerId();
      const other = await customerId({ name: 'Other' });

      const plant = await customers.addSite(id, { name: '一号厂房', address: '张江路 1 号' });
      const lab = await customers.addSite(id, { name: 'Lab' });
      await customers.addSite(other, { name: 'Elsewhere' });

      expect(plant).toEqual({ id: expect.any(Number), customerId: id, name: '一号厂房', address: '张江路 1 号' });
      expect(await customers.listSites(id)).toEqual([plant, { id: lab.id, customerId: id, name: 'Lab', address: null }]);
    });

    it('raises NotFoundError when adding a site to an unknown customer', async () => {
      await expect(customers.addSite(999_999, { name: 'Nowhere' })).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('devices', () => {
    it('registers an equipment list in order, with defaults and trimmed serials', async () => {
      const owner = await customerId();
      const site = await customers.addSite(owner, { name: 'Plant' });

      const created = await devices.createMany(
        owner,
        [
          { model: 'AC-200', brand: 'Aftercare', serial: ' SN-0001 ', siteId: site.id, projectId: 7 },
          { model: 'AC-300', serial: 'SN-0002' },
        ],
        CREATED,
      );

      expect(created).toEqual([
        {
          id: expect.any(Number),
          customerId: owner,
          siteId: site.id,
          projectId: 7,
          model: 'AC-200',
          brand: 'Aftercare',
          serial: 'SN-0001',
          installedAt: null,
          warrantyStartsAt: null,
          warrantyEndsAt: null,
          status: 'active',
          createdAt: CREATED,
          updatedAt: CREATED,
        },
        expect.objectContaining({ serial: 'SN-0002', siteId: null, projectId: null, brand: null }),
      ]);
      expect(await devices.getBySerial('SN-0001')).toEqual(created[0]);
      expect(await devices.getBySerial('SN-9999')).toBeNull();
      expect(await devices.createMany(owner, [])).toEqual([]);
    });

    it('lists devices by project and by customer', async () => {
      const owner = await customerId();
      const other = await customerId({ name: 'Other' });
      await devices.createMany(owner, [
        { model: 'A', serial: 'P7-1', projectId: 7 },
        { model: 'A', serial: 'P8-1', projectId: 8 },
        { model: 'A', serial: 'P7-2', projectId: 7 },
      ]);
      await devices.createMany(other, [{ model: 'B', serial: 'O-1', projectId: 7 }]);

      expect((await devices.listByProject(7)).map((device) => device.serial)).toEqual(['P7-1', 'P7-2', 'O-1']);
      expect((await devices.listByCustomer(owner)).map((device) => device.serial)).toEqual(['P7-1', 'P8-1', 'P7-2']);
      expect(await devices.listByProject(999)).toEqual([]);
    });

    it('rejects a serial already registered with ConflictError and writes none of the list', async () => {
      const owner = await customerId();
      await devices.createMany(owner, [{ model: 'A', serial: 'SN-1' }]);

      const attempt = devices.createMany(owner, [{ model: 'A', serial: 'SN-2' }, { model: 'A', serial: 'SN-1' }]);

      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(attempt).rejects.toMatchObject({ details: { serials: ['SN-1'] } });
      expect(await devices.getBySerial('SN-2')).toBeNull();
      expect(await count('devices')).toBe(1);
    });

    it('rejects a list that repeats a serial', async () => {
      const owner = await customerId();

      await expect(devices.createMany(owner, [{ model: 'A', serial: 'SN-1' }, { model: 'B', serial: 'SN-1 ' }])).rejects.toMatchObject({
        name: 'ConflictError',
        details: { serials: ['SN-1'] },
      });
      expect(await count('devices')).toBe(0);
    });

    it('treats serials that differ only in case as different devices, on every database', async () => {
      const owner = await customerId();

      await devices.createMany(owner, [{ model: 'A', serial: 'sn-abc' }, { model: 'A', serial: 'SN-ABC' }]);

      expect(await devices.serialsTaken(['SN-ABC', 'Sn-Abc'])).toEqual(['SN-ABC']);
    });

    it('reports which serials are taken, in the order asked', async () => {
      const owner = await customerId();
      await devices.createMany(owner, [{ model: 'A', serial: 'SN-1' }, { model: 'A', serial: 'SN-3' }]);

      expect(await devices.serialsTaken(['SN-3', 'SN-2', 'SN-1', 'SN-3'])).toEqual(['SN-3', 'SN-1']);
      expect(await devices.serialsTaken([])).toEqual([]);
    });

    it('raises NotFoundError for an unknown customer or a site of another customer', async () => {
      const owner = await customerId();
      const other = await customerId({ name: 'Other' });
      const othersSite = await customers.addSite(other, { name: 'Not yours' });

      await expect(devices.createMany(999_999, [{ model: 'A', serial: 'SN-1' }])).rejects.toBeInstanceOf(NotFoundError);
      await expect(devices.createMany(owner, [{ model: 'A', serial: 'SN-1', siteId: othersSite.id }])).rejects.toMatchObject({
        name: 'NotFoundError',
        details: { siteIds: [othersSite.id] },
      });
      expect(await count('devices')).toBe(0);
    });

    it('records installation idempotently', async () => {
      const owner = await customerId();
      await devices.createMany(owner, [{ model: 'A', serial: 'SN-1' }, { model: 'A', serial: 'SN-2' }], CREATED);
      const installed = new Date('2026-01-20T06:00:00.001Z');

      const first = await devices.setInstalled(['SN-1', 'SN-2'], installed, LATER);
      const again = await devices.setInstalled(['SN-1', 'SN-2'], installed, new Date('2026-12-31T00:00:00.000Z'));

      expect(first.map((device) => [device.installedAt, device.updatedAt])).toEqual([
        [installed, LATER],
        [installed, LATER],
      ]);
      expect(again).toEqual(first);
    });

    it('raises NotFoundError for an unknown serial and changes nothing', async () => {
      const owner = await customerId();
      await devices.createMany(owner, [{ model: 'A', serial: 'SN-1' }], CREATED);

      await expect(devices.setInstalled(['SN-1', 'SN-404'], LATER)).rejects.toMatchObject({ name: 'NotFoundError', details: { serials: ['SN-404'] } });
      expect((await devices.getBySerial('SN-1'))?.installedAt).toBeNull();
    });

    it('sets the warranty period; the same period again is a no-op, a new one is written', async () => {
      const owner = await customerId();
      await devices.createMany(owner, [{ model: 'A', serial: 'SN-1' }], CREATED);
      const startsAt = new Date('2026-06-30T16:00:00.000Z');
      const endsAt = new Date('2027-06-30T15:59:59.999Z');

      const [set] = await devices.setWarranty(['SN-1'], startsAt, endsAt, LATER);
      const [repeated] = await devices.setWarranty(['SN-1'], new Date(startsAt), new Date(endsAt), new Date('2026-09-01T00:00:00Z'));
      const extendedEnd = new Date('2028-06-30T15:59:59.999Z');
      const changedAt = new Date('2026-10-01T00:00:00.000Z');
      const [extended] = await devices.setWarranty(['SN-1'], startsAt, extendedEnd, changedAt);

      expect(set).toMatchObject({ warrantyStartsAt: startsAt, warrantyEndsAt: endsAt, updatedAt: LATER });
      expect(repeated).toEqual(set);
      expect(extended).toMatchObject({ warrantyStartsAt: startsAt, warrantyEndsAt: extendedEnd, updatedAt: changedAt });
      expect(await storedInstant('devices', 'warranty_ends_at', set?.id ?? 0)).toBe(
        kind === 'mysql' ? '2028-06-30 15:59:59.999000' : extendedEnd.getTime(),
      );
    });

    it('refuses a warranty that ends before it starts', async () => {
      await expect(devices.setWarranty(['SN-1'], LATER, CREATED)).rejects.toBeInstanceOf(RangeError);
    });

    it('recognises the driver’s own unique-key violation', async () => {
      const owner = await customerId();
      const row = { customer_id: owner, model: 'A', serial: 'SN-RAW', status: 'active', created_at: CREATED, updated_at: CREATED };
      await db.knex('devices').insert(row);

      const error = await db.knex('devices').insert(row).then(
        () => null,
        (failure: unknown) => failure,
      );

      expect(isUniqueViolation(error)).toBe(true);
    });
  });

  describe('contracts', () => {
    it('creates a contract and round-trips its nested policy and dates', async () => {
      const owner = await customerId();
      const signedAt = new Date('2025-12-31T23:59:59.999Z');

      const created = await contracts.create(
        { customerId: owner, contractNo: ' HT-2026-001 ', kind: 'project', policyOverrides: { trialRun: { length: 'P2M' } }, resolvedPolicy: NESTED_POLICY, signedAt },
        CREATED,
      );

      expect(created).toEqual({
        id: expect.any(Number),
        customerId: owner,
        contractNo: 'HT-2026-001',
        kind: 'project',
        policyOverrides: { trialRun: { length: 'P2M' } },
        resolvedPolicy: NESTED_POLICY,
        signedAt,
        createdAt: CREATED,
      });
      expect(await contracts.get(created.id)).toEqual(created);
      expect(await contracts.getByContractNo('HT-2026-001')).toEqual(created);
      expect(await storedInstant('contracts', 'signed_at', created.id)).toBe(kind === 'mysql' ? '2025-12-31 23:59:59.999000' : signedAt.getTime());
    });

    it('leaves signedAt empty when not given', async () => {
      const owner = await customerId();

      const created = await contracts.create({ customerId: owner, contractNo: 'WB-1', kind: 'maintenance', policyOverrides: {}, resolvedPolicy: {} });

      expect(created).toMatchObject({ signedAt: null, policyOverrides: {}, resolvedPolicy: {} });
    });

    it('rejects a duplicate contract number with ConflictError and keeps the first', async () => {
      const owner = await customerId();
      const first = await contracts.create({ customerId: owner, contractNo: 'HT-1', kind: 'sale', policyOverrides: {}, resolvedPolicy: { a: 1 } });

      const duplicate = contracts.create({ customerId: owner, contractNo: 'HT-1', kind: 'project', policyOverrides: {}, resolvedPolicy: { a: 2 } });

      await expect(duplicate).rejects.toBeInstanceOf(ConflictError);
      await expect(duplicate).rejects.toMatchObject({ details: { contractNo: 'HT-1' } });
      expect(await count('contracts')).toBe(1);
      expect(await contracts.getByContractNo('HT-1')).toEqual(first);
    });

    it('raises NotFoundError for an unknown customer', async () => {
      await expect(contracts.create({ customerId: 999_999, contractNo: 'HT-X', kind: 'sale', policyOverrides: {}, resolvedPolicy: {} })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('returns null for an unknown id or contract number', async () => {
      expect(await contracts.get(999_999)).toBeNull();
      expect(await contracts.getByContractNo('nope')).toBeNull();
    });
  });

  describe('policy layers', () => {
    it('puts, replaces and reads layers by scope and key', async () => {
      const put = await policyLayers.put('model', 'AC-200', { warranty: { length: 'P24M' } }, CREATED);
      await policyLayers.put('customer_class', 'key', { sla: { levels: [{ level: 1, onSite: 'PT2H' }] } }, CREATED);

      const replaced = await policyLayers.put('model', 'AC-200', NESTED_POLICY, LATER);

      expect(put).toEqual({ scope: 'model', key: 'AC-200', override: { warranty: { length: 'P24M' } }, updatedAt: CREATED });
      expect(replaced).toEqual({ scope: 'model', key: 'AC-200', override: NESTED_POLICY, updatedAt: LATER });
      expect(await policyLayers.get('model', 'AC-200')).toEqual(replaced);
      expect(await count('policy_layers')).toBe(2);
    });

    it('keeps the same key apart in different scopes and lists by scope then key', async () => {
      await policyLayers.put('template', 'standard', { a: 1 }, CREATED);
      await policyLayers.put('model', 'standard', { b: 2 }, CREATED);
      await policyLayers.put('model', 'AC-100', { c: 3 }, CREATED);

      expect((await policyLayers.list()).map((layer) => [layer.scope, layer.key, layer.override])).toEqual([
        ['model', 'AC-100', { c: 3 }],
        ['model', 'standard', { b: 2 }],
        ['template', 'standard', { a: 1 }],
      ]);
      expect(await policyLayers.get('customer_class', 'standard')).toBeNull();
    });
  });
});
