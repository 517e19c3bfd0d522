import type { Knex } from 'knex';
import { words } from '../../../domain/words';
import { ALL_ROWS, type Scope } from '../../../domain/access';
import type { ServicePolicy } from '../../../domain/policy';
import { NotFoundError } from '../../../platform/db/errors';
import { insertedId, toRequiredDate, toDate } from '../../../platform/db/mapping';
import { whereInScope } from '../../../platform/db/scope';
import { closeDeadline, num, openDeadline, StepRefused, type Row } from '../records';
import { dealerTaskTimes } from './rules';

/** Dealer tasks: a 三包 request the dealer arranges and the sales clerk checks. */

export interface DealerTask {
  id: number;
  dealerId: number;
  deviceSerial: string;
  customerName: string;
  request: string;
  status: 'open' | 'arranged';
  arrangeDueAt: Date;
  clerkCheckAt: Date;
  arrangedAt: Date | null;
  visitAt: Date | null;
  arrangement: string | null;
  checkedAt: Date | null;
  customerEmail: string | null;
}

const toTask = (row: Row): DealerTask => ({
  id: num(row.id),
  dealerId: num(row.dealer_id),
  deviceSerial: String(row.device_serial),
  customerName: String(row.customer_name),
  request: String(row.request),
  status: row.status as DealerTask['status'],
  arrangeDueAt: toRequiredDate(row.arrange_due_at),
  clerkCheckAt: toRequiredDate(row.clerk_check_at),
  arrangedAt: toDate(row.arranged_at),
  visitAt: toDate(row.visit_at),
  arrangement: (row.arrangement as string | null) ?? null,
  checkedAt: toDate(row.checked_at),
  customerEmail: (row.customer_email as string | null) ?? null,
});

export class TasksRepository {
  constructor(private readonly db: Knex) {}

  /** A 三包 request for a dealer: its arrangement and the clerk's check fall due (rows in deadlines). */
  async createTask(input: { dealerId: number; deviceSerial: string; customerName: string; customerPhone?: string; customerEmail?: string; customerLocale?: 'zh-CN' | 'en'; request: string }, policy: ServicePolicy['dealer'], createdBy: number, now: Date): Promise<DealerTask> {
    const times = dealerTaskTimes(now, policy.taskArrangeWithin, policy.clerkCheckAt);
    const id = await this.db.transaction(async (trx) => {
      const taskId = insertedId(
        await trx('dealer_tasks').insert({
          dealer_id: input.dealerId,
          device_serial: input.deviceSerial,
          customer_name: input.customerName,
          customer_phone: input.customerPhone ?? null,
          customer_email: input.customerEmail ?? null,
          customer_locale: input.customerLocale ?? null,
          request: input.request,
          status: 'open',
          arrange_due_at: times.arrangeDueAt,
          clerk_check_at: times.clerkCheckAt,
          created_by: createdBy,
          created_at: now,
        }),
      );
      await openDeadline(trx, 'dealer_task', taskId, 'dealer_task_arrange', words('deadline.dealer.task_arrange', { serial: input.deviceSerial }), times.arrangeDueAt);
      await openDeadline(trx, 'dealer_task', taskId, 'dealer_task_clerk_check', words('deadline.dealer.task_clerk_check', { serial: input.deviceSerial }), times.clerkCheckAt);
      return taskId;
    });
    return (await this.task(id, ALL_ROWS))!;
  }


  async task(id: number, scope: Scope): Promise<DealerTask | null> {
    const row = (await whereInScope(this.db('dealer_tasks').where({ id }), scope, { dealer: 'dealer_id' }).first()) as Row | undefined;
    return row ? toTask(row) : null;
  }

  /** Tasks not yet checked by the sales clerk, in the caller's scope, the soonest arrangement deadline first. */
  async listOpenTasks(scope: Scope): Promise<DealerTask[]> {
    const rows = (await whereInScope(this.db('dealer_tasks').whereNull('checked_at').orderBy([{ column: 'arrange_due_at' }, { column: 'id' }]), scope, { dealer: 'dealer_id' }).limit(500)) as Row[];
    return rows.map(toTask);
  }


  /** The dealer arranges the service (a visit time and what it will do); the arrangement deadline is met. */
  async arrangeTask(id: number, visitAt: Date, arrangement: string, scope: Scope, now: Date): Promise<DealerTask> {
    await this.db.transaction(async (trx) => {
      const row = (await whereInScope(trx('dealer_tasks').where({ id }), scope, { dealer: 'dealer_id' }).forUpdate().first('status')) as Row | undefined;
      if (!row) throw new NotFoundError(words('refusal.dealer.noTask', { taskId: id }));
      if (row.status !== 'open') {
        // The same arrangement again (a retried recording) changes nothing.
        const same = (await trx('dealer_tasks').where({ id, arrangement }).first('id')) as Row | undefined;
        if (same) return;
        throw new StepRefused(words('refusal.dealer.taskArranged'));
      }
      await trx('dealer_tasks').where({ id }).update({ status: 'arranged', arranged_at: now, visit_at: visitAt, arrangement });
      await closeDeadline(trx, 'dealer_task', id, 'dealer_task_arrange');
    });
    return (await this.task(id, ALL_ROWS))!;
  }

  /** The sales clerk's check: done once the dealer arranged the task (its deadline met). Idempotent. */
  async checkTask(id: number, note = '', now: Date = new Date()): Promise<DealerTask> {
    const task = await this.task(id, ALL_ROWS);
    if (!task) throw new NotFoundError(words('refusal.dealer.noTask', { taskId: id }));
    if (task.status !== 'arranged') throw new StepRefused(words('refusal.dealer.taskNotArranged'));
    await this.db.transaction(async (trx) => {
      await trx('dealer_tasks').where({ id }).whereNull('checked_at').update({ checked_at: now, check_note: note });
      await closeDeadline(trx, 'dealer_task', id, 'dealer_task_clerk_check');
    });
    return (await this.task(id, ALL_ROWS))!;
  }
}
