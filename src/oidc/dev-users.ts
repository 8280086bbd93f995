/** A user of the built-in development OpenID Connect provider (see dev-provider.ts). */
export interface DevUser {
  sub: string
  username: string
  email: string
  givenName: string
  familyName: string
  roles: string[]
}

const USERS: readonly DevUser[] = [
  { sub: 'dev-alice', username: 'alice', email: 'alice@example.com', givenName: 'Alice', familyName: 'Anderson', roles: ['admin'] },
  { sub: 'dev-bob', username: 'bob', email: 'bob@example.com', givenName: 'Bob', familyName: 'Brown', roles: ['staff'] },
  { sub: 'dev-carol', username: 'carol', email: 'carol@example.com', givenName: 'Carol', familyName: 'Clark', roles: ['user'] },
  // No role at all, so the demo can show how the app refuses such a user.
  { sub: 'dev-dave', username: 'dave', email: 'dave@example.com', givenName: 'Dave', familyName: 'Davis', roles: [] },
]

/** Fresh deep copies on every call, so tests can mutate them freely without leaking into each other. */
export function defaultDevUsers(): DevUser[] {
  return USERS.map((u) => ({ ...u, roles: [...u.roles] }))
}
