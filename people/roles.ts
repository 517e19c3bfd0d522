import { ROLES } from '../domain/access';
import { LOCALES } from '../domain/locale';
import { z } from '../platform/http/zod';

/**
 * Who uses Aftercare (PRODUCT §1; senior_engineer and leadership from the default escalation
 * chain). The list itself is in domain/access.ts beside the rules; admin is not a superuser.
 * Migrations copy it into CHECK constraints: adding a role needs a new migration.
 */
export { ROLES };

export const RoleSchema = z.enum(ROLES).openapi('Role');

export type Role = z.infer<typeof RoleSchema>;

export { LOCALES };

export const LocaleSchema = z.enum(LOCALES).openapi('Locale');

export type { Locale } from '../domain/locale';
