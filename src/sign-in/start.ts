import * as client from 'openid-client'
import type { Session } from '@fastify/secure-session'
import { safeNextPath } from './safe-next.ts'
import type { ProviderClient } from './provider.ts'
import type { PendingLogin } from '../types.ts'

// Parallel tabs may each start a login; keep a few pending ones, drop the oldest and stale ones. They
// live in the session cookie, which browsers drop past 4096 bytes: the pending logins get a byte budget
// (sealing and encoding add about half, the rest of the session and the cookie's attributes fit beside).
const MAX_PENDING = 5
const PENDING_BUDGET_BYTES = 1600
const PENDING_TTL_MS = 10 * 60 * 1000

export interface LoginIntent {
  /** Where to land afterwards (any value: it falls back to / unless it is a same-site path). */
  next: unknown
  /** A prompt=none re-check of an existing sign-in, not a login the person started. */
  silent?: boolean
  /** The re-check was made for a state change that was not served. */
  resubmit?: boolean
}

/**
 * Step 1, start: the authorization URL for a new login (code flow, state, nonce, PKCE S256 from
 * openid-client). Each pending login keeps all three in the encrypted session cookie, so logins started
 * in several tabs each complete (one verifier cookie would let the last tab overwrite the others).
 */
export async function startLogin (session: Session, provider: ProviderClient, settings: { scopes: string, callbackUri: string }, intent: LoginIntent): Promise<string> {
  const { config } = await provider.connected()
  const pending: PendingLogin = {
    state: client.randomState(),
    nonce: client.randomNonce(),
    codeVerifier: client.randomPKCECodeVerifier(),
    next: safeNextPath(intent.next),
    createdAt: Date.now(),
    ...(intent.silent === true ? { silent: true } : {}),
    ...(intent.resubmit === true ? { resubmit: true } : {})
  }
  const kept = [...livePending(session), pending].slice(-MAX_PENDING)
  while (kept.length > 1 && Buffer.byteLength(JSON.stringify(kept)) > PENDING_BUDGET_BYTES) kept.shift()
  session.set('pending', kept)
  return client.buildAuthorizationUrl(config, {
    redirect_uri: settings.callbackUri,
    scope: settings.scopes,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
    code_challenge_method: 'S256',
    ...(intent.silent === true ? { prompt: 'none' } : {})
  }).href
}

/** True when this browser's session holds a live pending login for `state` (the callback's rate limit). */
export function hasPendingLogin (session: Session, state: unknown): boolean {
  return typeof state === 'string' && livePending(session).some((p) => p.state === state)
}

/** Single use: the pending login matching `state` leaves the session. */
export function takePendingLogin (session: Session, state: string | undefined): PendingLogin | undefined {
  const all = livePending(session)
  const match = state === undefined ? undefined : all.find((p) => p.state === state)
  if (match !== undefined) session.set('pending', all.filter((p) => p !== match))
  return match
}

function livePending (session: Session, now = Date.now()): PendingLogin[] {
  return (session.get('pending') ?? []).filter((p) => now - p.createdAt < PENDING_TTL_MS)
}
