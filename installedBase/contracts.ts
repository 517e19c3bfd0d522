import type { Knex } from 'knex';
import { ConflictError, isForeignKeyViolation, isUniqueViolation, NotFoundError } from '../platform/db/errors';
import { fromJson, insertedId, toDate, toJson, toRequiredDate } from '../platform/db/mapping';
import type { PolicyDocument } from '../schedule/policies/repository';
import { words } from '../domain/words';

export type ContractKind = 'project' | 'maintenance' | 'sale';

export interface Contract {
  id: number;
  customerId: number;
  contractNo: string;
  kind: ContractKind;
  /** What the contract asked for on top of the template, model and customer-class layers. */
  policyOverrides: PolicyDocument;
  /** The policy frozen when the contract started (PRODUCT §2): later template edits do not touch it. */
  resolvedPolicy: PolicyDocument;
  signedAt: Date | null;
  createdAt: Date;
}

export interface NewContract {
  customerId: number;
  contractNo: string;
  kind: ContractKind;
  policyOverrides: PolicyDocument;
  resolvedPolicy: PolicyDocument;
  signedAt?: Date | null;
}

interface ContractRow {
  id: number;
  customer_id: number;
  contract_no: string;
  kind: ContractKind;
  policy_overrides: unknown;
  resolved_policy: unknown;
  signed_at: unknown;
  created_at: unknown;
}

function toContract(row: ContractRow): Contract {
  return {
    id: Number(row.id),
    customerId: Number(row.customer_id),
    contractNo: row.contract_no,
    kind: row.kind,
    policyOverrides: fromJson<PolicyDocument>(row.policy_overrides),
    resolvedPolicy: fromJson<PolicyDocument>(row.resolved_policy),
    signedAt: toDate(row.signed_at),
    createdAt: toRequiredDate(row.created_at),
  };
}

/** Contract numbers match exactly (binary collation on MySQL); stray whitespace is never part of one. */
/** Contract numbers are compared trimmed, wherever they are stored. */
export function normalizeContractNo(contractNo: string): string {
  return contractNo.trim();
}

export class ContractsRepository {
  constructor(private readonly db: Knex) {}

  /** ConflictError if the contract number is taken; NotFoundError if the customer is unknown. */
  async create(input: NewContract, now: Date = new Date()): Promise<Contract> {
    const contractNo = normalizeContractNo(input.contractNo);
    try {
      const id = insertedId(
        await this.db('contracts').insert({
          customer_id: input.customerId,
          contract_no: contractNo,
          kind: input.kind,
          policy_overrides: toJson(input.policyOverrides),
          resolved_policy: toJson(input.resolvedPolicy),
          signed_at: input.signedAt ?? null,
          created_at: now,
        }),
      );
      return await this.require(id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(words('installedBase.contractTaken', { contractNo }), { contractNo }, { cause: error });
      if (isForeignKeyViolation(error)) throw new NotFoundError(words('installedBase.customerNotFound', { customerId: input.customerId }), { customerId: input.customerId });
      throw error;
    }
  }

  async get(id: number): Promise<Contract | null> {
    const row = (await this.db('contracts').where({ id }).first()) as ContractRow | undefined;
    return row ? toContract(row) : null;
  }

  async getByContractNo(contractNo: string): Promise<Contract | null> {
    const row = (await this.db('contracts').where({ contract_no: normalizeContractNo(contractNo) }).first()) as ContractRow | undefined;
    return row ? toContract(row) : null;
  }

  private async require(id: number): Promise<Contract> {
    const contract = await this.get(id);
    if (!contract) throw new NotFoundError(words('installedBase.contractNotFound', { contractId: id }), { contractId: id });
    return contract;
  }
}
