/**
 * Starting a project: records the customer, contract (with its frozen policy), devices and project
 * with its process's pending start, then starts the workflow (platform/temporal/processStarts.ts).
 */
import type { z } from 'zod';
import { ConflictError } from '../../../platform/db/errors';
import { words } from '../../../domain/words';
import { ContractsRepository } from '../../../installedBase/contracts';
import { CustomersRepository, type Customer } from '../../../installedBase/customers';
import { DevicesRepository } from '../../../installedBase/devices';
import { PolicyLayersRepository } from '../../../schedule/policies/repository';
import { ProjectAccessRepository } from '../projectAccess';
import { ProjectsRepository, type Project } from '../repository';
import { UsersRepository, type User } from '../../../people/repository';
import { canRead, forbiddenPolicyFields, projectFacts, PROJECT_MANAGER_ROLES } from '../../../domain/access';
import { PolicyError, resolvePolicy, validatePolicyOverride, type PolicyOverride, type ServicePolicy } from '../../../domain/policy';
import { projectDelivery } from '../projectDelivery.workflow';
import { projectWorkflowId, type ProjectDeliveryInput } from '../messages';
import { CONTRACT_NO_ATTRIBUTE, CUSTOMER_ID_ATTRIBUTE, STAGE_ATTRIBUTE } from '../../../platform/temporal/searchAttributes';
import { principalOf } from '../../../platform/http/access';
import { ApiError, conflict, unavailable, validationFailed } from '../../../platform/http/errors';
import type { ApiDeps } from '../../../platform/http/module';
import { createAndStart, storedAttribute } from '../../../platform/temporal/processStarts';
import type { CreateProjectBody } from './schemas';

type CreateProjectInput = z.output<typeof CreateProjectBody>;

/** Contract overrides over the stored layers: template 'default' → device model → customer class. */
async function resolveProjectPolicy(deps: ApiDeps, body: CreateProjectInput, customerClass: string): Promise<{ overrides: PolicyOverride; policy: ServicePolicy }> {
  const checked = validatePolicyOverride(body.policy ?? {});
  if (!checked.ok) throw validationFailed(checked.issues.map((issue) => ({ field: `policy.${issue.field}`, message: issue.message })));
  const layers = new PolicyLayersRepository(deps.knex);
  const [template, model, klass] = await Promise.all([layers.get('template', 'default'), layers.get('model', body.devices[0]!.model), layers.get('customer_class', customerClass)]);
  try {
    const policy = resolvePolicy({
      template: template?.override as PolicyOverride | undefined,
      model: model?.override as PolicyOverride | undefined,
      customerClass: klass?.override as PolicyOverride | undefined,
      contract: checked.value,
    });
    return { overrides: checked.value, policy };
  } catch (error) {
    if (error instanceof PolicyError) throw validationFailed(error.issues.map((issue) => ({ field: `policy.${issue.field}`, message: issue.message })));
    throw error;
  }
}

function workflowInput(project: Project, customer: Customer, body: CreateProjectInput, policy: ServicePolicy): ProjectDeliveryInput {
  return {
    projectId: project.id,
    contractNo: project.contractNo,
    name: project.name,
    customer: {
      id: customer.id,
      name: customer.name,
      timeZone: customer.timeZone,
      contacts: customer.contacts.map((c) => ({ name: c.name, email: c.email, locale: c.locale })),
    },
    projectManager: body.projectManager,
    serviceManager: body.serviceManager,
    devices: body.devices,
    policy,
  };
}

/** Commercial terms are the service manager's: anyone else setting one gets 403 naming each field. */
function requireCommercialAuthority(caller: User, body: CreateProjectInput): void {
  const fields = forbiddenPolicyFields(caller.role, body.policy ?? {});
  if (fields.length === 0) return;
  const details = fields.map((field) => ({ field: `policy.${field}`, message: 'a commercial term: only a service manager may override it' }));
  throw new ApiError(403, 'forbidden', `Only a service manager may override commercial policy terms: ${details.map((d) => d.field).join(', ')}`, details);
}

/** The project_manager user who will manage the project: named, else the calling PM, else the PM with the contact's e-mail. */
async function projectManagerUserId(deps: ApiDeps, body: CreateProjectInput, caller: User): Promise<number | null> {
  const users = new UsersRepository(deps.knex);
  if (body.projectManagerUserId !== undefined) {
    const named = await users.get(body.projectManagerUserId);
    if (!named || !named.active || !PROJECT_MANAGER_ROLES.includes(named.role)) {
      throw validationFailed([{ field: 'projectManagerUserId', message: `user ${body.projectManagerUserId} is not an active project manager` }]);
    }
    return named.id;
  }
  if (PROJECT_MANAGER_ROLES.includes(caller.role)) return caller.id;
  const byEmail = await users.getByEmail(body.projectManager.email);
  return byEmail && byEmail.active && PROJECT_MANAGER_ROLES.includes(byEmail.role) ? byEmail.id : null;
}

/**
 * The same contract number again answers with the existing project, but only to a caller who may
 * read it; to anyone else it is a taken number (409), never another manager's project.
 */
function existingFor(caller: User, project: Project): { project: Project; created: false } {
  if (!canRead(principalOf(caller), projectFacts(project))) throw conflict(words('refusal.project.contractInUse', { contractNo: project.contractNo }));
  return { project, created: false };
}

export async function createProject(deps: ApiDeps, body: CreateProjectInput, caller: User): Promise<{ project: Project; created: boolean }> {
  requireCommercialAuthority(caller, body);
  const projects = new ProjectsRepository(deps.knex);
  const existing = await projects.getByContractNo(body.contractNo);
  if (existing) return existingFor(caller, existing);
  const managerUserId = await projectManagerUserId(deps, body, caller);
  if (!deps.temporal) throw unavailable('No process engine configured');

  const existingCustomer = body.customerId ? await new CustomersRepository(deps.knex).get(body.customerId) : null;
  if (body.customerId && !existingCustomer) throw validationFailed([{ field: 'customerId', message: `no customer ${body.customerId}` }]);
  const { overrides, policy } = await resolveProjectPolicy(deps, body, existingCustomer?.class ?? body.customer!.class);
  const taken = await new DevicesRepository(deps.knex).serialsTaken(body.devices.map((d) => d.serial));
  if (taken.length > 0) {
    // A concurrent request with this contract number may have just registered them: answer with its project.
    const winner = await projects.getByContractNo(body.contractNo);
    if (winner) return existingFor(caller, winner);
    throw conflict(words('refusal.project.serialsTaken', { serials: taken.join(', ') }), { serials: taken });
  }

  const engine = deps.temporal;
  let project: Project;
  try {
    // The rows and the process's pending start in one transaction; the start follows the commit.
    project = await createAndStart(deps.knex, engine, async (trx) => {
      const customer = existingCustomer ?? (await new CustomersRepository(trx).create({ ...body.customer!, contacts: body.customer!.contacts.map((c, i) => ({ ...c, isPrimary: i === 0 })) }));
      const contract = await new ContractsRepository(trx).create({ customerId: customer.id, contractNo: body.contractNo, kind: 'project', policyOverrides: overrides, resolvedPolicy: policy });
      const repo = new ProjectsRepository(trx);
      const created = await repo.create({ customerId: customer.id, contractId: contract.id, contractNo: body.contractNo, name: body.name, projectManager: body.projectManager, serviceManager: body.serviceManager ?? null, stage: 'awaiting_kickoff' });
      await new DevicesRepository(trx).createMany(customer.id, body.devices.map((d) => ({ model: d.model, brand: d.brand, serial: d.serial, projectId: created.id })));
      if (managerUserId !== null) await new ProjectAccessRepository(trx).setManagerUser(created.id, managerUserId);
      const record = await repo.setWorkflowId(created.id, projectWorkflowId(created.id));
      const start = {
        workflowType: projectDelivery.name,
        workflowId: record.workflowId!,
        input: workflowInput(record, customer, body, policy),
        searchAttributes: [storedAttribute(STAGE_ATTRIBUTE, 'awaiting_kickoff'), storedAttribute(CONTRACT_NO_ATTRIBUTE, body.contractNo), storedAttribute(CUSTOMER_ID_ATTRIBUTE, String(customer.id))],
      };
      return { record, start };
    });
  } catch (error) {
    // Two requests with the same contract number raced: the other one won, answer with its project.
    if (error instanceof ConflictError) {
      const winner = await projects.getByContractNo(body.contractNo);
      if (winner) return existingFor(caller, winner);
    }
    throw error;
  }
  return { project, created: true };
}
