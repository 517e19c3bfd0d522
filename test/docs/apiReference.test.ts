import fs from 'node:fs';
import { API_REFERENCE_PATH, generateApiReference } from '../../scripts/apiReference';

/** docs/api.md is generated from the OpenAPI document; it may not drift from the routes. */
describe('docs/api.md', () => {
  it('is what `npm run docs:api` generates from the served OpenAPI document now', async () => {
    const committed = fs.readFileSync(API_REFERENCE_PATH, 'utf8');
    const generated = await generateApiReference();
    // On a difference: run `npm run docs:api` and commit docs/api.md.
    expect(committed).toBe(generated);
  });

  it('names every operation of the document once', async () => {
    const generated = await generateApiReference();
    for (const heading of ['### POST /api/projects', '### GET /api/tickets/{id}', '### GET /healthz']) {
      expect(generated.split('\n').filter((line) => line === heading)).toHaveLength(1);
    }
  });
});
