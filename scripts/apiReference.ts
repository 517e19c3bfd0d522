/**
 * docs/api.md from the OpenAPI document, as the API serves it at /api/openapi.json: the same app
 * (createApp with every feature module of api/index.ts), asked over HTTP on a free loopback port.
 * The document is built from the routes' own schemas, so the reference cannot say other than what
 * the API validates. `npm run docs:api` writes the file; test/docs/apiReference.test.ts fails when
 * the committed file differs from what this script writes now.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { startApiServer } from '../platform/http';
import { createApp } from '../api/app';
import { apiModules } from '../api/index';

// Parsed JSON: the OpenAPI document is walked freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export const API_REFERENCE_PATH = path.join(__dirname, '..', 'docs', 'api.md');

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The document /api/openapi.json answers. No request reaches the database: serving it reads none. */
export async function servedOpenApiDocument(): Promise<Json> {
  // A database is required by createApp, never opened for this request (better-sqlite3 connects on first query).
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  const app = createApp({ knex, routers: apiModules });
  const server = await startApiServer(app, 0, '127.0.0.1');
  try {
    const response = await fetch(`${server.url}/api/openapi.json`);
    if (!response.ok) throw new Error(`GET /api/openapi.json answered ${response.status}`);
    return await response.json();
  } finally {
    await server.close();
    await knex.destroy();
  }
}

function refName(ref: string): string {
  return ref.replace(/^#\/components\/schemas\//, '');
}

function resolve(document: Json, schema: Json): Json {
  let at = schema;
  for (let depth = 0; at?.$ref && depth < 20; depth += 1) {
    at = at.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node: Json, key: string) => (node === undefined ? undefined : node[key]), document);
  }
  return at;
}

/** One line, safe inside a table cell. */
function cell(text: unknown): string {
  return String(text ?? '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

/** A short type for a schema: `string (email)`, `integer`, `"a" \| "b"`, `Money`, `array of Line`. */
function typeOf(document: Json, schema: Json, depth = 0): string {
  if (!schema || depth > 4) return '';
  if (schema.$ref) return refName(schema.$ref);
  if (schema.enum) return schema.enum.map((value: unknown) => JSON.stringify(value)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[key])) {
      const parts = schema[key].filter((part: Json) => part?.type !== 'null').map((part: Json) => typeOf(document, part, depth + 1));
      return [...new Set(parts)].join(' or ');
    }
  }
  if (Array.isArray(schema.allOf)) {
    // zod-to-openapi puts a described reference as allOf [the reference, { description }].
    const parts = schema.allOf.map((part: Json) => typeOf(document, part, depth + 1)).filter((part: string) => part !== 'any');
    return parts.join(' and ') || 'any';
  }
  const type = Array.isArray(schema.type) ? schema.type.filter((t: string) => t !== 'null').join(' or ') : schema.type;
  if (type === 'array') return `array of ${typeOf(document, schema.items, depth + 1) || 'any'}`;
  if (type === 'string' && schema.format) return `string (${schema.format})`;
  return type ?? 'any';
}

interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

/** The fields of an object schema, nested objects as dotted names (one level of arrays of objects as `name[]`). */
function fieldsOf(document: Json, schema: Json, prefix = '', depth = 0): FieldRow[] {
  const object = resolve(document, schema);
  if (!object || depth > 3) return [];
  if (Array.isArray(object.allOf)) return object.allOf.flatMap((part: Json) => fieldsOf(document, part, prefix, depth));
  if (!object.properties) return [];
  const required = new Set<string>(object.required ?? []);
  const rows: FieldRow[] = [];
  for (const [name, property] of Object.entries<Json>(object.properties)) {
    const full = `${prefix}${name}`;
    const resolved = resolve(document, property);
    const description = property.description ?? property.allOf?.find((part: Json) => part.description)?.description ?? resolved?.description ?? '';
    rows.push({ name: full, type: typeOf(document, property), required: required.has(name), description });
    if (!property.$ref && resolved?.type === 'object' && resolved.properties) rows.push(...fieldsOf(document, resolved, `${full}.`, depth + 1));
    const items = resolved?.type === 'array' ? resolved.items : undefined;
    if (items && !items.$ref && resolve(document, items)?.properties) rows.push(...fieldsOf(document, items, `${full}[].`, depth + 1));
  }
  return rows;
}

function fieldTable(rows: FieldRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    '| Field | Type | Required | Description |',
    '|---|---|---|---|',
    ...rows.map((row) => `| \`${row.name}\` | ${cell(row.type)} | ${row.required ? 'yes' : 'no'} | ${cell(row.description)} |`),
    '',
  ];
}

function anchorOf(method: string, apiPath: string): string {
  return `${method} ${apiPath}`
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

function operationSection(document: Json, method: string, apiPath: string, operation: Json): string[] {
  const lines = [`### ${method.toUpperCase()} ${apiPath}`, ''];
  if (operation.summary) lines.push(operation.summary, '');
  if (operation.description) lines.push(operation.description, '');

  const parameters: Json[] = (operation.parameters ?? []).map((parameter: Json) => resolve(document, parameter));
  if (parameters.length > 0) {
    lines.push('Parameters:', '', '| Name | In | Type | Required | Description |', '|---|---|---|---|---|');
    for (const parameter of parameters) {
      const description = parameter.description ?? resolve(document, parameter.schema)?.description ?? '';
      lines.push(`| \`${parameter.name}\` | ${parameter.in} | ${cell(typeOf(document, parameter.schema))} | ${parameter.required ? 'yes' : 'no'} | ${cell(description)} |`);
    }
    lines.push('');
  }

  const body = operation.requestBody?.content?.['application/json']?.schema;
  if (body) {
    const named = body.$ref ? ` (\`${refName(body.$ref)}\`)` : '';
    const rows = fieldsOf(document, body);
    lines.push(`Request body${named}:`, '');
    if (rows.length > 0) lines.push(...fieldTable(rows));
    else lines.push(`A JSON ${typeOf(document, body)}.`, '');
  }

  lines.push('Responses:', '', '| Status | Description | Body |', '|---|---|---|');
  for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
    const schema = response.content?.['application/json']?.schema;
    const other = response.content ? Object.keys(response.content).filter((type) => type !== 'application/json') : [];
    const shape = schema ? typeOf(document, schema) : other.join(', ');
    lines.push(`| ${status} | ${cell(response.description)} | ${cell(shape)} |`);
  }
  lines.push('');
  return lines;
}

/** docs/api.md: an index by tag, then every operation in the document's order of paths. */
export function apiReferenceMarkdown(document: Json): string {
  const operations: Array<{ method: string; path: string; operation: Json }> = [];
  for (const [apiPath, item] of Object.entries<Json>(document.paths ?? {})) {
    for (const method of METHODS) if (item[method]) operations.push({ method, path: apiPath, operation: item[method] });
  }

  const lines = [
    '# API reference',
    '',
    '<!-- Generated from the OpenAPI document (/api/openapi.json) by `npm run docs:api` (scripts/apiReference.ts). Do not edit by hand: change the routes, then run the script. -->',
    '',
    `Generated by \`npm run docs:api\` from the OpenAPI document the API serves at \`GET /api/openapi.json\` (${document.info?.title ?? 'API'} ${document.info?.version ?? ''}). Do not edit this file by hand; a test fails when it differs from what the script generates.`,
    '',
    document.info?.description ?? '',
    '',
    'Every path is under the API’s address (`http://localhost:3000` under `npm start`). Operations that name a bearer token take `Authorization: Bearer <token>`. `x-roles` and `x-access` in the document say who may call each one; the text below says the same as “Allowed”.',
    '',
    '## Operations',
    '',
    '| Method | Path | Summary |',
    '|---|---|---|',
    ...operations.map(({ method, path: apiPath, operation }) => `| ${method.toUpperCase()} | [\`${apiPath}\`](#${anchorOf(method, apiPath)}) | ${cell(operation.summary)} |`),
    '',
    '## Endpoints',
    '',
  ];
  for (const { method, path: apiPath, operation } of operations) lines.push(...operationSection(document, method, apiPath, operation));

  const schemas = document.components?.schemas ?? {};
  const names = Object.keys(schemas);
  if (names.length > 0) {
    lines.push('## Schemas', '', 'Named schemas the operations above refer to.', '');
    for (const name of names) {
      const schema = schemas[name];
      lines.push(`### ${name}`, '');
      if (schema.description) lines.push(cell(schema.description), '');
      const rows = fieldsOf(document, schema);
      if (rows.length > 0) lines.push(...fieldTable(rows));
      else lines.push(`${cell(typeOf(document, { ...schema, description: undefined }))}`, '');
    }
  }
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

export async function generateApiReference(): Promise<string> {
  return apiReferenceMarkdown(await servedOpenApiDocument());
}

if (require.main === module) {
  generateApiReference()
    .then((markdown) => {
      fs.mkdirSync(path.dirname(API_REFERENCE_PATH), { recursive: true });
      fs.writeFileSync(API_REFERENCE_PATH, markdown);
      console.log(`wrote ${path.relative(process.cwd(), API_REFERENCE_PATH)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
