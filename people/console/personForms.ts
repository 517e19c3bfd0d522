/**
 * The people pages' forms as use-case input: the posted strings checked with the API's own field
 * schemas (platform/http/fields.ts), so a bad value is refused beside its field in the reader's
 * language and nothing is written. An empty select or text means "none".
 */
import type { Locale } from '../../domain/locale';
import { EmailSchema, IdSchema, line, TimeZoneSchema } from '../../platform/http/fields';
import { parseOrRefuse } from '../../platform/http/problemMessages';
import { z } from '../../platform/http/zod';
import type { PersonChange } from '../administration';
import { LocaleSchema, RoleSchema } from '../roles';
import { ORG_UNIT_KINDS } from '../unitRules';
import type { InviteInput } from '../useCases';

export const PERSON_FIELDS = ['name', 'role', 'locale', 'timeZone', 'customerId', 'dealerId', 'orgUnitId', 'dealerAdmin'] as const;
export const INVITE_FIELDS = ['email', ...PERSON_FIELDS] as const;

const optionalId = z.preprocess((v) => (v === '' || v === undefined ? undefined : Number(v)), IdSchema.optional());
const blankless = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== ''));

const InviteForm = z.object({
  email: EmailSchema,
  name: line(),
  role: RoleSchema,
  locale: LocaleSchema.optional(),
  timeZone: TimeZoneSchema.optional(),
  customerId: optionalId,
  dealerId: optionalId,
  orgUnitId: optionalId,
  dealerAdmin: z.literal('true').optional(),
});

export function inviteInput(values: Record<string, string>, locale: Locale): InviteInput {
  const parsed = parseOrRefuse(InviteForm, blankless(values), locale);
  return { ...parsed, dealerAdmin: parsed.dealerAdmin === 'true' };
}

const ChangeForm = z.object({
  name: line(),
  role: RoleSchema,
  locale: LocaleSchema,
  timeZone: TimeZoneSchema.optional(),
  customerId: optionalId,
  dealerId: optionalId,
  orgUnitId: optionalId,
  dealerAdmin: z.literal('true').optional(),
});

/** The whole account as the form shows it: a field left empty is cleared. */
export function personChange(values: Record<string, string>, locale: Locale, offersDealerAdmin: boolean): PersonChange {
  const parsed = parseOrRefuse(ChangeForm, blankless(values), locale);
  return {
    name: parsed.name,
    role: parsed.role,
    locale: parsed.locale,
    timeZone: parsed.timeZone ?? null,
    customerId: parsed.customerId ?? null,
    dealerId: parsed.dealerId ?? null,
    orgUnitId: parsed.orgUnitId ?? null,
    ...(offersDealerAdmin ? { dealerAdmin: parsed.dealerAdmin === 'true' } : {}),
  };
}

const UnitForm = z.object({ name: line(120), kind: z.enum(ORG_UNIT_KINDS), parentId: optionalId });
export function unitInput(values: Record<string, string>, locale: Locale) {
  const parsed = parseOrRefuse(UnitForm, blankless(values), locale);
  return { name: parsed.name, kind: parsed.kind, parentId: parsed.parentId ?? null };
}

const UnitChangeForm = z.object({ name: line(120), parentId: optionalId });
export function unitChange(values: Record<string, string>, locale: Locale) {
  const parsed = parseOrRefuse(UnitChangeForm, blankless(values), locale);
  return { name: parsed.name, parentId: parsed.parentId ?? null };
}
