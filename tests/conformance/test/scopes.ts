// The scopes the suite's routes require, shared by frameworks.ts and nest.ts (whose decorators
// read them when the module loads, so they cannot come from frameworks.ts, which imports nest.ts).

/** What `GET /orders` requires (`requireScopes`, all of). */
export const ALL_SCOPES = ['orders:read', 'orders:write'] as const
/** What `GET /orders-any` accepts (`requireAnyScope`, any of). */
export const ANY_SCOPES = ['orders:read', 'orders:admin'] as const
