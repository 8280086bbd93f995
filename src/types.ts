import type { AppConfig } from './config.ts'
import type { Db } from './db/client.ts'
import type { AdminStore, PollStore, SessionStore, UserStore } from './db/store.ts'
import type { SqliteStore } from './db/sqlite-store.ts'
import type { PostgresStore } from './db/postgres/store.ts'
import type { Role, User } from './db/schema.ts'
import type { preHandlerAsyncHookHandler } from 'fastify'

/** A login that was started but has not reached the callback yet. */
export interface PendingLogin {
  state: string
  nonce: string
  codeVerifier: string
  next: string
  createdAt: number
  /** A prompt=none re-check of an existing sign-in (session renewal), not a login the person started. */
  silent?: boolean
  /** The re-check was made for a state change that was not served: the page asks to send it again. */
  resubmit?: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
    /** The store of DATABASE_URL; narrow on `kind` for what only one database has. */
    store: SqliteStore | PostgresStore
    /** SQLite only (tests and tools that look at the file itself); not decorated on PostgreSQL. */
    db: Db
    polls: PollStore
    users: UserStore
    sessions: SessionStore
    admin: AdminStore
    requireLogin: preHandlerAsyncHookHandler
    requireRole: (role: Role) => preHandlerAsyncHookHandler
  }
  interface FastifyRequest {
    user: User | null
    /** The server-side session of the signed-in user, when there is one. */
    userSession: { id: string } | null
    isHtmx: boolean
  }
  interface FastifyReply {
    /** Full page normally; the page's own fragment for an htmx request. */
    render: (page: string, fragment: string | null, data?: Record<string, unknown>) => Promise<FastifyReply>
    /** What render sends, without sending it. */
    renderHtml: (page: string, fragment: string | null, data?: Record<string, unknown>) => Promise<string>
    /** Sends HTML as render does (Vary: HX-Request, Cache-Control: no-store). */
    sendHtml: (html: string | Buffer) => FastifyReply
    flash: (message: string) => void
    takeFlash: () => string | undefined
  }
  interface FastifyContextConfig {
    /** Set to false only for endpoints that authenticate the request another way (none yet). */
    csrf?: boolean
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    /** Id of the server-side session row (src/db/sessions.ts); nothing else about the user is in the cookie. */
    sid: string
    pending: PendingLogin[]
    flash: string
    _csrf: string
    /** When an unknown or replayed callback last restarted the login: it restarts once, not in a loop. */
    restartedAt: number
  }
}
