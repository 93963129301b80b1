/** One HTTP client under test, already holding a session of the local API. */
export interface BenchClient {
  /** `GET /auth/me`; resolves on 2xx and rejects otherwise, as the library itself does. */
  me(): Promise<void>
  /** Releases what the client holds (timers, listeners). */
  close(): void
}

/** Builds a client and signs it in against the local API. */
export interface ClientFactory {
  /** How the client is named in the report. */
  readonly name: string
  create(baseURL: string): Promise<BenchClient>
}
