import { z } from './zod';

/** Who uses Aftercare (PRODUCT.md §1). A route names the roles it admits; admin is not a superuser. */
export const ROLES = [
  'admin',
  'project_manager',
  'dispatcher',
  'engineer',
  'service_manager',
  'technical_appraiser',
  'sales_clerk',
  'finance',
  'dealer',
  'customer',
] as const;

export const RoleSchema = z.enum(ROLES).openapi('Role');

export type Role = z.infer<typeof RoleSchema>;

export const LOCALES = ['zh-CN', 'en'] as const;

export const LocaleSchema = z.enum(LOCALES).openapi('Locale');

export type Locale = z.infer<typeof LocaleSchema>;
