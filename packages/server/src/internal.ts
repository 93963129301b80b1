// Internals the workspace's own tools use (benchmarks, reliability tests): not part of the
// published package, and free to change with any release.
export type { RefreshTokenClaims, RefreshTokenCodec } from './sessions/refresh-token.js'
export { createRefreshTokenCodec } from './sessions/refresh-token.js'
