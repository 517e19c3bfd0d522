/**
 * The KPI dashboard (PRODUCT §5, 002), its figures from db/repositories/kpis.ts (those over the same rows from one query); who sees
 * what is domain/kpi.ts: service managers, leadership and admins everything, finance the dealer
 * figures, a dealer its own, everyone else a 403.
 *
 *   GET /kpis            ?from=YYYY-MM-DD&to=YYYY-MM-DD&region=…&model=…&dealer=<id>  tables and charts
 *   GET /kpis.csv|xlsx   the same filter: the KPI table as a file
 *   GET /assets/chart.umd.min.js  chart.js as its package ships it (no build step)
 *   GET /assets/kpi-charts.js     draws the page's charts from the figures in its tables
 */
import { projectRoot } from '../../platform/templateFiles';
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import { DateTime } from 'luxon';
import { principalOf } from '../../platform/http/access';
import type { Locale } from '../../people/roles';
import { KpisRepository, type KpiFilter, type Mean, type Rate } from './repository';
import { kpiReach, seesServiceKpis, type KpiReach } from './rules';
import type { ConsoleArea } from '../../platform/console/context';
import { CONTENT_TYPES, render, type Cell, type Table } from '../../platform/console/exportTable';
import { positiveInt } from '../../platform/console/kit';
import { translate, type MessageKey } from '../../platform/i18n/catalogue';
import { CONSOLE_TIME_ZONE, formatInZone } from '../../platform/console/views';

const CHART_LIBRARY = '/assets/chart.umd.min.js';
const CHART_SCRIPT = '/assets/kpi-charts.js';
/** The period shown when none is chosen: the last 30 days, today included. */
const DEFAULT_DAYS = 30;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface KpiQuery {
  from: string;
  to: string;
  region: string | null;
  model: string | null;
  dealerId: number | null;
}

type Problem = { field: 'from' | 'to' | 'region' | 'model' | 'dealer'; problem: 'date' | 'order' | 'unknown' };

/** The page's filter from its query string, days in `timeZone`; the period's end day is included. */
export function parseKpiQuery(query: Request['query'], today: string): { query: KpiQuery } | { problem: Problem } {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  const day = (value: string | null) => (value !== null && DATE.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid ? value : undefined);
  const defaultFrom = DateTime.fromISO(today, { zone: 'UTC' }).minus({ days: DEFAULT_DAYS - 1 }).toISODate()!;
  const from = text(query.from) === null ? defaultFrom : day(text(query.from));
  if (from === undefined) return { problem: { field: 'from', problem: 'date' } };
  const to = text(query.to) === null ? today : day(text(query.to));
  if (to === undefined) return { problem: { field: 'to', problem: 'date' } };
  if (to < from) return { problem: { field: 'to', problem: 'order' } };
  const dealer = text(query.dealer);
  const dealerId = dealer === null ? null : positiveInt(dealer);
  if (dealer !== null && dealerId === null) return { problem: { field: 'dealer', problem: 'unknown' } };
  return { query: { from, to, region: text(query.region), model: text(query.model), dealerId } };
}

/** The repository's filter: whole days in `timeZone`; a dealer sees its own dealer whatever it asked. */
export function kpiFilterOf(query: KpiQuery, reach: KpiReach, timeZone: string): KpiFilter {
  const start = (isoDay: string) => DateTime.fromISO(isoDay, { zone: timeZone }).startOf('day');
  const dealerId = reach.kind === 'own_dealer' ? reach.dealerId : query.dealerId;
  return {
    from: start(query.from).toJSDate(),
    to: start(query.to).plus({ days: 1 }).toJSDate(),
    ...(query.region !== null ? { region: query.region } : {}),
    ...(query.model !== null ? { model: query.model } : {}),
    ...(dealerId !== null ? { dealerId } : {}),
  };
}

type KpiKey = 'onTimeResponse' | 'onTimeRepair' | 'firstTimeFix' | 'partsAccuracy' | 'satisfaction' | 'complaints' | 'complaintClosure' | 'overdueVisits' | 'overdueCalls' | 'claimApproval' | 'daysToSettle';
type Figure = { kind: 'rate'; rate: Rate } | { kind: 'mean'; mean: Mean } | { kind: 'count'; count: number | null };

/** One row of the KPI table, in the page's language. */
interface KpiRow {
  key: KpiKey;
  label: string;
  value: string;
  basis: string;
  /** The value as a number (a rate in %), for the files and the chart; null when there is none. */
  number: number | null;
  rate: boolean;
}

function formatters(locale: Locale) {
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const t = (key: MessageKey, values?: Record<string, string | number>) => translate(locale, key, values);
  return {
    t,
    rate: (r: Rate) => (r.value === null ? '—' : percent.format(r.value)),
    rateBasis: (r: Rate) => t('kpis.basis.rate', { numerator: r.numerator, denominator: r.denominator }),
    mean: (m: Mean) => (m.value === null ? '—' : decimal.format(m.value)),
    meanBasis: (m: Mean) => t('kpis.basis.mean', { count: m.count }),
  };
}

function kpiRow(locale: Locale, key: KpiKey, figure: Figure): KpiRow {
  const f = formatters(locale);
  const label = f.t(`kpis.${key}`);
  if (figure.kind === 'rate') return { key, label, value: f.rate(figure.rate), basis: f.rateBasis(figure.rate), number: figure.rate.value === null ? null : Math.round(figure.rate.value * 1000) / 10, rate: true };
  if (figure.kind === 'mean') return { key, label, value: f.mean(figure.mean), basis: f.meanBasis(figure.mean), number: figure.mean.value === null ? null : Math.round(figure.mean.value * 10) / 10, rate: false };
  return { key, label, value: figure.count === null ? '—' : String(figure.count), basis: figure.count === null ? f.t('kpis.basis.notFiltered') : f.t('kpis.basis.count'), number: figure.count, rate: false };
}

/** Every KPI the reach shows. */
async function figures(kpis: KpisRepository, reach: KpiReach, filter: KpiFilter, now: Date) {
  const service = seesServiceKpis(reach);
  // Every figure at once (the pool's connections run them side by side): the ticket figures from one
  // read of their kept rows after one catch-up, the care counts, the dealer figures.
  const [serviceFigures, overdueVisits, overdueCalls, claimApproval, daysToSettle, dealers] = await Promise.all([
    service ? kpis.serviceKpis(filter) : null,
    service ? kpis.overdueVisits(filter, now) : null,
    service ? kpis.overdueCalls(filter, now) : null,
    kpis.claimApproval(filter),
    kpis.daysToSettle(filter),
    kpis.perDealer(filter),
  ]);
  const tickets = serviceFigures?.tickets;
  const engineers = serviceFigures?.engineers;
  const list: Array<[KpiKey, Figure]> = [
    ...(service
      ? ([
          ['onTimeResponse', { kind: 'rate', rate: tickets!.onTimeResponse }],
          ['onTimeRepair', { kind: 'rate', rate: tickets!.onTimeRepair }],
          ['firstTimeFix', { kind: 'rate', rate: tickets!.firstTimeFix }],
          ['partsAccuracy', { kind: 'rate', rate: tickets!.partsAccuracy }],
          ['satisfaction', { kind: 'mean', mean: tickets!.satisfaction }],
          ['complaints', { kind: 'count', count: tickets!.complaints }],
          ['complaintClosure', { kind: 'mean', mean: tickets!.complaintClosureHours }],
          ['overdueVisits', { kind: 'count', count: overdueVisits ?? null }],
          ['overdueCalls', { kind: 'count', count: overdueCalls ?? null }],
        ] as Array<[KpiKey, Figure]>)
      : []),
    ['claimApproval', { kind: 'rate', rate: claimApproval }],
    ['daysToSettle', { kind: 'mean', mean: daysToSettle }],
  ];
  return { list, dealers, engineers: engineers ?? null };
}

export const kpisArea: ConsoleArea = {
  paths: ['/kpis', '/kpis.:format', CHART_LIBRARY, CHART_SCRIPT],
  assets: [CHART_LIBRARY, CHART_SCRIPT],
  nav: [{ href: '/kpis', label: 'nav.kpis', shownTo: (user) => kpiReach(principalOf(user)).kind !== 'none' }],
  register(router, ctx) {
    const kpis = new KpisRepository(ctx.knex);
    // chart.js's own UMD build, straight from the package: no bundler, nothing to keep in sync.
    const chartLibrary = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
    router.get(CHART_LIBRARY, (_req, res) => res.sendFile(chartLibrary, { maxAge: '1h', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } }));
    const script = fs.readFileSync(path.join(projectRoot(), 'reports', 'kpis', 'kpi-charts.js'), 'utf8');
    router.get(CHART_SCRIPT, (_req, res) => {
      res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }).send(script);
    });

    /** The reach and filter of the request, or the 403 / 400 page already sent. */
    async function prepare(req: Request, res: Response) {
      const user = ctx.signedInUser(res)!;
      const reach = kpiReach(principalOf(user));
      if (reach.kind === 'none') {
        ctx.message(req, res, 403, ctx.t(req, res, 'message.kpisForbidden.title'), ctx.t(req, res, 'message.kpisForbidden.text'));
        return null;
      }
      const today = DateTime.fromJSDate(ctx.now()).setZone(CONSOLE_TIME_ZONE).toISODate()!;
      const parsed = parseKpiQuery(req.query, today);
      const choices = await kpis.choices();
      const bad = (problem: Problem) => {
        const field = ctx.t(req, res, `kpis.${problem.field}`);
        ctx.message(req, res, 400, ctx.t(req, res, 'message.badFilter.title'), ctx.t(req, res, 'message.badFilter.text', { field, problem: ctx.t(req, res, `kpis.problem.${problem.problem}`) }));
        return null;
      };
      if ('problem' in parsed) return bad(parsed.problem);
      const { query } = parsed;
      if (query.region !== null && !choices.regions.includes(query.region)) return bad({ field: 'region', problem: 'unknown' });
      if (query.model !== null && !choices.models.includes(query.model)) return bad({ field: 'model', problem: 'unknown' });
      if (query.dealerId !== null && reach.kind !== 'own_dealer' && !choices.dealers.some((d) => d.id === query.dealerId)) return bad({ field: 'dealer', problem: 'unknown' });
      return { reach, query, choices, filter: kpiFilterOf(query, reach, CONSOLE_TIME_ZONE) };
    }

    router.get('/kpis', ctx.requireUser, async (req, res) => {
      const prepared = await prepare(req, res);
      if (!prepared) return;
      const { reach, query, choices, filter } = prepared;
      const locale = ctx.localeOf(req, res);
      const f = formatters(locale);
      const found = await figures(kpis, reach, filter, ctx.now());
      const rows = found.list.map(([key, figure]) => kpiRow(locale, key, figure));
      const params = new URLSearchParams(Object.entries({ from: query.from, to: query.to, region: query.region ?? '', model: query.model ?? '', dealer: query.dealerId === null ? '' : String(query.dealerId) }).filter(([, v]) => v !== ''));
      const rateRows = rows.filter((r) => r.rate && seesServiceKpis(reach) && r.key !== 'claimApproval');
      ctx.send(req, res, 200, 'kpis', {
        title: f.t('kpis.title'),
        chartScripts: [CHART_LIBRARY, CHART_SCRIPT],
        query,
        filterChoices: reach.kind === 'own_dealer' ? null : {
          regions: choices.regions.map((value) => ({ value, selected: value === query.region })),
          models: choices.models.map((value) => ({ value, selected: value === query.model })),
          dealers: choices.dealers.map((d) => ({ value: String(d.id), name: d.name, selected: d.id === query.dealerId })),
        },
        service: seesServiceKpis(reach),
        rows,
        exports: { csv: `/kpis.csv?${params.toString()}`, xlsx: `/kpis.xlsx?${params.toString()}` },
        ratesChart: rateRows.length > 0 ? JSON.stringify({ label: f.t('kpis.chart.rates'), labels: rateRows.map((r) => r.label), values: rateRows.map((r) => r.number) }) : null,
        dealers: found.dealers.map((d) => ({ name: d.dealer, region: d.region ?? '—', approval: f.rate(d.approval), approvalBasis: f.rateBasis(d.approval), days: f.mean(d.daysToSettle), daysBasis: f.meanBasis(d.daysToSettle) })),
        approvalChart: found.dealers.length > 0 ? JSON.stringify({ label: f.t('kpis.chart.approval'), labels: found.dealers.map((d) => d.dealer), values: found.dealers.map((d) => (d.approval.value === null ? null : Math.round(d.approval.value * 1000) / 10)) }) : null,
        engineerSection: found.engineers !== null,
        engineers: found.engineers?.map((e) => ({
          name: e.engineer,
          resolved: e.resolved,
          onTimeRepair: f.rate(e.onTimeRepair),
          firstTimeFix: f.rate(e.firstTimeFix),
          partsAccuracy: f.rate(e.partsAccuracy),
          satisfaction: f.mean(e.satisfaction),
        })) ?? null,
      });
    });

    router.get('/kpis.:format', ctx.requireUser, async (req, res) => {
      const format = req.params.format;
      if (format !== 'csv' && format !== 'xlsx') return ctx.message(req, res, 404, ctx.t(req, res, 'message.badRequest'), ctx.t(req, res, 'form.unreadable'));
      const prepared = await prepare(req, res);
      if (!prepared) return;
      const locale = ctx.localeOf(req, res);
      const found = await figures(kpis, prepared.reach, prepared.filter, ctx.now());
      const table = kpiTable(locale, { ...prepared.query, dealerId: prepared.filter.dealerId ?? null }, found.list.map(([key, figure]) => kpiRow(locale, key, figure)));
      const stamp = formatInZone(ctx.now(), CONSOLE_TIME_ZONE).replace(/[^0-9]/g, '');
      res
        .status(200)
        .set({ 'Content-Type': CONTENT_TYPES[format], 'Content-Disposition': `attachment; filename="kpis-${stamp}.${format}"`, 'Cache-Control': 'no-store' })
        .send(await render(table, format));
    });
  },
};

/** The KPI table as a file: one row per KPI with its value as a number (rates in %) and its basis. */
export function kpiTable(locale: Locale, query: KpiQuery, rows: KpiRow[]): Table {
  const t = (key: MessageKey) => translate(locale, key);
  const period = `${query.from} – ${query.to}`;
  return {
    name: 'kpis',
    headers: [t('kpis.kpi'), t('kpis.value'), t('kpis.basis'), `${t('kpis.from')} – ${t('kpis.to')}`, t('kpis.region'), t('kpis.model'), t('kpis.dealer')],
    rows: rows.map((r): Cell[] => [r.label, r.number, r.basis, period, query.region, query.model, query.dealerId]),
  };
}
