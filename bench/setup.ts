import type autocannon from 'autocannon'
import type { SignedIn } from './login.ts'
import { startDevProvider, type DevProvider } from '../src/oidc/dev-provider.ts'
import type { DevUser } from '../src/oidc/dev-users.ts'

const PROJECT = 'bench-project'
const CLIENT = { clientId: 'polls-bench', clientSecret: 'polls-bench-secret' }

/**
 * A real OpenID provider with the app at `appUrl` registered as its client, and users to sign in:
 * voter0…voterN-1 (role user, sub bench-voter-i), `staff` and `admin`.
 */
export async function startBenchProvider (appUrl: string, voters: number): Promise<{ provider: DevProvider, users: DevUser[] }> {
  const users: DevUser[] = [
    ...Array.from({ length: voters }, (_, i) => ({ sub: `bench-voter-${i}`, username: `voter${i}`, email: `voter${i}@example.com`, givenName: 'Voter', familyName: String(i), roles: ['user'] })),
    { sub: 'bench-staff', username: 'staff', email: 'staff@example.com', givenName: 'Staff', familyName: 'Member', roles: ['staff'] },
    { sub: 'bench-admin', username: 'admin', email: 'admin@example.com', givenName: 'Ada', familyName: 'Admin', roles: ['admin'] }
  ]
  const provider = await startDevProvider({ projectId: PROJECT, users, clients: [{ ...CLIENT, redirectUris: [`${appUrl}/oidc/callback/`], postLogoutRedirectUris: [`${appUrl}/`] }] })
  return { provider, users }
}

/** The app's environment as in production, talking to that provider. */
export function productionEnv (appUrl: string, databaseUrl: string, provider: DevProvider, concurrency = 1): Record<string, string> {
  return {
    NODE_ENV: 'production', PORT: new URL(appUrl).port, HOST: '127.0.0.1', APP_URL: appUrl, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn',
    SESSION_SECRET: 'bench-session-secret-bench-session-secret-0123456789', WEB_CONCURRENCY: String(concurrency),
    // The load is many users acting as fast as the machine allows: lift the per-user limits.
    RATE_LIMIT_LOGINS_PER_MINUTE: '1000000', RATE_LIMIT_VOTES_PER_MINUTE: '1000000',
    OIDC_OP_BASE_URL: provider.issuer, OIDC_RP_CLIENT_ID: CLIENT.clientId, OIDC_RP_CLIENT_SECRET: CLIENT.clientSecret, ZITADEL_PROJECT: PROJECT
  }
}

/**
 * The vote load: each request from the next voter in turn, alternating choices, so every request moves
 * or creates a vote (htmx, with the CSRF header, as the page sends it).
 */
export function voteRequests (questionId: number, choiceIds: number[], voters: SignedIn[]) {
  let next = 0
  return {
    method: 'POST' as const,
    path: `/polls/${questionId}/vote/`,
    setupRequest: (req: autocannon.Request) => {
      const i = next++
      const voter = voters[i % voters.length] as SignedIn
      const choice = choiceIds[Math.floor(i / voters.length) % choiceIds.length]
      return { ...req, headers: { cookie: voter.cookie, 'x-csrf-token': voter.csrfToken, 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' }, body: `choice=${choice}` }
    }
  }
}
