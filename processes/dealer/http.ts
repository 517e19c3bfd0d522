/**
 * What the dealer sub-processes' routes share: once per Idempotency-Key, the id in the path, a
 * step's errors and route, money out, CSV answers. Routes parse, call a use case and render.
 */
import type { Locale } from '../../domain/locale';
import { readerLocale } from '../../platform/http/problemMessages';
import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import type { User } from '../../people/repository';
import { rolesReaching, type Scope } from '../../domain/access';
import type { AuditTarget } from '../../platform/http/audit';
import { oncePerKey } from '../../platform/http/idempotency';
import type { ApiDeps } from '../../platform/http/module';
import { defineRoute } from '../../platform/http/route';
import { z } from '../../platform/http/zod';

/** A write once per Idempotency-Key: a repeat answers the stored reply, which has the same shape. */
export async function once<T extends { status: number; body: unknown }>(deps: ApiDeps, user: User, key: string | undefined, req: Request, create: () => Promise<T>): Promise<T> {
  return (await oncePerKey(deps, user, key, req, create)) as T;
}

export const IdParams = z.object({ id: z.coerce.number().int().min(1).max(4_294_967_295) });

export const MoneyOut = z.object({ amount: z.number().int(), currency: z.string() });

export const STEP_ERRORS = { 404: 'No such record, or another dealer’s', 409: 'Not possible in the record’s current state; the message says why' };

/**
 * The route of a person's step on a record, `POST <base>/:id/<path>`: once per key, audited on the
 * record, answering the record after the step as `schema` shows it.
 */
export function stepRoute<R, B extends z.ZodType, S extends z.ZodType>(spec: {
  base: string;
  path: string;
  resource: 'dealer_task' | 'claim' | 'settlement';
  summary: string;
  body: B;
  schema: S;
  description: string;
  dto: (record: R) => z.input<S>;
  run: (deps: ApiDeps, user: User, id: number, input: unknown, scope: Scope, idempotencyKey: string | undefined, locale: Locale) => Promise<R>;
}) {
  return defineRoute(
    {
      method: 'post',
      path: `${spec.base}/:id/${spec.path}`,
      roles: rolesReaching(spec.resource, 'act'),
      access: { rule: 'record', resource: spec.resource, action: 'act' },
      summary: spec.summary,
      tags: ['dealer warranty'],
      params: IdParams,
      body: spec.body,
      idempotent: true,
      responses: { 200: { description: spec.description, body: spec.schema } },
      errors: STEP_ERRORS,
    },
    async ({ params, body: input, user, deps, req, res, idempotencyKey, scope }) =>
      once(deps, user, idempotencyKey, req, async () => {
        res.locals.audit = { entityType: spec.resource, entityId: params.id } satisfies AuditTarget;
        return { status: 200 as const, body: spec.dto(await spec.run(deps, user, params.id, input, scope, idempotencyKey, readerLocale(req, user))) };
      }),
  );
}

/** Money as a decimal string in major units from minor units (2 decimals), exact: 12345 → "123.45". */
export const decimal = (minor: number): string => `${minor < 0 ? '-' : ''}${Math.floor(Math.abs(minor) / 100)}.${String(Math.abs(minor) % 100).padStart(2, '0')}`;

/** A CSV answer (csv-stringify: quoting, a header row), named for download; UTF-8 with a BOM so spreadsheet programs read Chinese right. */
export function sendCsv(res: Response, filename: string, columns: string[], rows: Array<Array<string | number | null>>): void {
  const text = stringify(rows, { header: true, columns, bom: true });
  res.status(200).type('text/csv; charset=utf-8').attachment(filename).send(text);
}
