/// <reference path="./oidc-provider.d.ts" />
import type { Adapter, AdapterPayload } from 'oidc-provider'

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest'])

/** Per-provider in-memory store; oidc-provider's built-in one prints a warning at every start. */
export function memoryAdapter(): (model: string) => Adapter {
  const store = new Map<string, { payload: AdapterPayload; exp: number }>()
  const get = (key: string): AdapterPayload | undefined => {
    const e = store.get(key)
    if (e && e.exp <= Date.now()) store.delete(key)
    return e && e.exp > Date.now() ? e.payload : undefined
  }
  const findBy = (prefix: string, field: 'uid' | 'userCode', value: string): AdapterPayload | undefined => {
    for (const key of store.keys()) if (key.startsWith(prefix)) { const p = get(key); if (p?.[field] === value) return p }
    return undefined
  }
  return (model) => {
    const key = (id: string): string => `${model}:${id}`
    return {
      async upsert(id, payload, expiresIn) { store.set(key(id), { payload, exp: expiresIn ? Date.now() + expiresIn * 1000 : Infinity }) },
      async find(id) { return get(key(id)) },
      async findByUid(uid) { return findBy('Session:', 'uid', uid) },
      async findByUserCode(code) { return findBy(`${model}:`, 'userCode', code) },
      async consume(id) { const p = get(key(id)); if (p) p.consumed = Math.floor(Date.now() / 1000) },
      async destroy(id) { store.delete(key(id)) },
      async revokeByGrantId(grantId) {
        for (const [k, e] of store) if (GRANTABLE.has(k.slice(0, k.indexOf(':'))) && e.payload.grantId === grantId) store.delete(k)
      },
    }
  }
}
