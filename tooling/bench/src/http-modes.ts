// Frameworks and modes of the HTTP benchmark. A module of its own: importing http-server.ts
// would start a server in the importing process.

/** Frameworks under test. */
export const FRAMEWORKS = ['fastify', 'express', 'koa', 'hono', 'nestjs'] as const
/** One framework. */
export type Framework = (typeof FRAMEWORKS)[number]
/**
 * none: no auth; hook: an empty hook or middleware (what the framework charges for any hook);
 * jwtgate / jwtgate-cache: our adapter; peer: the framework's usual JWT plugin.
 */
export const MODES = ['none', 'hook', 'jwtgate-cache', 'jwtgate', 'peer'] as const
/** One configuration. */
export type Mode = (typeof MODES)[number]
