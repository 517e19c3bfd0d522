/**
 * Dealer warranty (三包, P5) in the console: each role's own view, every step a form that runs the
 * sub-process's use case, as the API's route does (`sales/`, `tasks/`, `claims/`, `settlement/`,
 * `partsPlans/` useCases.ts; the pages' shared pieces in view.ts). A record of another dealer is
 * shown like one that does not exist (404).
 *
 *   GET  /dealer                      a dealer's own page: parts plans, sales and cards due, tasks,
 *                                     claims (with the claim form) and statements; other roles go
 *                                     to their view
 *   GET  /dealer/statements           finance's period view: statements by status with totals (?period=)
 *   GET  /dealer/statements/:id       a statement: lines, total, confirm/dispute state, the dealer's ledger,
 *                                     and the review, confirm and dispute forms
 *   GET  /dealer/statements/:id/notice  the write-off notice (三包费用核销通知), printable (?lang=)
 *   GET  /dealer/parts                the appraiser's (and clerk's) queue of old parts: to appraise, the
 *                                     claims in review, parts awaited
 *   GET  /dealer/claims/:id           a claim with its lines and the parts-received, appraisal, audit
 *                                     and decision forms
 *   GET  /dealer/tasks                the sales clerk's dealer tasks, soonest deadline first
 *   GET  /dealer/tasks/:id            a task with the arrange (dealer) and check (clerk) forms
 *   GET  /dealer/sales/:id            a sale with the warranty-card form
 *   POST /dealer/forms/:form[/:id]    takes the step; 303 back to its page, or the page again with
 *                                     the problems beside the form's fields
 */
import type { Request, Response } from 'express';
import { principalOf } from '../../../platform/http/access';
import { reachOf } from '../../../domain/access';
import { completeWarrantyCard, listDealerSales, readSale } from '../sales/useCases';
import { findTask, listOpenDealerTasks, runTaskStep } from '../tasks/useCases';
import { findClaim, listClaimSummaries, listDealerClaims, runClaimStep, submitDealerClaim } from '../claims/useCases';
import { dealerLedger, findSettlement, listSettlementHeads, runSettlementPeriod, runSettlementStep, writeOffNoticeHtml } from '../settlement/useCases';
import { partsPlansOf, submitPartsPlan } from '../partsPlans/useCases';
import { linkReach } from '../../../platform/http/access';
import { claimSummary, type Claim } from '../claims/repository';
import type { Settlement } from '../settlement/repository';
import type { User } from '../../../people/repository';
import type { ConsoleArea } from '../../../platform/console/context';
import { amendedLine, FORMS, formFieldOf, type DealerForm, type FormId } from './forms';
import { formFromError, formValues } from '../../../platform/console/forms';
import { isLocale, positiveInt } from '../../../platform/console/kit';
import type { Locale } from '../../../domain/locale';
import type { MessageKey } from '../../../platform/i18n/catalogue';
import { dealerViews, link, SETTLEMENT_STATUSES, text, when, type Sent } from './view';

const DEALER_RECORDS = ['claim', 'settlement', 'dealer_task', 'parts_plan', 'dealer_sale'] as const;

export const dealerArea: ConsoleArea = {
  paths: ['/dealer', '/dealer/*rest'],
  // Only for those whom dealer warranty concerns: a customer or an engineer reaches none of its records.
  nav: [{ href: '/dealer', label: 'nav.dealer', shownTo: (user) => DEALER_RECORDS.some((kind) => reachOf(user.role, kind, 'read') !== 'none') }],
  register(router, ctx) {
    const { requireUser, requireCsrf, expiredForm, signedInUser, localeOf } = ctx;
    const { deps, scopeOf, actScope, say, word, amount, notFound, dealerNames, formView, page, viewLinks, claimsTable, statementsTable, tasksSection } = dealerViews(ctx);

    // --- The dealer's own page ---------------------------------------------------------------

    async function showOwn(req: Request, res: Response, status = 200, sent: Sent = {}) {
      const user = signedInUser(res)!;
      const locale = localeOf(req, res);
      const dealerId = user.dealerId!;
      const [plans, sales, tasks, claims, statements] = await Promise.all([
        partsPlansOf(deps(), dealerId, scopeOf(res, 'parts_plan')),
        listDealerSales(deps(), scopeOf(res, 'dealer_sale')),
        listOpenDealerTasks(deps(), scopeOf(res, 'dealer_task')),
        listClaimSummaries(deps(), scopeOf(res, 'claim')),
        listSettlementHeads(deps(), scopeOf(res, 'settlement')),
      ]);
      const openPlan = plans.find((p) => p.status === 'open');
      const [name] = [...(await dealerNames([dealerId])).values()];
      page(req, res, status, {
        title: say(locale, 'dealer.own.title', { dealer: name ?? `#${dealerId}` }),
        back: null,
        links: viewLinks(locale, user, '/dealer'),
        sections: [
          {
            id: 'plans',
            title: say(locale, 'dealer.section.plans'),
            table: {
              headers: ['season', 'dueOn', 'status'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)),
              rows: plans.map((p) => ({ key: p.seasonStart, cells: [text(p.seasonStart), text(p.dueOn), text(word(locale, 'dealer.planStatus', p.status))] })),
              empty: say(locale, 'dealer.none'),
            },
            forms: openPlan || sent.plan ? [formView(locale, FORMS.plan, '/dealer/forms/plan', sent.plan, { seasonStart: openPlan?.seasonStart ?? '' })] : [],
          },
          {
            id: 'sales',
            title: say(locale, 'dealer.section.sales'),
            table: {
              headers: ['sale', 'device', 'saleDate', 'cardDue', 'warranty'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)),
              rows: sales.map((s) => ({
                key: String(s.id),
                cells: [link(`#${s.id}`, `/dealer/sales/${s.id}`), text(`${s.model} · ${s.deviceSerial}`), text(s.saleDate), text(s.cardDueOn), text(word(locale, 'dealer.warranty', s.warranty))],
              })),
              empty: say(locale, 'dealer.none'),
            },
            forms: [],
          },
          tasksSection(locale, tasks),
          {
            id: 'claims',
            title: say(locale, 'dealer.section.claims'),
            table: claimsTable(locale, claims),
            forms: [formView(locale, FORMS.claim, '/dealer/forms/claim', sent.claim, { currency: 'CNY' })],
          },
          { id: 'statements', title: say(locale, 'dealer.section.statements'), table: statementsTable(locale, statements, await dealerNames(statements.map((s) => s.dealerId))), forms: [] },
        ],
      });
    }

    router.get('/dealer', requireUser, async (req, res) => {
      const user = signedInUser(res)!;
      if (user.role === 'dealer') return showOwn(req, res);
      const to = user.role === 'technical_appraiser' ? '/dealer/parts' : user.role === 'sales_clerk' ? '/dealer/tasks' : '/dealer/statements';
      res.redirect(303, to);
    });

    // --- Finance's period view -------------------------------------------------------------------

    async function showStatements(req: Request, res: Response, status = 200, sent: Sent = {}) {
      const user = signedInUser(res)!;
      const locale = localeOf(req, res);
      const raw = typeof req.query.period === 'string' ? req.query.period : '';
      const period = /^\d{4}-(0[1-9]|1[0-2])$/.test(raw) ? raw : undefined;
      const statements = await listSettlementHeads(deps(), scopeOf(res, 'settlement'), period);
      const names = await dealerNames(statements.map((s) => s.dealerId));
      const totals = SETTLEMENT_STATUSES.map((s) => {
        const of = statements.filter((x) => x.status === s);
        const sums = new Map<string, number>();
        for (const x of of) sums.set(x.total.currency, (sums.get(x.total.currency) ?? 0) + x.total.amount);
        return { key: s, cells: [text(word(locale, 'dealer.settlementStatus', s)), text(of.length), text([...sums].map(([currency, sum]) => amount(locale, { amount: sum, currency })).join(' · ') || null)] };
      });
      page(req, res, status, {
        title: period ? say(locale, 'dealer.statements.titleOf', { period }) : say(locale, 'dealer.statements.title'),
        back: null,
        links: viewLinks(locale, user, '/dealer/statements'),
        sections: [
          { id: 'totals', title: say(locale, 'dealer.section.totals'), table: { headers: ['status', 'count', 'total'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)), rows: totals, empty: '' }, forms: [] },
          ...SETTLEMENT_STATUSES.map((s) => ({
            id: `status-${s}`,
            title: word(locale, 'dealer.settlementStatus', s),
            table: statementsTable(
              locale,
              statements.filter((x) => x.status === s),
              names,
            ),
            forms: [],
          })),
          ...(user.role === 'finance' ? [{ id: 'run', title: say(locale, 'dealer.section.run'), table: null, forms: [formView(locale, FORMS.run, '/dealer/forms/run', sent.run, { period: period ?? '' })] }] : []),
        ],
      });
    }
    router.get('/dealer/statements', requireUser, (req, res) => showStatements(req, res));

    async function showStatement(req: Request, res: Response, statement: Settlement, status = 200, sent: Sent = {}) {
      const user = signedInUser(res)!;
      const locale = localeOf(req, res);
      const [name] = [...(await dealerNames([statement.dealerId])).values()];
      const ledgerScope = scopeOf(res, 'ledger');
      const ledger = ledgerScope.kind === 'all' || (ledgerScope.kind === 'dealer' && ledgerScope.dealerId === statement.dealerId) ? await dealerLedger(deps(), statement.dealerId) : null;
      const action = (form: string) => `/dealer/forms/${form}/${statement.id}`;
      const forms = [
        ...(user.role === 'finance' && (statement.status === 'review' || statement.status === 'disputed') ? [formView(locale, FORMS.review, action('review'), sent.review)] : []),
        ...(user.role === 'dealer' && statement.status === 'sent'
          ? [formView(locale, FORMS.confirm, action('confirm'), sent.confirm, { version: String(statement.version) }), formView(locale, FORMS.dispute, action('dispute'), sent.dispute)]
          : []),
      ];
      page(req, res, status, {
        title: say(locale, 'dealer.statement.title', { id: statement.id, period: statement.period }),
        back: { href: user.role === 'dealer' ? '/dealer' : `/dealer/statements?period=${statement.period}`, text: say(locale, 'dealer.back') },
        facts: [
          { key: 'dealer', label: say(locale, 'dealer.col.dealer'), value: name ?? `#${statement.dealerId}`, href: null },
          { key: 'status', label: say(locale, 'dealer.col.status'), value: word(locale, 'dealer.settlementStatus', statement.status), href: null },
          { key: 'version', label: say(locale, 'dealer.col.version'), value: String(statement.version), href: null },
          { key: 'total', label: say(locale, 'dealer.col.total'), value: amount(locale, statement.total), href: null },
          { key: 'confirmDue', label: say(locale, 'dealer.col.confirmDue'), value: null, href: null, at: statement.confirmDueAt },
          { key: 'dispute', label: say(locale, 'dealer.col.dispute'), value: statement.disputeReason ? `${statement.disputeReason}${statement.disputeLineIds.length ? ` (${statement.disputeLineIds.join(', ')})` : ''}` : null, href: null },
          { key: 'answer', label: say(locale, 'dealer.col.answer'), value: statement.disputeAnswer, href: null },
          { key: 'notice', label: say(locale, 'dealer.col.notice'), value: say(locale, 'dealer.notice.open'), href: `/dealer/statements/${statement.id}/notice?lang=${locale}` },
        ],
        sections: [
          {
            id: 'lines',
            title: say(locale, 'dealer.section.lines'),
            table: {
              headers: ['claimLineId', 'claim', 'lineNo', 'kind', 'amount'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)),
              rows: statement.lines.map((l) => ({ key: String(l.claimLineId), cells: [text(l.claimLineId), link(`#${l.claimId}`, `/dealer/claims/${l.claimId}`), text(l.lineNo), text(word(locale, 'dealer.kind', l.kind)), text(amount(locale, { amount: l.amount, currency: statement.total.currency }))] })),
              empty: say(locale, 'dealer.none'),
            },
            forms,
          },
          ...(ledger
            ? [
                {
                  id: 'ledger',
                  title: say(locale, 'dealer.section.ledger'),
                  table: {
                    headers: ['postedAt', 'statement', 'memo', 'amount'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)),
                    rows: ledger.map((e) => ({ key: String(e.id), cells: [when(e.postedAt), link(`#${e.settlementId}`, `/dealer/statements/${e.settlementId}`), text(e.memo), text(amount(locale, e.amount))] })),
                    empty: say(locale, 'dealer.none'),
                  },
                  forms: [],
                },
              ]
            : []),
        ],
      });
    }

    const readableStatement = async (res: Response, raw: unknown) => {
      const id = positiveInt(raw);
      return id === null ? null : findSettlement(deps(), id, scopeOf(res, 'settlement'));
    };

    router.get('/dealer/statements/:id', requireUser, async (req, res) => {
      const statement = await readableStatement(res, req.params.id);
      if (!statement) return notFound(req, res);
      await showStatement(req, res, statement);
    });

    router.get('/dealer/statements/:id/notice', requireUser, async (req, res) => {
      const statement = await readableStatement(res, req.params.id);
      if (!statement) return notFound(req, res);
      const html = await writeOffNoticeHtml(deps(), statement, isLocale(req.query.lang) ? req.query.lang : undefined);
      res.status(200).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(html);
    });

    // --- Claims and the parts queue -------------------------------------------------------------

    async function showClaim(req: Request, res: Response, claim: Claim, status = 200, sent: Sent = {}) {
      const user = signedInUser(res)!;
      const locale = localeOf(req, res);
      const [name] = [...(await dealerNames([claim.dealerId])).values()];
      const action = (form: string) => `/dealer/forms/${form}/${claim.id}`;
      const live = claim.status === 'in_review';
      const forms = [
        ...(user.role === 'sales_clerk' && live ? [formView(locale, FORMS['parts-received'], action('parts-received'), sent['parts-received'])] : []),
        ...(user.role === 'technical_appraiser' && live ? [formView(locale, FORMS.appraisal, action('appraisal'), sent.appraisal)] : []),
        ...(user.role === 'sales_clerk' && live && claim.auditRequired && !claim.auditedAt ? [formView(locale, FORMS.audit, action('audit'), sent.audit)] : []),
        ...(user.role === 'sales_clerk' && live ? [formView(locale, FORMS.decision, action('decision'), sent.decision, { currency: claim.lines[0]?.claimed.currency ?? 'CNY' })] : []),
        ...(user.role === 'dealer' && claim.status === 'sent_back' ? [formView(locale, FORMS.resubmit, action('resubmit'), sent.resubmit)] : []),
      ];
      page(req, res, status, {
        title: say(locale, 'dealer.claim.title', { id: claim.id, device: claim.deviceSerial }),
        back: { href: user.role === 'dealer' ? '/dealer' : '/dealer/parts', text: say(locale, 'dealer.back') },
        facts: [
          { key: 'dealer', label: say(locale, 'dealer.col.dealer'), value: name ?? `#${claim.dealerId}`, href: null },
          { key: 'status', label: say(locale, 'dealer.col.status'), value: word(locale, 'dealer.claimStatus', claim.status), href: null },
          { key: 'fault', label: say(locale, 'dealer.col.fault'), value: claim.faultCode, href: null },
          { key: 'repairDate', label: say(locale, 'dealer.col.repairDate'), value: claim.repairDate, href: null },
          { key: 'workDone', label: say(locale, 'dealer.col.workDone'), value: claim.workDone, href: null },
          { key: 'codes', label: say(locale, 'dealer.col.codes'), value: claim.claimCodes.join(', ') || null, href: null },
          { key: 'partsDue', label: say(locale, 'dealer.col.partsDue'), value: claim.partsDueOn, href: null },
          { key: 'audit', label: say(locale, 'dealer.col.audit'), value: claim.auditRequired ? say(locale, claim.auditedAt ? 'dealer.audit.done' : 'dealer.audit.due') : say(locale, 'dealer.audit.none'), href: null },
        ],
        sections: [
          {
            id: 'lines',
            title: say(locale, 'dealer.section.lines'),
            table: {
              headers: ['lineNo', 'kind', 'detail', 'claimed', 'codes', 'status', 'approved', 'received', 'appraisal'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)),
              rows: claim.lines.map((l) => ({
                key: String(l.lineNo),
                cells: [
                  text(l.lineNo),
                  text(word(locale, 'dealer.kind', l.input.kind)),
                  text(l.input.kind === 'part' ? `${l.input.partNo} × ${l.input.quantity}` : l.input.kind === 'labour' ? `${l.input.operation} · ${l.input.hundredthsOfHour / 100} h` : l.input.kind === 'other' ? l.input.description : null),
                  text(amount(locale, l.claimed)),
                  text(l.codes.join(', ') || null),
                  text(`${word(locale, 'dealer.lineStatus', l.status)}${l.decisionReason ? ` · ${l.decisionReason}` : ''}`),
                  text(l.approved ? amount(locale, l.approved) : null),
                  text(l.receivedOn),
                  text(l.appraisal ? word(locale, 'dealer.option', l.appraisal) : null),
                ],
              })),
              empty: say(locale, 'dealer.none'),
            },
            forms,
          },
        ],
      });
    }

    const readableClaim = async (res: Response, raw: unknown) => {
      const id = positiveInt(raw);
      return id === null ? null : findClaim(deps(), id, scopeOf(res, 'claim'));
    };

    router.get('/dealer/claims/:id', requireUser, async (req, res) => {
      const claim = await readableClaim(res, req.params.id);
      if (!claim) return notFound(req, res);
      await showClaim(req, res, claim);
    });

    router.get('/dealer/parts', requireUser, async (req, res) => {
      const user = signedInUser(res)!;
      const locale = localeOf(req, res);
      const claims = await listDealerClaims(deps(), scopeOf(res, 'claim'), 'in_review');
      const parts = claims.flatMap((c) => c.lines.filter((l) => l.input.kind === 'part' && l.status === 'open').map((l) => ({ claim: c, line: l })));
      const row = ({ claim, line }: (typeof parts)[number]) => ({
        key: `${claim.id}-${line.lineNo}`,
        cells: [link(`#${claim.id}`, `/dealer/claims/${claim.id}`), text(line.lineNo), text(line.input.kind === 'part' ? `${line.input.partNo} × ${line.input.quantity}` : null), text(claim.deviceSerial), text(claim.partsDueOn), text(line.receivedOn)],
      });
      const headers = ['claim', 'lineNo', 'part', 'device', 'partsDue', 'received'].map((h) => say(locale, `dealer.col.${h}` as MessageKey));
      page(req, res, 200, {
        title: say(locale, 'dealer.parts.title'),
        back: null,
        links: viewLinks(locale, user, '/dealer/parts'),
        sections: [
          { id: 'to-appraise', title: say(locale, 'dealer.section.toAppraise'), table: { headers, rows: parts.filter((p) => p.line.receivedOn && !p.line.appraisal).map(row), empty: say(locale, 'dealer.none') }, forms: [] },
          { id: 'in-review', title: say(locale, 'dealer.section.inReview'), table: claimsTable(locale, claims.map(claimSummary)), forms: [] },
          { id: 'awaited', title: say(locale, 'dealer.section.awaited'), table: { headers, rows: parts.filter((p) => !p.line.receivedOn).sort((a, b) => String(a.claim.partsDueOn).localeCompare(String(b.claim.partsDueOn))).map(row), empty: say(locale, 'dealer.none') }, forms: [] },
        ],
      });
    });

    // --- Tasks and sales ----------------------------------------------------------------------------

    router.get('/dealer/tasks', requireUser, async (req, res) => {
      const user = signedInUser(res)!;
      const locale = localeOf(req, res);
      const tasks = await listOpenDealerTasks(deps(), scopeOf(res, 'dealer_task'));
      page(req, res, 200, { title: say(locale, 'dealer.tasks.title'), back: null, links: viewLinks(locale, user, '/dealer/tasks'), sections: [tasksSection(locale, tasks)] });
    });

    async function showTask(req: Request, res: Response, taskId: number, status = 200, sent: Sent = {}) {
      const task = await findTask(deps(), taskId, scopeOf(res, 'dealer_task'));
      if (!task) return notFound(req, res);
      const user = signedInUser(res)!;
      const locale = localeOf(req, res);
      // The repair ticket routed here (三包 at intake): a link for who may open it, else only that there is one.
      const routedFrom = (await ctx.knex('tickets').where({ dealer_task_id: task.id }).first('id')) as { id: unknown } | undefined;
      const ticketId = routedFrom ? Number(routedFrom.id) : null;
      const ticketOpen = ticketId !== null && (await linkReach(ctx.knex, principalOf(user)).ticket(ticketId));
      const forms = [
        ...(user.role === 'dealer' && task.status === 'open' ? [formView(locale, FORMS.arrange, `/dealer/forms/arrange/${task.id}`, sent.arrange)] : []),
        ...(user.role === 'sales_clerk' && !task.checkedAt ? [formView(locale, FORMS.check, `/dealer/forms/check/${task.id}`, sent.check)] : []),
      ];
      page(req, res, status, {
        title: say(locale, 'dealer.task.title', { id: task.id, device: task.deviceSerial }),
        back: { href: user.role === 'dealer' ? '/dealer' : '/dealer/tasks', text: say(locale, 'dealer.back') },
        facts: [
          { key: 'customer', label: say(locale, 'dealer.col.customer'), value: task.customerName, href: null },
          { key: 'request', label: say(locale, 'dealer.col.request'), value: task.request, href: null },
          { key: 'status', label: say(locale, 'dealer.col.status'), value: word(locale, 'dealer.taskStatus', task.checkedAt ? 'checked' : task.status), href: null },
          { key: 'arrangement', label: say(locale, 'dealer.col.arrangement'), value: task.arrangement, href: null },
          ...(ticketId === null ? [] : [ticketOpen ? { key: 'ticket', label: say(locale, 'dealer.col.ticket'), value: say(locale, 'dealer.ticket.link', { id: ticketId }), href: `/tickets/${ticketId}` } : { key: 'ticket', label: say(locale, 'dealer.col.ticket'), value: say(locale, 'dealer.ticket.hidden'), href: null }]),
        ],
        sections: [{ id: 'times', title: say(locale, 'dealer.section.times'), table: { headers: ['arrangeDue', 'clerkCheck', 'visitAt'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)), rows: [{ key: null, cells: [when(task.arrangeDueAt), when(task.clerkCheckAt), when(task.visitAt)] }], empty: '' }, forms }],
      });
    }
    router.get('/dealer/tasks/:id', requireUser, async (req, res) => {
      const id = positiveInt(req.params.id);
      if (id === null) return notFound(req, res);
      await showTask(req, res, id);
    });

    async function showSale(req: Request, res: Response, saleId: number, status = 200, sent: Sent = {}) {
      const sale = await readSale(deps(), saleId, scopeOf(res, 'dealer_sale'));
      if (!sale) return notFound(req, res);
      const user = signedInUser(res)!;
      const locale = localeOf(req, res);
      page(req, res, status, {
        title: say(locale, 'dealer.sale.title', { id: sale.id, device: sale.deviceSerial }),
        back: { href: '/dealer', text: say(locale, 'dealer.back') },
        facts: [
          { key: 'device', label: say(locale, 'dealer.col.device'), value: `${sale.model} · ${sale.deviceSerial}`, href: null },
          { key: 'customer', label: say(locale, 'dealer.col.customer'), value: sale.customerName, href: null },
          { key: 'saleDate', label: say(locale, 'dealer.col.saleDate'), value: sale.saleDate, href: null },
          { key: 'cardDue', label: say(locale, 'dealer.col.cardDue'), value: sale.cardDueOn, href: null },
          { key: 'warranty', label: say(locale, 'dealer.col.warranty'), value: `${word(locale, 'dealer.warranty', sale.warranty)}${sale.warrantyEndsOn ? ` → ${sale.warrantyEndsOn}` : ''}${sale.warrantyReason ? ` · ${sale.warrantyReason}` : ''}`, href: null },
        ],
        sections: [{ id: 'card', title: say(locale, 'dealer.section.card'), table: null, forms: user.role === 'dealer' && sale.warranty === 'pending' ? [formView(locale, FORMS.card, `/dealer/forms/card/${sale.id}`, sent.card)] : [] }],
      });
    }
    router.get('/dealer/sales/:id', requireUser, async (req, res) => {
      const id = positiveInt(req.params.id);
      if (id === null) return notFound(req, res);
      await showSale(req, res, id);
    });

    // --- Forms ----------------------------------------------------------------------------------------

    /** Each form: the command it runs, and the page it shows again (with problems) or returns to. */
    const COMMANDS: Record<FormId, { run(user: User, id: number | null, body: unknown, res: Response, locale: Locale): Promise<unknown>; show(req: Request, res: Response, id: number | null, status: number, sent: Sent): Promise<void>; back(id: number | null, user: User): string }> = {
      run: {
        run: (user, _id, body, _res, locale) => runSettlementPeriod(deps(), user, body, locale),
        show: (req, res, _id, status, sent) => showStatements(req, res, status, sent),
        back: () => '/dealer/statements',
      },
      review: statementCommand('review'),
      confirm: statementCommand('confirm'),
      dispute: statementCommand('dispute'),
      claim: { run: (user, _id, body, _res, locale) => submitDealerClaim(deps(), user, body, locale), show: (req, res, _id, status, sent) => showOwn(req, res, status, sent), back: () => '/dealer#claims' },
      plan: { run: (user, _id, body, _res, locale) => submitPartsPlan(deps(), user, user.dealerId ?? 0, body, undefined, locale), show: (req, res, _id, status, sent) => showOwn(req, res, status, sent), back: () => '/dealer#plans' },
      card: {
        run: (user, id, body, res, locale) => completeWarrantyCard(deps(), user, id!, body, actScope(res, 'dealer_sale'), undefined, locale),
        show: (req, res, id, status, sent) => showSale(req, res, id!, status, sent),
        back: (id) => `/dealer/sales/${id}`,
      },
      'parts-received': claimCommand('parts-received'),
      appraisal: claimCommand('appraisal'),
      audit: claimCommand('audit'),
      decision: claimCommand('decision'),
      resubmit: {
        ...claimCommand('resubmit'),
        async run(user, id, body, res, locale) {
          // The amended line keeps the kind of the line sent back.
          const form = body as Record<string, string | number>;
          const claim = await findClaim(deps(), id!, actScope(res, 'claim'));
          const current = claim?.lines.find((l) => l.lineNo === form.lineNo)?.input;
          const line = current ? amendedLine(current, form as Record<string, string>) : {};
          return runClaimStep(deps(), user, id!, 'resubmit', { lines: [{ lineNo: form.lineNo, line }] }, actScope(res, 'claim'), locale);
        },
      },
      arrange: taskCommand('arrange'),
      check: taskCommand('check'),
    };

    function statementCommand(path: 'review' | 'confirm' | 'dispute') {
      return {
        run: (user: User, id: number | null, body: unknown, res: Response, locale: Locale) => runSettlementStep(deps(), user, id!, path, body, actScope(res, 'settlement'), locale),
        async show(req: Request, res: Response, id: number | null, status: number, sent: Sent) {
          const statement = await readableStatement(res, String(id));
          if (!statement) return notFound(req, res);
          await showStatement(req, res, statement, status, sent);
        },
        back: (id: number | null) => `/dealer/statements/${id}`,
      };
    }
    function claimCommand(path: 'parts-received' | 'appraisal' | 'audit' | 'decision' | 'resubmit') {
      return {
        run: (user: User, id: number | null, body: unknown, res: Response, locale: Locale) => runClaimStep(deps(), user, id!, path, body, actScope(res, 'claim'), locale),
        async show(req: Request, res: Response, id: number | null, status: number, sent: Sent) {
          const claim = await readableClaim(res, String(id));
          if (!claim) return notFound(req, res);
          await showClaim(req, res, claim, status, sent);
        },
        back: (id: number | null) => `/dealer/claims/${id}`,
      };
    }
    function taskCommand(path: 'arrange' | 'check') {
      return {
        run: (user: User, id: number | null, body: unknown, res: Response, locale: Locale) => runTaskStep(deps(), user, id!, path, body, actScope(res, 'dealer_task'), undefined, locale),
        show: (req: Request, res: Response, id: number | null, status: number, sent: Sent) => showTask(req, res, id!, status, sent),
        back: (id: number | null) => `/dealer/tasks/${id}`,
      };
    }

    router.post(['/dealer/forms/:form', '/dealer/forms/:form/:id'], requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const user = signedInUser(res)!;
      const formId = req.params.form as FormId;
      if (!Object.prototype.hasOwnProperty.call(FORMS, formId)) return notFound(req, res);
      const form: DealerForm = FORMS[formId];
      const id = req.params.id === undefined ? null : positiveInt(req.params.id);
      if (req.params.id !== undefined && id === null) return notFound(req, res);
      const command = COMMANDS[formId];
      const values = formValues(req.body, form.fields.map((f) => f.name));
      if (!ctx.deps.temporal && formId !== 'run') return ctx.message(req, res, 503, ctx.t(req, res, 'message.badRequest'), ctx.t(req, res, 'dealer.unavailable'));
      try {
        await command.run(user, id, form.body(values), res, ctx.localeOf(req, res));
      } catch (error) {
        const status = (error as { status?: number }).status ?? 400;
        const state = formFromError(error, values, ctx.t(req, res, 'dealer.failed'), ctx.localeOf(req, res));
        const errors: Record<string, string[]> = {};
        for (const [field, messages] of Object.entries(state.errors)) (errors[formFieldOf(form, field)] ??= []).push(...messages);
        void ctx.audit(req, res, { statusCode: status, user, details: { form: formId, id } });
        if (status === 404) return notFound(req, res);
        return command.show(req, res, id, status, { [formId]: { ...state, errors } });
      }
      void ctx.audit(req, res, { statusCode: 303, user, details: { form: formId, id } });
      res.redirect(303, command.back(id, user));
    });
  },
};

