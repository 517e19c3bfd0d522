import type { Locale } from './locale';

/** Someone a notice goes to: a user, a contact, a dealer's clerk. */
export interface Person {
  name: string;
  email: string;
  locale?: Locale;
}
