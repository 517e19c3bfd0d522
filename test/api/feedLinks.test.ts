/**
 * The calendar feed's links come from AFTERCARE_PUBLIC_URL, never from the request's Host header: a
 * client that forges one must not get its own address into a feed URL or a calendar. No Temporal.
 */
import http from 'node:http';
import { createApp } from '../../api/app';
import { startApiServer, type ApiServer } from '../../platform/http';
import { UsersRepository } from '../../people/repository';
import { visitFeedModule } from '../../schedule/calendars/visitFeed';
import { createTestDatabase, type TestDatabase } from '../support/db';

const PUBLIC_URL = 'https://aftercare.example.test';
const FORGED = 'evil.example.test';

let db: TestDatabase;
let server: ApiServer;

/** A request with the Host header we choose (fetch would not let us forge it). */
function request(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startApiServer(createApp({ knex: db.knex, publicUrl: PUBLIC_URL, routers: [visitFeedModule] }), 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

it('writes the feed’s address and its events’ links from AFTERCARE_PUBLIC_URL whatever Host the request names', async () => {
  const users = new UsersRepository(db.knex);
  const engineer = await users.create({ name: 'Feed Engineer', email: 'feed.engineer@links.test', role: 'engineer', locale: 'en' });
  const token = await users.issueToken(engineer.id, 'test');
  const issued = await request('POST', `/api/engineers/${engineer.id}/calendar-feed`, { authorization: `Bearer ${token}`, host: FORGED, 'x-forwarded-host': FORGED });
  expect(issued.status).toBe(201);
  const { url } = JSON.parse(issued.text) as { url: string };
  expect(url.startsWith(`${PUBLIC_URL}/api/engineers/${engineer.id}/visits.ics?token=`)).toBe(true);
  expect(issued.text).not.toContain(FORGED);

  // The events' links are written from the same consoleUrl (visitsCalendar, test/api/visitFeed.test.ts).
  const feed = new URL(url);
  const calendar = await request('GET', feed.pathname + feed.search, { host: FORGED });
  expect(calendar.status).toBe(200);
  expect(calendar.text).toContain('BEGIN:VCALENDAR');
  expect(calendar.text).not.toContain(FORGED);
});
