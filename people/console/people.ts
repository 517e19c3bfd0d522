/**
 * People administration in the console (issue #21); the use cases are people/administration.ts and
 * people/useCases.ts `invite`, shared with the API.
 *
 *   GET  /people                   the people the user administers: filters role, state, unit, text; paged
 *   GET  /people/new               invite a person       POST /people/new → 303 /people/:id
 *   GET  /people/:id               a person: change them, resend their invitation, deactivate them
 *   POST /people/:id/change        role, what they act for, unit, name, language, time zone
 *   POST /people/:id/invitation    a new invitation (the old link ends)
 *   POST /people/:id/deactivate    with its confirmation: their sessions, tokens and links end at once
 *   POST /people/:id/second-factor (admins) with its confirmation: the person's second factor and recovery
 *                                  codes removed, their sessions ended (a lost phone)
 *
 * A person the user does not administer answers 404 like a missing one. Every post is audited and
 * carries a one-time key, so a double submit does its work once.
 */
import type { Request, Response } from 'express';
import type { ConsoleArea } from '../../platform/console/context';
import { emptyForm, formFromError, formValues, formWithFieldError, type FormState } from '../../platform/console/forms';
import { PAGE_SIZE, positiveInt } from '../../platform/console/kit';
import type { MessageKey } from '../../platform/i18n/catalogue';
import { words } from '../../domain/words';
import { label } from '../../platform/console/views';
import { changePerson, deactivatePerson, getPerson, listPeople, resendInvitation } from '../administration';
import { administratorOf, fieldRefusal } from '../adminChecks';
import { administersPeople, INVITATION_STATES, type Administrator } from '../adminRules';
import { OrgUnitsRepository } from '../orgUnits';
import { ROLES, type Role } from '../roles';
import type { User } from '../repository';
import { invite } from '../useCases';
import { SecondFactorsRepository } from '../secondFactor/repository';
import { resetSecondFactor } from '../secondFactor/useCases';
import { peopleDeps } from './signIn';
import { newOnceKey, once, ONCE_FIELD } from './once';
import { accountValues, formChoices, personRows, unitChoices } from './peopleView';
import { INVITE_FIELDS, inviteInput, PERSON_FIELDS, personChange } from './personForms';

const STATE_FILTERS = [...INVITATION_STATES, 'none'] as const;
const DONE = ['invited', 'changed', 'resent', 'deactivated', 'mailFailed', 'factorReset'] as const;

/** Whom the navigation shows the people link: who administers anyone (the pages check again). */
export const showsPeople = (user: User): boolean => administersPeople({ userId: user.id, role: user.role, dealerId: user.dealerId, dealerAdmin: user.dealerAdmin ?? false });

function listHref(filter: Record<string, string>, page = 1): string {
  const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''));
  if (page > 1) query.set('page', String(page));
  const text = query.toString();
  return text ? `/people?${text}` : '/people';
}

export const peopleArea: ConsoleArea = {
  paths: ['/people', '/people/new', '/people/:id', '/people/:id/change', '/people/:id/invitation', '/people/:id/deactivate', '/people/:id/second-factor'],
  nav: [{ href: '/people', label: 'nav.people', shownTo: showsPeople }],
  register(router, ctx) {
    const { t, message, send, localeOf, signedInUser, requireUser, requireCsrf, expiredForm, audit } = ctx;
    const deps = peopleDeps(ctx);
    const units = new OrgUnitsRepository(ctx.knex);

    /** The user as an administrator, or a 403 page for who administers nobody. */
    async function administrator(req: Request, res: Response): Promise<Administrator | null> {
      const who = await administratorOf(ctx.knex, signedInUser(res)!);
      if (administersPeople(who)) return who;
      message(req, res, 403, t(req, res, 'message.badRequest'), t(req, res, 'people.forbidden'));
      return null;
    }
    const notFound = (req: Request, res: Response) => message(req, res, 404, t(req, res, 'message.notFound.title'), t(req, res, 'people.missing', { id: String(req.params.id) }));

    router.get('/people', requireUser, async (req, res) => {
      const who = await administrator(req, res);
      if (!who) return;
      const locale = localeOf(req, res);
      const raw = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : '');
      const role = ROLES.find((r) => r === raw('role'));
      const state = STATE_FILTERS.find((s) => s === raw('state'));
      const unit = positiveInt(raw('unit')) ?? undefined;
      const q = raw('q').trim().slice(0, 191);
      const page = raw('page') === '' ? 1 : positiveInt(raw('page'));
      if (page === null) return message(req, res, 400, t(req, res, 'message.badPage.title'), t(req, res, 'message.badPage.text'));
      const filter = { role: role ?? '', state: state ?? '', unit: unit ? String(unit) : '', q };
      const [found, allUnits] = await Promise.all([listPeople({ role, state, unitId: unit, q: q || undefined, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }, signedInUser(res)!, deps), units.list()]);
      const first = (page - 1) * PAGE_SIZE + 1;
      const done = DONE.find((d) => d === req.query.done);
      send(req, res, 200, 'people', {
        title: t(req, res, 'people.title'),
        notice: done ? t(req, res, `people.done.${done}` as MessageKey) : null,
        filter,
        roles: ROLES.map((r) => ({ value: r, label: label(locale, 'role', r), selected: r === role })),
        states: STATE_FILTERS.map((s) => ({ value: s, label: t(req, res, `people.state.${s}` as MessageKey), selected: s === state })),
        units: unitChoices(allUnits, locale).map((u) => ({ ...u, selected: u.value === filter.unit })),
        people: await personRows(ctx.knex, found.people, allUnits, locale),
        range: found.people.length > 0 ? { first, last: first + found.people.length - 1, of: found.total } : null,
        previous: page > 1 ? listHref(filter, page - 1) : null,
        next: page * PAGE_SIZE < found.total ? listHref(filter, page + 1) : null,
      });
    });

    async function showInvite(req: Request, res: Response, who: Administrator, status: number, form: FormState) {
      const choices = await formChoices(ctx.knex, who, await units.list(), localeOf(req, res));
      send(req, res, status, 'person-new', { title: t(req, res, 'people.invite.title'), form, choices, once: form.values[ONCE_FIELD] ?? newOnceKey() });
    }

    router.get('/people/new', requireUser, async (req, res) => {
      const who = await administrator(req, res);
      if (!who) return;
      // From a customer's contacts (?customerId=…&email=…&name=…): the form comes filled in.
      const preset = formValues(req.query, ['customerId', 'email', 'name']);
      await showInvite(req, res, who, 200, emptyForm({ locale: localeOf(req, res), ...(preset.customerId ? { role: 'customer' } : {}), ...preset }));
    });

    router.post('/people/new', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const who = await administrator(req, res);
      if (!who) return;
      const user = signedInUser(res)!;
      const values = formValues(req.body, [...INVITE_FIELDS, ONCE_FIELD]);
      try {
        const result = await once(ctx.knex, user, values[ONCE_FIELD], 'POST /people/new', async () => {
          const invited = await invite(inviteInput(values, localeOf(req, res)), user, deps);
          await audit(req, res, { statusCode: 303, user, details: { userId: invited.user.id, role: invited.user.role, mail: invited.mail } });
          return `/people/${invited.user.id}?done=${invited.mail === 'sent' ? 'invited' : 'mailFailed'}`;
        });
        if (result.kind === 'busy') return showInvite(req, res, who, 409, formWithFieldError(values, 'email', t(req, res, 'people.busy')));
        res.redirect(303, result.location);
      } catch (error) {
        const form = formFromError(error, values, t(req, res, 'people.failed'), localeOf(req, res));
        const status = (error as { status?: number }).status ?? 400;
        await audit(req, res, { statusCode: status, user, details: { refused: 'invite' } });
        await showInvite(req, res, who, status, form);
      }
    });

    async function showPerson(req: Request, res: Response, status = 200, sent: { change?: FormState; deactivate?: FormState; factor?: FormState; problem?: string } = {}) {
      const user = signedInUser(res)!;
      const id = positiveInt(req.params.id);
      // Missing and not administered answer alike; anything else is the console's 500.
      const person = id === null ? null : await getPerson(id, user, deps).catch((error: unknown) => {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      });
      if (!person) return notFound(req, res);
      const locale = localeOf(req, res);
      const who = await administratorOf(ctx.knex, user);
      const allUnits = await units.list();
      const [row] = await personRows(ctx.knex, [person], allUnits, locale);
      const choices = await formChoices(ctx.knex, who, allUnits, locale);
      // The person's own role stays on offer, so the form shows it even when the user could not give it afresh.
      if (!choices.roles.some((r) => r.value === person.role)) choices.roles.unshift({ value: person.role, label: label(locale, 'role', person.role as Role) });
      const done = DONE.find((d) => d === req.query.done);
      send(req, res, status, 'person', {
        title: person.name,
        notice: done ? t(req, res, `people.done.${done}` as MessageKey) : null,
        problem: sent.problem ?? null,
        person: row,
        change: sent.change ?? emptyForm(accountValues(person)),
        deactivateForm: sent.deactivate ?? emptyForm(),
        factorForm: sent.factor ?? emptyForm(),
        // Only an admin resets a factor (a lost phone); the section says whether there is one to reset.
        factor: user.role === 'admin' && person.active ? { enrolled: await new SecondFactorsRepository(ctx.knex).enrolled(person.id) } : null,
        choices,
        once: newOnceKey(),
        mayResend: person.active && !person.hasPassword,
        mayDeactivate: person.active && person.id !== user.id,
        actions: { resend: `/people/${person.id}/invitation`, change: `/people/${person.id}/change`, deactivate: `/people/${person.id}/deactivate`, factor: `/people/${person.id}/second-factor` },
      });
    }

    router.get('/people/:id', requireUser, async (req, res) => {
      if (!(await administrator(req, res))) return;
      await showPerson(req, res);
    });

    /** A post on a person: the work once, audited, then back to their page saying what was done (or what was wrong). */
    /** A step's work: what to say it did, and what changed for the audit row when it knows. */
    type Work = (req: Request, res: Response, id: number, values: Record<string, string>) => Promise<string | { done: string; changes: Record<string, unknown> }>;
    const act = (step: 'change' | 'invitation' | 'deactivate' | 'second-factor', work: Work) =>
      router.post(`/people/:id/${step}`, requireUser, ...requireCsrf(expiredForm), async (req, res) => {
        if (!(await administrator(req, res))) return;
        const user = signedInUser(res)!;
        const id = positiveInt(req.params.id);
        if (id === null) return notFound(req, res);
        const values = formValues(req.body, [...PERSON_FIELDS, 'confirm', ONCE_FIELD]);
        try {
          const result = await once(ctx.knex, user, values[ONCE_FIELD], `POST /people/${id}/${step}`, async () => {
            const worked = await work(req, res, id, values);
            const done = typeof worked === 'string' ? worked : worked.done;
            await audit(req, res, { statusCode: 303, user, details: { userId: id, step, ...(typeof worked === 'string' ? {} : { changes: worked.changes }) } });
            return `/people/${id}?done=${done}`;
          });
          if (result.kind === 'busy') return showPerson(req, res, 409, { problem: t(req, res, 'people.busy') });
          res.redirect(303, result.location);
        } catch (error) {
          const status = (error as { status?: number }).status ?? 400;
          if (status === 404) return notFound(req, res);
          const form = formFromError(error, values, t(req, res, 'people.failed'), localeOf(req, res));
          await audit(req, res, { statusCode: status, user, details: { userId: id, step, refused: true } });
          if (step === 'change') return showPerson(req, res, status, { change: form });
          if (step === 'deactivate' && form.errors.confirm) return showPerson(req, res, status, { deactivate: form });
          if (step === 'second-factor' && form.errors.confirm) return showPerson(req, res, status, { factor: form });
          const said = [...form.problems, ...Object.values(form.errors).flat()];
          await showPerson(req, res, status, { problem: said.join(' ') });
        }
      });

    act('change', async (req, res, id, values) => {
      const who = await administratorOf(ctx.knex, signedInUser(res)!);
      const { changes } = await changePerson(id, personChange(values, localeOf(req, res), who.role === 'admin'), signedInUser(res)!, deps);
      return { done: 'changed', changes };
    });
    act('invitation', async (req, res, id) => {
      const resent = await resendInvitation(id, signedInUser(res)!, deps);
      return resent.mail === 'sent' ? 'resent' : 'mailFailed';
    });
    act('deactivate', async (req, res, id, values) => {
      if (values.confirm !== 'true') throw fieldRefusal(400, 'validation_failed', 'confirm', words('people.deactivate.confirmRequired'));
      await deactivatePerson(id, signedInUser(res)!, deps);
      return 'deactivated';
    });
    act('second-factor', async (req, res, id, values) => {
      if (values.confirm !== 'true') throw fieldRefusal(400, 'validation_failed', 'confirm', words('people.deactivate.confirmRequired'));
      await resetSecondFactor(id, signedInUser(res)!, { knex: ctx.knex, now: ctx.now });
      return 'factorReset';
    });
  },
};
