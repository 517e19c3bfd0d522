/**
 * The printable inspection report of a completed visit (P4, 003 §6): HTML that prints well (the
 * print rules of console.css leave out the console's frame), made from the outcome as the workflow
 * recorded it, so it says what the customer signed.
 *
 *   GET /visits/:id/report  once the visit is done; 404 before, and to whoever may not read the visit
 */
import { principalOf } from '../../../platform/http/access';
import { CareRepository } from '../repository';
import { DevicesRepository } from '../../../installedBase/devices';
import { visitFor } from './reach';
import { careWord, customersOf } from './view';
import type { ConsoleArea } from '../../../platform/console/context';
import { namesOf, positiveInt } from '../../../platform/console/kit';
import { translate, type MessageKey } from '../../../platform/i18n/catalogue';
import { CONSOLE_TIME_ZONE } from '../../../platform/console/views';
import { outcomeOf } from './visits';

export const inspectionReportArea: ConsoleArea = {
  paths: ['/visits/:id/report'],
  register(router, ctx) {
    const care = new CareRepository(ctx.knex);

    router.get('/visits/:id/report', ctx.requireUser, async (req, res) => {
      const locale = ctx.localeOf(req, res);
      const t = (key: MessageKey, values?: Record<string, string>) => translate(locale, key, values);
      const id = positiveInt(req.params.id);
      const visit = id === null ? null : await visitFor(ctx.knex, principalOf(ctx.signedInUser(res)!), id);
      if (!visit || visit.status !== 'done') return ctx.message(req, res, 404, t('report.missing.title'), t('report.missing.text'));
      const plan = (await care.getPlan(visit.planId))!;
      const [customers, engineers, devices] = await Promise.all([
        customersOf(ctx.knex, [visit.customerId]),
        namesOf(ctx.knex, 'users', [visit.assigneeUserId]),
        new DevicesRepository(ctx.knex).listByCustomer(plan.customerId).then((all) => all.filter((d) => plan.deviceIds.includes(d.id))),
      ]);
      const outcome = outcomeOf(visit);
      const checklist = outcome.checklist ?? {};
      const yesNo = (value: boolean | undefined) => t(value ? 'care.yes' : 'care.no');
      const customer = customers.get(visit.customerId);
      ctx.send(req, res, 200, 'inspection-report', {
        title: `${t('report.title')} · ${customer?.name ?? ''}`,
        timeZone: customer?.timeZone ?? CONSOLE_TIME_ZONE,
        visitHref: `/visits/${visit.id}`,
        number: `CP${plan.id}-V${visit.id}`,
        report: {
          kind: careWord(locale, 'care.kind', visit.kind),
          customer: customer?.name ?? `#${visit.customerId}`,
          address: customer?.address ?? null,
          engineer: visit.assigneeUserId === null ? '—' : (engineers.get(visit.assigneeUserId) ?? '—'),
          dueAt: visit.dueAt,
          doneAt: visit.doneAt,
          reportDueAt: visit.reportDueAt,
        },
        devices: devices.map((d) => ({ serial: d.serial, model: d.model, brand: d.brand })),
        checklist: [
          { item: t('care.field.checklist.earthing'), result: yesNo(checklist.earthing) },
          { item: t('care.field.checklist.dustRemoval'), result: yesNo(checklist.dustRemoval) },
          { item: t('care.field.checklist.operatingState'), result: careWord(locale, 'care.option.checklist.operatingState', checklist.operatingState ?? '—') },
          { item: t('care.field.checklist.customerFeedback'), result: checklist.customerFeedback || '—' },
          { item: t('care.field.checklist.fixesDone'), result: checklist.fixesDone || '—' },
        ],
        carried: outcome.carriedItems ?? [],
        findings: outcome.findings ?? [],
        openItems: outcome.openItems ?? [],
        signature: { name: outcome.signature?.name ?? '—', signedAt: outcome.signature?.signedAt ?? visit.doneAt },
      });
    });
  },
};
