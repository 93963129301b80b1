export type { Clock } from './clock.js'
export type {
  ClusterNodeAddress,
  Env,
  LoadConfigOptions,
  ServerConfig,
  VariableDoc,
} from './config.js'
export {
  abuseLimitRulesOf,
  authSettingsOf,
  CONFIG_SCHEMA,
  ConfigError,
  configDefault,
  configDocs,
  LOG_LEVELS,
  loadConfig,
} from './config.js'
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
} from './http/refresh-transport.js'
export { createRefreshTransport } from './http/refresh-transport.js'
export type {
  AuthState,
  RequireAuthMiddleware,
  RequireAuthOptions,
} from './http/require-auth.js'
export { requireAuth } from './http/require-auth.js'
export type {
  AbuseLimitRules,
  AbuseLimits,
  AbuseLimitsOptions,
  LimitName,
  LimitRule,
  LoginReservation,
} from './limits/abuse-limits.js'
export {
  ADDRESS_FAILURE_WINDOW_SECONDS,
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
  DEFAULT_MAX_SESSIONS_PER_USER,
  LOGIN_RATE_WINDOW_SECONDS,
  RateLimitRefusal,
  REGISTER_RATE_WINDOW_SECONDS,
} from './limits/abuse-limits.js'
export type { HashQueue, HashQueueOptions, HashRunOptions } from './limits/hash-queue.js'
export {
  createHashQueue,
  DEFAULT_HASH_CONCURRENCY,
  DEFAULT_HASH_QUEUE_SIZE,
} from './limits/hash-queue.js'
export type { LogFields, Logger, LoggerOptions, LogLevel } from './logger.js'
export { childLogger, createLogger, REDACTED_FIELDS, silentLogger } from './logger.js'
export type { MetricsOptions, ServerMetrics } from './metrics/metrics.js'
export { createMetrics } from './metrics/metrics.js'
export type { MetricsServer, MetricsServerOptions } from './metrics/metrics-server.js'
export { startMetricsServer } from './metrics/metrics-server.js'
export type { PasswordPolicy, PasswordPolicyOptions } from './password-strength.js'
export { createPasswordPolicy } from './password-strength.js'
export type { PasswordHasher, PasswordHasherOptions } from './passwords.js'
export { createPasswordHasher } from './passwords.js'
export type { MemoryRevocationsOptions } from './revocation/memory-revocations.js'
export { createMemoryRevocations } from './revocation/memory-revocations.js'
export type {
  RedisRevocationsOptions,
  RevocationListenerOptions,
} from './revocation/redis-revocations.js'
export {
  createRedisRevocations,
  createRevocationListener,
} from './revocation/redis-revocations.js'
export type {
  AccessTokenRevocations,
  EndedSessions,
  RevocationCheck,
  RevocationClaims,
} from './revocation/types.js'
export type { ConfiguredServer, ServerDependencies } from './server.js'
export { createServerFromConfig } from './server.js'
export type {
  AuthService,
  AuthServiceOptions,
  AuthSettings,
  CallOrigin,
  ChangePasswordInput,
  LoginInput,
  RegisterInput,
} from './service/auth-service.js'
export { createAuthService } from './service/auth-service.js'
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
export type {
  AccessTokens,
  AccessTokensOptions,
  AccessTokenVerifier,
  SignedAccessToken,
} from './tokens/access-token.js'
export { createAccessTokens } from './tokens/access-token.js'
export type { AccessTokenAlgorithm, AsymmetricAlgorithm } from './tokens/algorithms.js'
export {
  ACCESS_TOKEN_ALGORITHMS,
  ASYMMETRIC_ALGORITHMS,
  MIN_RSA_BITS,
} from './tokens/algorithms.js'
export type { AccessTokenSubject, AuthContext } from './tokens/auth-context.js'
export type { AccessTokenClaimsHook, AccessTokenClaimsInput } from './tokens/custom-claims.js'
export { MAX_ACCESS_TOKEN_BYTES, REGISTERED_CLAIMS } from './tokens/custom-claims.js'
export { jwkThumbprint, publicJwkOf } from './tokens/jwk.js'
export type {
  JwksVerifierOptions,
  RemoteAccessTokenVerifier,
} from './tokens/jwks-verifier.js'
export { createJwksVerifier } from './tokens/jwks-verifier.js'
export type {
  AccessTokenKeys,
  AsymmetricKeysOptions,
  SymmetricKeysOptions,
  TokenKeys,
  TokenKeysOptions,
} from './tokens/keys.js'
export { createTokenKeys, MIN_SECRET_BYTES } from './tokens/keys.js'
export type { RefreshTokenClaims, RefreshTokenCodec } from './tokens/refresh-token.js'
export { createRefreshTokenCodec } from './tokens/refresh-token.js'
export type { RemoteJwks, RemoteJwksOptions, RemoteKey } from './tokens/remote-jwks.js'
export { createRemoteJwks } from './tokens/remote-jwks.js'
export type {
  PrivateJwk,
  SigningKey,
  SigningKeySet,
  SigningKeyStatus,
} from './tokens/signing-keys.js'
export { createSigningKeySet, privateJwkOf } from './tokens/signing-keys.js'
export type { StoreUsersOptions } from './users/store-users.js'
export { createStoreUsers } from './users/store-users.js'
export type { AuthUser, UserAdapter } from './users/types.js'
