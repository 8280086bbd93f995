import t from 'tap'
import { highestRole, mapRolesFromClaims, roleAtLeast } from '../../src/sign-in/claims.ts'

const P = '123'
const specific = `urn:zitadel:iam:org:project:${P}:roles`
const generic = 'urn:zitadel:iam:org:project:roles'
const grant = { org1: 'org.example' }

t.test('mapRolesFromClaims', async (t) => {
  t.equal(mapRolesFromClaims([{ [specific]: { user: grant } }], P), 'user')
  t.equal(mapRolesFromClaims([{ [specific]: { user: grant, admin: grant, staff: grant } }], P), 'admin', 'several → the highest')
  t.equal(mapRolesFromClaims([{ [generic]: { staff: grant } }], P), 'staff', 'falls back to the generic claim')
  t.equal(mapRolesFromClaims([{ [specific]: { user: grant }, [generic]: { admin: grant } }], P), 'user', 'the project claim wins')
  t.equal(mapRolesFromClaims([{}, { [specific]: { staff: grant } }], P), 'staff', 'read from the ID token when userinfo lacks it')
  t.equal(mapRolesFromClaims([{ [specific]: {} }], P), undefined, 'empty → no role')
  t.equal(mapRolesFromClaims([{ [specific]: { viewer: grant } }], P), undefined, 'unknown roles are not ours')
  t.equal(mapRolesFromClaims([{}], P), undefined, 'missing claim → no role, no crash')
  t.equal(mapRolesFromClaims([undefined, { [specific]: 'admin' }], P), undefined, 'a malformed claim → no role')
  t.equal(mapRolesFromClaims([{ [specific]: { __proto__: grant, toString: grant } }], P), undefined, 'prototype names are not roles')
  t.equal(mapRolesFromClaims([{ [specific]: ['staff'] }], P), 'staff', 'a list of names is accepted too')
})

t.test('role ranks: admin ⊃ staff ⊃ user', async (t) => {
  t.ok(roleAtLeast('admin', 'staff'))
  t.ok(roleAtLeast('staff', 'user'))
  t.notOk(roleAtLeast('user', 'staff'))
  t.notOk(roleAtLeast('staff', 'admin'))
  t.equal(highestRole([]), undefined)
})
