import type { Role } from '../db/schema.ts'
import type { ProfileFromProvider } from '../db/users.ts'

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

/** The account fields the provider's claims give, as stored at login and at each renewal. */
export function profileFromClaims (claims: Record<string, unknown>, sub: string, role: Role): ProfileFromProvider {
  return {
    sub,
    username: claimString(claims, 'preferred_username', 'email', 'sub'),
    email: claimString(claims, 'email'),
    firstName: claimString(claims, 'given_name'),
    lastName: claimString(claims, 'family_name'),
    role
  }
}

function claimString (claims: Record<string, unknown>, ...names: string[]): string {
  for (const name of names) {
    const v = claims[name]
    // Claims are JSON, which can carry lone surrogates; and cutting at 200 UTF-16 units can split a
    // pair. Either would be stored as invalid UTF-8, so what is kept is made well-formed.
    if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 200).toWellFormed()
  }
  return ''
}
