import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import loginRoutes from './login.ts'
import logoutRoutes from './logout.ts'
import backchannelLogoutRoutes from './backchannel-logout.ts'

const oidcRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(loginRoutes)
  await app.register(logoutRoutes)
  await app.register(backchannelLogoutRoutes)
}

export default oidcRoutes
