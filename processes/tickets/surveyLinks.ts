import type { Knex } from 'knex';
import { insertedId, toDate, toRequiredDate } from '../../platform/db/mapping';
import { hashToken, randomToken } from '../../platform/tokens';

/** Survey links of closed tickets (migration 0017): only each token's sha256 is stored. */

export interface SurveyLink {
  id: number;
  ticketId: number;
  round: number;
  email: string;
  name: string;
  locale: 'zh-CN' | 'en';
  expiresAt: Date;
  usedAt: Date | null;
}

/** A new random link token (256 bits, URL-safe) and the hash that is stored in its place. */
export function newSurveyToken(): { token: string; hash: string } {
  const token = randomToken();
  return { token, hash: hashToken(token) };
}


type Row = Record<string, unknown>;

const fromRow = (row: Row): SurveyLink => ({
  id: Number(row.id),
  ticketId: Number(row.ticket_id),
  round: Number(row.round),
  email: String(row.email),
  name: String(row.name),
  locale: row.locale === 'en' ? 'en' : 'zh-CN',
  expiresAt: toRequiredDate(row.expires_at),
  usedAt: toDate(row.used_at),
});

export class TicketSurveyLinksRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async add(input: Omit<SurveyLink, 'id' | 'usedAt'> & { tokenHash: string }, now: Date): Promise<number> {
    const result = await this.db('ticket_survey_links').insert({
      ticket_id: input.ticketId,
      round: input.round,
      email: input.email,
      name: input.name.slice(0, 191),
      locale: input.locale,
      token_hash: input.tokenHash,
      expires_at: input.expiresAt,
      created_at: now,
    });
    return insertedId(result);
  }

  async byToken(token: string): Promise<SurveyLink | null> {
    // Only well-formed tokens are looked up: anything else cannot be one of ours.
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const row = (await this.db('ticket_survey_links').where({ token_hash: hashToken(token) }).first()) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Marks every link of the ticket's round used: the survey is answered once, through any of them. */
  async useRound(ticketId: number, round: number, now: Date): Promise<void> {
    await this.db('ticket_survey_links').where({ ticket_id: ticketId, round }).whereNull('used_at').update({ used_at: now });
  }
}
