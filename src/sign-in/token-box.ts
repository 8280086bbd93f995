import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Refresh tokens are kept server-side, encrypted with a key derived from SESSION_SECRET, so a copy of
 * the database (a backup) does not hand out working tokens. AES-256-GCM from node:crypto: a library
 * would add nothing for one seal/open pair. Several keys follow SESSION_SECRET rotation: the first
 * seals, all open.
 */
export function createTokenBox (sessionKeys: Buffer[]) {
  const keys = sessionKeys.map((k) => Buffer.from(hkdfSync('sha256', k, 'polls', 'refresh-token-v1', 32)))

  return {
    seal (plain: string): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', keys[0] as Buffer, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')
    },
    /** undefined when no key opens it (a secret rotated away, or an ephemeral development secret). */
    open (sealed: string): string | undefined {
      const raw = Buffer.from(sealed, 'base64url')
      for (const key of keys) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
          decipher.setAuthTag(raw.subarray(12, 28))
          return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
        } catch { /* try the next key */ }
      }
      return undefined
    }
  }
}

export type TokenBox = ReturnType<typeof createTokenBox>
