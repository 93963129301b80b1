// The server's public surface: what an app that runs, embeds or extends the token server
// needs. Internal helpers stay out of it; workspace tools that need one import
// `@refresh-kit/server/internal`, which is not published.
export type { AccessTokenAlgorithm, AsymmetricAlgorithm } from './access-tokens/algorithms.js'
export type { AccessTokenSubject, AuthContext } from './access-tokens/auth-context.js'
export type {
  AccessTokenClaimsHook,
  AccessTokenClaimsInput,
} from './access-tokens/custom-claims.js'
export type {
  JwksVerifierOptions,
  RemoteAccessTokenVerifier,
} from './access-tokens/jwks-verifier.js'
export { createJwksVerifier } from './access-tokens/jwks-verifier.js'
export type {
  AccessTokenKeys,
  AsymmetricKeysOptions,
  SymmetricKeysOptions,
  TokenKeys,
  TokenKeysOptions,
} from './access-tokens/keys.js'
export { createTokenKeys } from './access-tokens/keys.js'
export type { MemoryRevocationsOptions } from './access-tokens/revocation/memory-revocations.js'
export { createMemoryRevocations } from './access-tokens/revocation/memory-revocations.js'
export type {
  RedisRevocationsOptions,
  RevocationListenerOptions,
} from './access-tokens/revocation/redis-revocations.js'
export {
  createRedisRevocations,
  createRevocationListener,
} from './access-tokens/revocation/redis-revocations.js'
export type {
  AccessTokenRevocations,
  EndedSessions,
  RevocationCheck,
  RevocationClaims,
} from './access-tokens/revocation/types.js'
export type {
  AccessTokens,
  AccessTokensOptions,
  AccessTokenVerifier,
  SignedAccessToken,
} from './access-tokens/sign-and-verify.js'
export { createAccessTokens } from './access-tokens/sign-and-verify.js'
export type { PrivateJwk } from './access-tokens/signing-keys.js'
export type {
  AuthService,
  AuthServiceOptions,
  AuthSettings,
  CallOrigin,
  ChangePasswordInput,
  LoginInput,
  RegisterInput,
} from './auth-service.js'
export { createAuthService } from './auth-service.js'
export type { Clock } from './clock.js'
export { ConfigError } from './config/config-error.js'
export type { Env, LoadConfigOptions, ServerConfig } from './config/load.js'
export { loadConfig } from './config/load.js'
export { abuseLimitRulesOf, authSettingsOf } from './config/part-options.js'
export type { ClusterNodeAddress } from './config/schema.js'
export { configDefault } from './config/schema.js'
export type { HashQueue, HashQueueOptions, HashRunOptions } from './credentials/hash-queue.js'
export { createHashQueue } from './credentials/hash-queue.js'
export type {
  AbuseLimitRules,
  AbuseLimits,
  AbuseLimitsOptions,
  LimitName,
  LimitRule,
  LoginReservation,
} from './credentials/limits/abuse-limits.js'
export {
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
  RateLimitRefusal,
} from './credentials/limits/abuse-limits.js'
export type { PasswordHasher, PasswordHasherOptions } from './credentials/password-hashing.js'
export { createPasswordHasher } from './credentials/password-hashing.js'
export type { PasswordPolicy, PasswordPolicyOptions } from './credentials/password-strength.js'
export { createPasswordPolicy } from './credentials/password-strength.js'
export type { StoreUsersOptions } from './credentials/users/store-users.js'
export { createStoreUsers } from './credentials/users/store-users.js'
export type { AuthUser, UserAdapter } from './credentials/users/types.js'
export type { AuthErrorOptions } from './errors.js'
export { AuthError, isAuthError, StoreUnavailableError } from './errors.js'
export type {
  AuthEventHandler,
  AuthEventMap,
  AuthEventName,
  AuthEvents,
  AuthEventsOptions,
  LoginEvent,
  LoginLockedEvent,
  LoginOutcome,
  LogoutEvent,
  PasswordChangedEvent,
  RefreshEvent,
  RefreshOutcome,
  RequestOrigin,
  ReuseDetectedEvent,
  SessionEndedEvent,
  SessionEndReason,
  StoreErrorEvent,
} from './events/auth-events.js'
export { createAuthEvents } from './events/auth-events.js'
export { logSecurityEvents } from './events/security-log.js'
export type { AppOptions } from './http/app.js'
export { createApp } from './http/app.js'
export type { AuthRouterOptions } from './http/auth-router.js'
export { createAuthRouter } from './http/auth-router.js'
export type { ProxyHeader } from './http/client-address.js'
export type { RefreshTransportOptions } from './http/refresh-cookie.js'
export type {
  AuthState,
  RequireAuthMiddleware,
  RequireAuthOptions,
} from './http/require-auth.js'
export { requireAuth } from './http/require-auth.js'
export type { LogFields, Logger, LoggerOptions, LogLevel } from './logger.js'
export { createLogger, silentLogger } from './logger.js'
export type { MetricsOptions, ServerMetrics } from './metrics/metrics.js'
export { createMetrics } from './metrics/metrics.js'
export type { MetricsServer, MetricsServerOptions } from './metrics/metrics-server.js'
export { startMetricsServer } from './metrics/metrics-server.js'
export type { ConfiguredServer, ServerDependencies } from './server.js'
export { createServerFromConfig } from './server.js'
export type { MemoryStoreOptions } from './store/memory-store.js'
export { createMemoryStore } from './store/memory-store.js'
export type { FailFastClusterOptions, FailFastRedisOptions } from './store/redis-options.js'
export { failFastClusterOptions, failFastRedisOptions } from './store/redis-options.js'
export type { RedisStoreOptions } from './store/redis-store.js'
export { createRedisStore } from './store/redis-store.js'
export type {
  CreatedSession,
  CreateSessionInput,
  RotatedSession,
  RotateInput,
  RotateResult,
  SessionRecord,
  TokenStore,
  UserRecord,
} from './store/types.js'
