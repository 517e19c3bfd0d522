/**
 * The stored policy layers (template → model → customer class) that every new contract resolves
 * through before its own overrides (see api/projects/create.ts). A layer is refused when it is not
 * a valid override, or when the policy it resolves to is not valid, since every new contract on it
 * would then fail.
 */
import { PolicyLayersRepository, type PolicyLayer, type PolicyScope } from './repository';
import { CUSTOMER_CLASSES, PolicyError, resolvePolicy, validatePolicyOverride, type PolicyIssue, type PolicyLayers, type PolicyOverride } from '../../domain/policy';
import type { AuditTarget } from '../../platform/http/audit';
import { notFound, validationFailed } from '../../platform/http/errors';
import { COLUMN, line } from '../../platform/http/fields';
import { apiModule } from '../../platform/http/module';
import { defineRoute } from '../../platform/http/route';
import { z } from '../../platform/http/zod';
import { words } from '../../domain/words';

/** The template every new contract starts from (api/projects/create.ts). */
export const DEFAULT_TEMPLATE = 'default';
export const POLICY_LAYER_ROLES = ['admin', 'service_manager'] as const;
const SCOPES = ['template', 'model', 'customer_class'] as const satisfies readonly PolicyScope[];

const LayerParams = z
  .object({
    scope: z.enum(SCOPES),
    key: line(COLUMN.key).openapi({ description: 'Template name (`default` is the one contracts use), product model, or customer class (key, long_term, regular)' }),
  })
  .refine((params) => params.scope !== 'customer_class' || (CUSTOMER_CLASSES as readonly string[]).includes(params.key), {
    path: ['key'],
    message: `a customer class is one of ${CUSTOMER_CLASSES.join(', ')}`,
  });

const PutLayerBody = z
  .strictObject({
    policy: z.record(z.string(), z.unknown()).openapi({ description: 'A policy override, as a contract’s `policy`: e.g. {"delivery": {"trialRun": "P2M"}}' }),
  })
  .openapi('PolicyLayerBody');

const PolicyLayerSchema = z
  .object({ scope: z.enum(SCOPES), key: z.string(), policy: z.record(z.string(), z.unknown()), updatedAt: z.iso.datetime() })
  .openapi('PolicyLayer');
const PolicyLayerListSchema = z.object({ layers: z.array(PolicyLayerSchema) }).openapi('PolicyLayerList');

function layerDto(layer: PolicyLayer): z.input<typeof PolicyLayerSchema> {
  return { scope: layer.scope, key: layer.key, policy: layer.override, updatedAt: layer.updatedAt.toISOString() };
}

const policyProblems = (issues: PolicyIssue[], prefix = '') => issues.map((issue) => ({ field: issue.field ? `policy.${issue.field}` : 'policy', message: `${prefix}${issue.message}` }));

/**
 * The layer combinations a new contract can meet that involve this layer: with the default
 * template under it, and (for the default template itself) under each stored model and class layer.
 */
async function combinationsWith(layers: PolicyLayersRepository, scope: PolicyScope, key: string, override: PolicyOverride): Promise<Array<{ with: string; layers: PolicyLayers }>> {
  if (scope === 'template') {
    if (key !== DEFAULT_TEMPLATE) return [{ with: 'the defaults', layers: { template: override } }];
    const others = (await layers.list()).filter((layer) => layer.scope !== 'template');
    return [
      { with: 'the defaults', layers: { template: override } },
      ...others.map((layer) => ({
        with: `the ${layer.scope} layer ${layer.key}`,
        layers: { template: override, [layer.scope === 'model' ? 'model' : 'customerClass']: layer.override as PolicyOverride },
      })),
    ];
  }
  const template = (await layers.get('template', DEFAULT_TEMPLATE))?.override as PolicyOverride | undefined;
  return [{ with: template ? `the ${DEFAULT_TEMPLATE} template` : 'the defaults', layers: { template, [scope === 'model' ? 'model' : 'customerClass']: override } }];
}

async function refuseUnresolvable(layers: PolicyLayersRepository, scope: PolicyScope, key: string, override: PolicyOverride): Promise<void> {
  for (const combination of await combinationsWith(layers, scope, key, override)) {
    try {
      resolvePolicy(combination.layers);
    } catch (error) {
      if (error instanceof PolicyError) throw validationFailed(policyProblems(error.issues, `resolved with ${combination.with}: `));
      throw error;
    }
  }
}

const list = defineRoute(
  {
    method: 'get',
    path: '/policy-layers',
    roles: [...POLICY_LAYER_ROLES],
    access: { rule: 'collection', resource: 'policy_layer', action: 'administer' },
    summary: 'List the stored policy layers',
    tags: ['policies'],
    responses: { 200: { description: 'Every layer, by scope and key', body: PolicyLayerListSchema } },
  },
  async ({ deps }) => ({ status: 200, body: { layers: (await new PolicyLayersRepository(deps.knex).list()).map(layerDto) } }),
);

const get = defineRoute(
  {
    method: 'get',
    path: '/policy-layers/:scope/:key',
    roles: [...POLICY_LAYER_ROLES],
    access: { rule: 'collection', resource: 'policy_layer', action: 'administer' },
    summary: 'One stored policy layer',
    tags: ['policies'],
    params: LayerParams,
    responses: { 200: { description: 'The layer', body: PolicyLayerSchema } },
    errors: { 404: 'No layer with this scope and key' },
  },
  async ({ params, deps }) => {
    const layer = await new PolicyLayersRepository(deps.knex).get(params.scope, params.key);
    if (!layer) throw notFound(words('schedule.policyLayerNotFound', { scope: params.scope, key: params.key }));
    return { status: 200, body: layerDto(layer) };
  },
);

const put = defineRoute(
  {
    method: 'put',
    path: '/policy-layers/:scope/:key',
    roles: [...POLICY_LAYER_ROLES],
    access: { rule: 'collection', resource: 'policy_layer', action: 'administer' },
    summary: 'Create or replace a policy layer',
    description:
      'The body’s `policy` is an override validated like a contract’s; the policy it resolves to (over the default template, or under the stored model and class layers for the default template) must be valid too. Running contracts keep the policy they were started with.',
    tags: ['policies'],
    params: LayerParams,
    body: PutLayerBody,
    responses: { 200: { description: 'Replaced', body: PolicyLayerSchema }, 201: { description: 'Created', body: PolicyLayerSchema } },
  },
  async ({ params, body, deps, res }) => {
    res.locals.audit = { entityType: 'policy_layer', entityId: `${params.scope}/${params.key}` } satisfies AuditTarget;
    const checked = validatePolicyOverride(body.policy);
    if (!checked.ok) throw validationFailed(policyProblems(checked.issues));
    const layers = new PolicyLayersRepository(deps.knex);
    await refuseUnresolvable(layers, params.scope, params.key, checked.value);
    const existed = (await layers.get(params.scope, params.key)) !== null;
    const saved = await layers.put(params.scope, params.key, checked.value as Record<string, unknown>);
    return existed ? { status: 200, body: layerDto(saved) } : { status: 201, body: layerDto(saved) };
  },
);

export const policyLayersApi = apiModule(list, get, put);
