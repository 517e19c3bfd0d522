/**
 * What the dealer's console pages share: the cells and sections the dealer-page template shows,
 * the caller's reach, words and amounts in the caller's language, a step's form, the page itself,
 * the links between the roles' views, and the claim, statement and task tables.
 */
import type { Request, Response } from 'express';
import { principalOf } from '../../../platform/http/access';
import type { ApiDeps } from '../../../platform/http/module';
import type { Locale } from '../../../people/roles';
import type { User } from '../../../people/repository';
import { readScope, scopeOf as scopeFor, type Scope } from '../../../domain/access';
import { formatMoney, type Money } from '../../../domain/money';
import type { ConsoleContext } from '../../../platform/console/context';
import { emptyForm, type FormState } from '../../../platform/console/forms';
import { isMessageKey, translate, type MessageKey } from '../../../platform/i18n/catalogue';
import { humanize } from '../../../platform/console/views';
import type { ClaimSummary } from '../claims/repository';
import type { SettlementHead } from '../settlement/repository';
import type { DealerTask } from '../tasks/repository';
import type { DealerForm, FormId } from './forms';

export interface Cell {
  text: string | null;
  href: string | null;
  at: Date | null;
}
export interface Section {
  id: string;
  title: string;
  table: { headers: string[]; rows: Array<{ key: string | null; cells: Cell[] }>; empty: string } | null;
  forms: unknown[];
}
export type Sent = Partial<Record<FormId, FormState>>;

export const text = (value: string | number | null | undefined): Cell => ({ text: value === null || value === undefined ? null : String(value), href: null, at: null });
export const link = (value: string, href: string): Cell => ({ text: value, href, at: null });
export const when = (at: Date | null): Cell => ({ text: null, href: null, at });
export const SETTLEMENT_STATUSES = ['review', 'sent', 'disputed', 'confirmed'] as const;

export type Kind = 'dealer_sale' | 'dealer_task' | 'claim' | 'settlement' | 'ledger' | 'parts_plan';

/** The helpers of the dealer's pages, over the console's context. */
export function dealerViews(ctx: ConsoleContext) {
  const { signedInUser } = ctx;
  const deps = (): ApiDeps => ({ knex: ctx.knex, temporal: ctx.deps.temporal });

    const scopeOf = (res: Response, kind: Kind): Scope => readScope(principalOf(signedInUser(res)!), kind);
  /** What a step may act on, as the API's route rule has it. */
  const actScope = (res: Response, kind: Kind): Scope => scopeFor(principalOf(signedInUser(res)!), kind, 'act');
  const say = (locale: Locale, key: MessageKey, values?: Record<string, string | number>) => translate(locale, key, values);
  const word = (locale: Locale, prefix: string, code: string) => (isMessageKey(`${prefix}.${code}`) ? translate(locale, `${prefix}.${code}` as MessageKey) : humanize(code));
  const amount = (locale: Locale, value: Money) => formatMoney(value, locale === 'en' ? 'en-GB' : 'zh-CN');
  const notFound = (req: Request, res: Response) => ctx.message(req, res, 404, ctx.t(req, res, 'dealer.notFound.title'), ctx.t(req, res, 'dealer.notFound.text'));

  async function dealerNames(ids: number[]): Promise<Map<number, string>> {
    const rows = (await ctx.knex('dealers').whereIn('id', [...new Set(ids), 0]).select('id', 'name')) as Array<{ id: number; name: string }>;
    return new Map(rows.map((r) => [Number(r.id), r.name]));
  }

  /** A form as the template wants it: fields with labels, the sent values and problems. */
  function formView(locale: Locale, form: DealerForm, action: string, state: FormState | undefined, initial: Record<string, string> = {}) {
    return {
      id: form.id,
      title: say(locale, `dealer.form.${form.id}` as MessageKey),
      submit: say(locale, `dealer.form.${form.id}` as MessageKey),
      action,
      state: state ?? emptyForm(initial),
      fields: form.fields.map((f) => ({
        name: f.name,
        id: `${form.id}-${f.name}`,
        label: say(locale, `dealer.field.${f.name}` as MessageKey),
        type: f.type ?? 'text',
        required: f.required === true,
        options: f.options ? f.options.map((value) => ({ value, label: word(locale, 'dealer.option', value) })) : null,
        hint: f.hint ? say(locale, f.hint) : null,
      })),
    };
  }

  type Fact = { key: string; label: string; value: string | null; href: string | null; at?: Date | null };
  const page = (req: Request, res: Response, status: number, view: { title: string; back: { href: string; text: string } | null; links?: unknown[]; facts?: Fact[]; sections: Section[] }) =>
    ctx.send(req, res, status, 'dealer-page', { links: [], ...view, facts: (view.facts ?? []).map((f) => ({ ...f, at: f.at ?? null })) });

  const viewLinks = (locale: Locale, user: User, here: string) =>
    (user.role === 'dealer'
      ? [['/dealer', 'dealer.view.own']]
      : [
          ['/dealer/statements', 'dealer.view.statements'],
          ['/dealer/parts', 'dealer.view.parts'],
          ['/dealer/tasks', 'dealer.view.tasks'],
        ]
    ).map(([href, key]) => ({ href: href!, text: say(locale, key as MessageKey), current: href === here }));

  const claimsTable = (locale: Locale, claims: ClaimSummary[]): Section['table'] => ({
    headers: ['claim', 'device', 'repairDate', 'status', 'claimed', 'approved'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)),
    rows: claims.map((c) => ({
      key: String(c.id),
      cells: [link(`#${c.id}`, `/dealer/claims/${c.id}`), text(c.deviceSerial), text(c.repairDate), text(word(locale, 'dealer.claimStatus', c.status)), text(amount(locale, c.claimed)), text(amount(locale, c.approved))],
    })),
    empty: say(locale, 'dealer.none'),
  });

  const statementsTable = (locale: Locale, statements: SettlementHead[], names: Map<number, string>): Section['table'] => ({
    headers: ['statement', 'dealer', 'period', 'version', 'status', 'total', 'confirmDue', 'dispute'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)),
    rows: statements.map((s) => ({
      key: String(s.id),
      cells: [
        link(`#${s.id}`, `/dealer/statements/${s.id}`),
        text(names.get(s.dealerId) ?? `#${s.dealerId}`),
        text(s.period),
        text(s.version),
        text(word(locale, 'dealer.settlementStatus', s.status)),
        text(amount(locale, s.total)),
        when(s.confirmDueAt),
        text(s.disputeReason),
      ],
    })),
    empty: say(locale, 'dealer.none'),
  });

  const tasksSection = (locale: Locale, tasks: DealerTask[]): Section => ({
    id: 'tasks',
    title: say(locale, 'dealer.section.tasks'),
    table: {
      headers: ['task', 'device', 'customer', 'arrangeDue', 'clerkCheck', 'status'].map((h) => say(locale, `dealer.col.${h}` as MessageKey)),
      rows: tasks.map((task) => ({
        key: String(task.id),
        cells: [link(`#${task.id}`, `/dealer/tasks/${task.id}`), text(task.deviceSerial), text(task.customerName), when(task.arrangeDueAt), when(task.clerkCheckAt), text(word(locale, 'dealer.taskStatus', task.status))],
      })),
      empty: say(locale, 'dealer.none'),
    },
    forms: [],
  });

  return { deps, scopeOf, actScope, say, word, amount, notFound, dealerNames, formView, page, viewLinks, claimsTable, statementsTable, tasksSection };
}
