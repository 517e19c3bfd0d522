/**
 * Who uses Aftercare (PRODUCT §1; senior_engineer and leadership from the default escalation
 * chain). The list itself is in domain/access.ts beside the rules; admin is not a superuser.
 * Migrations copy it into CHECK constraints: adding a role needs a new migration. The schemas are
 * the HTTP kit's (platform/http/fields.ts); this module gathers them for the people feature.
 */
export { ROLES, type Role } from '../domain/access';
export { LOCALES, type Locale } from '../domain/locale';
export { LocaleSchema, RoleSchema } from '../platform/http/fields';
