/**
 * Organisational units in the console: the tree for everyone signed in; adding, renaming and moving
 * for the admin (people/units.ts, shared with the API).
 *
 *   GET  /units      the units as a tree, with the admin's forms
 *   POST /units      add a unit → 303 /units?done=added
 *   POST /units/:id  rename and/or move it → 303 /units?done=changed
 */
import type { Request, Response } from 'express';
import type { ConsoleArea } from '../../platform/console/context';
import { emptyForm, formFromError, formValues, type FormState } from '../../platform/console/forms';
import { positiveInt } from '../../platform/console/kit';
import { codeWord } from '../../platform/console/views';
import { OrgUnitsRepository } from '../orgUnits';
import { ORG_UNIT_KINDS, treeOrder } from '../unitRules';
import { changeUnit, createUnit } from '../units';
import { peopleDeps } from './signIn';
import { newOnceKey, once, ONCE_FIELD } from './once';
import { unitChoices } from './peopleView';
import { unitChange, unitInput } from './personForms';

export const unitsArea: ConsoleArea = {
  paths: ['/units', '/units/:id'],
  nav: [{ href: '/units', label: 'nav.units', shownTo: (user) => user.role === 'admin' || user.role === 'service_manager' }],
  register(router, ctx) {
    const { t, message, send, localeOf, signedInUser, requireUser, requireCsrf, expiredForm, audit } = ctx;
    const deps = peopleDeps(ctx);
    const units = new OrgUnitsRepository(ctx.knex);

    async function show(req: Request, res: Response, status = 200, sent: { add?: FormState; unitId?: number; unit?: FormState } = {}) {
      const locale = localeOf(req, res);
      const all = await units.list();
      const admin = signedInUser(res)!.role === 'admin';
      const parents = unitChoices(all, locale);
      const done = ['added', 'changed'].find((d) => d === req.query.done);
      send(req, res, status, 'units', {
        title: t(req, res, 'units.title'),
        notice: done ? t(req, res, done === 'added' ? 'units.done.added' : 'units.done.changed') : null,
        admin,
        kinds: ORG_UNIT_KINDS.map((kind) => ({ value: kind, label: codeWord(locale, 'units.kind', kind) })),
        parents,
        add: sent.add ?? emptyForm(),
        once: newOnceKey(),
        units: treeOrder(all).map((u) => ({
          id: u.id,
          name: u.name,
          kind: codeWord(locale, 'units.kind', u.kind),
          depth: Math.min(u.depth, 5),
          action: `/units/${u.id}`,
          nameId: `name-${u.id}`,
          parentFieldId: `parent-${u.id}`,
          unitForm: sent.unitId === u.id && sent.unit ? sent.unit : emptyForm({ name: u.name, parentId: u.parentId === null ? '' : String(u.parentId) }),
          // A unit is never offered itself as its parent; the rules refuse its own units too.
          parents: parents.filter((p) => p.value !== String(u.id)),
        })),
      });
    }

    router.get('/units', requireUser, (req, res) => show(req, res));

    const post = (path: string, work: (req: Request, values: Record<string, string>) => Promise<string>, fields: string[], shown: (req: Request, form: FormState) => { add?: FormState; unitId?: number; unit?: FormState }) =>
      router.post(path, requireUser, ...requireCsrf(expiredForm), async (req, res) => {
        const user = signedInUser(res)!;
        if (user.role !== 'admin') return message(req, res, 403, t(req, res, 'message.badRequest'), t(req, res, 'units.forbidden'));
        const values = formValues(req.body, [...fields, ONCE_FIELD]);
        try {
          const result = await once(ctx.knex, user, values[ONCE_FIELD], `POST ${req.path}`, async () => {
            const location = await work(req, values);
            await audit(req, res, { statusCode: 303, user, details: { unit: req.params.id ?? 'new' } });
            return location;
          });
          res.redirect(303, result.kind === 'busy' ? '/units' : result.location);
        } catch (error) {
          const status = (error as { status?: number }).status ?? 400;
          if (status === 404) return message(req, res, 404, t(req, res, 'message.notFound.title'), t(req, res, 'units.missingPage', { id: String(req.params.id) }));
          await audit(req, res, { statusCode: status, user, details: { unit: req.params.id ?? 'new', refused: true } });
          await show(req, res, status, shown(req, formFromError(error, values, t(req, res, 'units.failed'), localeOf(req, res))));
        }
      });

    post(
      '/units',
      async (req, values) => {
        await createUnit(unitInput(values, localeOf(req, req.res!)), deps);
        return '/units?done=added';
      },
      ['name', 'kind', 'parentId'],
      (_req, form) => ({ add: form }),
    );
    post(
      '/units/:id',
      async (req, values) => {
        const id = positiveInt(req.params.id);
        if (id === null) throw Object.assign(new Error('no unit'), { status: 404 });
        await changeUnit(id, unitChange(values, localeOf(req, req.res!)), deps);
        return '/units?done=changed';
      },
      ['name', 'parentId'],
      (req, form) => ({ unitId: positiveInt(req.params.id) ?? 0, unit: form }),
    );
  },
};
