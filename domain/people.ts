import type { Role } from './access';
import type { Locale } from './locale';

/** Someone a notice goes to: a user, a contact, a dealer's clerk. */
export interface Person {
  name: string;
  email: string;
  locale?: Locale;
}

/**
 * A person who uses Aftercare, as every layer knows them: the platform authenticates one, access
 * rules judge one, records name one. The people feature (people/) keeps and changes them.
 */
export interface User {
  id: number;
  name: string;
  email: string;
  role: Role;
  locale: Locale;
  /** The IANA time zone the person reads times in; null: the console's (Asia/Shanghai). */
  timeZone: string | null;
  /** The dealer a `dealer` user acts for; null for everyone else. */
  dealerId: number | null;
  /** The customer organisation a `customer` user acts for; null for everyone else. */
  customerId: number | null;
  active: boolean;
  createdAt: Date;
  /** A dealer user who administers their dealer's users (people administration); absent: no. */
  dealerAdmin?: boolean;
}
