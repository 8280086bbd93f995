import pg from 'pg'

/**
 * The poll list's data version on PostgreSQL: a number this node moves whenever the published questions
 * may have changed on any node. A trigger notifies 'polls_questions_changed' at the commit of every
 * change to them (drizzle-postgres/0002); one connection per node LISTENs and counts the notifications,
 * so reading the version costs no query. While that connection is down nothing is known, so every read
 * is a new version (nothing is served from the cache) until it is listening again.
 */
export interface DataVersion {
  current: () => string
  /** This node changed the questions itself: its own next read must not wait for the notification. */
  changed: () => void
  close: () => Promise<void>
}

const CHANNEL = 'polls_questions_changed'

export function listenForChanges (url: string, onError: (err: Error) => void): DataVersion {
  let seen = 0
  let listening = false
  let closed = false
  let client: pg.Client | undefined
  let retry: NodeJS.Timeout | undefined

  async function connect () {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, keepAlive: true, application_name: 'polls listener' })
    client = next
    next.on('notification', () => { seen++ })
    next.on('error', (err) => { lost(next, err) })
    next.on('end', () => { lost(next) })
    try {
      await next.connect()
      await next.query(`listen ${CHANNEL}`)
      if (closed) return void next.end().catch(() => {})
      // Whatever changed while not listening is covered: this is a version no cached page has.
      seen++
      listening = true
    } catch (err) {
      lost(next, err as Error)
    }
  }

  function lost (which: pg.Client, err?: Error) {
    if (which !== client) return
    listening = false
    client = undefined
    which.end().catch(() => {})
    if (err !== undefined && !closed) onError(err)
    if (!closed && retry === undefined) retry = setTimeout(() => { retry = undefined; void connect() }, 500)
  }

  void connect()
  let unknown = 0
  return {
    current: () => listening ? `n${seen}` : `unknown${++unknown}`,
    changed: () => { seen++ },
    async close () {
      closed = true
      clearTimeout(retry)
      const last = client
      client = undefined
      listening = false
      await last?.end().catch(() => {})
    }
  }
}
