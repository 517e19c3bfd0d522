import type { NextFunction, Request, Response } from 'express';
import type { User } from '../../domain/people';
import { forbidden, unauthenticated } from './errors';
import { words } from '../../domain/words';
import type { Role } from '../../domain/access';

/** Who a bearer token belongs to (an active person), or null: the people feature answers (people/repository.ts `authenticate`). */
export type IdentifyToken = (token: string) => Promise<User | null>;

/** Who may call a route: anyone, any signed-in user, or users with one of the roles. */
export type Access = 'public' | 'authenticated' | readonly Role[];

type Caller = { user: User } | { problem: 'missing' | 'invalid' };

const CALLER = 'caller';

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/**
 * Resolves the bearer token for every /api request, before the body is read, so even requests
 * rejected early (bad JSON, unknown route) are attributed in the audit trail. Never rejects by
 * itself: each route decides what access it needs.
 */
export function identifyCaller(identify: IdentifyToken) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.get('authorization');
    if (!header) {
      res.locals[CALLER] = { problem: 'missing' } satisfies Caller;
      return next();
    }
    const token = bearerToken(header);
    const user = token ? await identify(token) : null;
    res.locals[CALLER] = (user ? { user } : { problem: 'invalid' }) satisfies Caller;
    next();
  };
}

export function callerOf(res: Response): User | null {
  const caller = res.locals[CALLER] as Caller | undefined;
  return caller && 'user' in caller ? caller.user : null;
}

/** The caller when `access` admits them; otherwise throws the 401 or 403 to answer. */
export function requireAccess(access: Access, res: Response): User | null {
  if (access === 'public') return callerOf(res);
  const caller = res.locals[CALLER] as Caller | undefined;
  if (!caller || !('user' in caller)) {
    throw caller?.problem === 'invalid'
      ? unauthenticated(words('api.unauthenticated.invalid'))
      : unauthenticated(words('api.unauthenticated.missing'));
  }
  if (access !== 'authenticated' && !access.includes(caller.user.role)) {
    throw forbidden(words('api.forbidden.role', { role: caller.user.role, roles: access.join(', ') }));
  }
  return caller.user;
}
