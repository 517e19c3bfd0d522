/**
 * Organisational units (issue #21): a region or a team, under an optional parent. Pure.
 *
 * - Parents never form a cycle: a unit is never moved under itself or one of its own units.
 * - A region sits at the top or under a region; a team under a region or a team (a team never
 *   holds a region). Later kinds (offices, repair points) add their rows here.
 */
export const ORG_UNIT_KINDS = ['region', 'team'] as const;
export type OrgUnitKind = (typeof ORG_UNIT_KINDS)[number];

/** The kinds a unit of each kind may sit under; `null` stands for the top. */
export const PARENT_KINDS: Readonly<Record<OrgUnitKind, ReadonlyArray<OrgUnitKind | null>>> = {
  region: [null, 'region'],
  team: [null, 'region', 'team'],
};

export const isOrgUnitKind = (value: unknown): value is OrgUnitKind => typeof value === 'string' && (ORG_UNIT_KINDS as readonly string[]).includes(value);

export function parentKindAllowed(kind: OrgUnitKind, parentKind: OrgUnitKind | null): boolean {
  return PARENT_KINDS[kind].includes(parentKind);
}

/** Whether putting `unitId` under `parentId` makes a cycle, given each unit's current parent. */
export function makesCycle(unitId: number, parentId: number | null, parentOf: ReadonlyMap<number, number | null>): boolean {
  const seen = new Set<number>();
  for (let at = parentId; at !== null; at = parentOf.get(at) ?? null) {
    if (at === unitId || seen.has(at)) return true;
    seen.add(at);
  }
  return false;
}

export interface TreeUnit {
  id: number;
  parentId: number | null;
  name: string;
}

/** Units in tree order (each after its parent, siblings by name), with their depth. */
export function treeOrder<U extends TreeUnit>(units: readonly U[]): Array<U & { depth: number }> {
  const children = new Map<number | null, U[]>();
  for (const unit of units) {
    const key = unit.parentId !== null && units.some((u) => u.id === unit.parentId) ? unit.parentId : null;
    children.set(key, [...(children.get(key) ?? []), unit]);
  }
  const out: Array<U & { depth: number }> = [];
  const walk = (parent: number | null, depth: number) => {
    for (const unit of [...(children.get(parent) ?? [])].sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.some((u) => u.id === unit.id)) continue;
      out.push({ ...unit, depth });
      walk(unit.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}
