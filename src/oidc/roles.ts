import type { Role } from '../db/schema.ts'

const RANK: Record<Role, number> = { user: 1, staff: 2, admin: 3 }

export function rolesClaimNames (projectId: string): string[] {
  return [`urn:zitadel:iam:org:project:${projectId}:roles`, 'urn:zitadel:iam:org:project:roles']
}

/**
 * ZITADEL sends roles as an object keyed by role name (values name the granting orgs).
 * The project-specific claim wins; the generic one is the fallback. Several roles → the highest.
 * Returns undefined when the user has none of our roles: such a user is refused.
 */
export function mapRolesFromClaims (claimSets: Array<Record<string, unknown> | undefined>, projectId: string): Role | undefined {
  for (const name of rolesClaimNames(projectId)) {
    for (const claims of claimSets) {
      const value = claims?.[name]
      if (value === undefined || value === null) continue
      return highestRole(roleNames(value))
    }
  }
  return undefined
}

function roleNames (value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  if (typeof value === 'object' && value !== null) return Object.keys(value)
  return []
}

export function highestRole (names: string[]): Role | undefined {
  let best: Role | undefined
  for (const name of names) {
    if (!Object.hasOwn(RANK, name)) continue
    const role = name as Role
    if (best === undefined || RANK[role] > RANK[best]) best = role
  }
  return best
}

/** admin ⊃ staff ⊃ user */
export function roleAtLeast (role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required]
}
