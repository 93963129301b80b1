export type { AccessTokenAlgorithm, AsymmetricAlgorithm } from './access-tokens/algorithms.js'
export {
  ACCESS_TOKEN_ALGORITHMS,
  ASYMMETRIC_ALGORITHMS,
  MIN_RSA_BITS,
} from './access-tokens/algorithms.js'
export type { AccessTokenSubject, AuthContext } from './access-tokens/auth-context.js'
export type {
  AccessTokenClaimsHook,
  AccessTokenClaimsInput,
} from './access-tokens/custom-claims.js'
export { MAX_ACCESS_TOKEN_BYTES, REGISTERED_CLAIMS } from './access-tokens/custom-claims.js'
export { jwkThumbprint, publicJwkOf } from './access-tokens/jwk.js'
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
export { createTokenKeys, MIN_SECRET_BYTES } from './access-tokens/keys.js'
export type { RemoteJwks, RemoteJwksOptions, RemoteKey } from './access-tokens/remote-jwks.js'
export { createRemoteJwks } from './access-tokens/remote-jwks.js'
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
export type {
  PrivateJwk,
  SigningKey,
  SigningKeySet,
  SigningKeyStatus,
} from './access-tokens/signing-keys.js'
export { createSigningKeySet, privateJwkOf } from './access-tokens/signing-keys.js'
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
export type { ClusterNodeAddress, VariableDoc } from './config/schema.js'
export { CONFIG_SCHEMA, configDefault, configDocs, LOG_LEVELS } from './config/schema.js'
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
  ADDRESS_FAILURE_WINDOW_SECONDS,
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
  LOGIN_RATE_WINDOW_SECONDS,
  RateLimitRefusal,
  REGISTER_RATE_WINDOW_SECONDS,
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
export { clientAddressOf, normalizeAddress } from './http/client-address.js'
export type {
  PresentedRefreshToken,
  RefreshTransport,
  RefreshTransportOptions,
} from './http/refresh-cookie.js'
export { createRefreshTransport } from './http/refresh-cookie.js'
export type {
  AuthState,
  RequireAuthMiddleware,
  RequireAuthOptions,
} from './http/require-auth.js'
export { requireAuth } from './http/require-auth.js'
export type { LogFields, Logger, LoggerOptions, LogLevel } from './logger.js'
export { childLogger, createLogger, REDACTED_FIELDS, silentLogger } from './logger.js'
export type { MetricsOptions, ServerMetrics } from './metrics/metrics.js'
export { createMetrics } from './metrics/metrics.js'
export type { MetricsServer, MetricsServerOptions } from './metrics/metrics-server.js'
export { startMetricsServer } from './metrics/metrics-server.js'
export type { ConfiguredServer, ServerDependencies } from './server.js'
export { createServerFromConfig } from './server.js'
export type { RefreshTokenClaims, RefreshTokenCodec } from './sessions/refresh-token.js'
export { createRefreshTokenCodec } from './sessions/refresh-token.js'
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
