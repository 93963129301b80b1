import type { TokenStorage } from '../types.js'
import type { TokenRecord } from './token-record.js'

/** Reads and replaces one whole record; `write(null)` deletes it. */
export interface RecordIO {
  read(): Promise<TokenRecord>
  write(record: TokenRecord | null): Promise<void>
}

/**
 * A {@link TokenStorage} over one record that holds both slots, so each write replaces the
 * whole of it at once. A read error propagates from `get` and `remove` (no session is ever
 * assumed, nothing unreadable is deleted), while `set` replaces a record it cannot read: a new
 * login must be storable.
 */
export function recordStorage(io: RecordIO): Required<TokenStorage> {
  const deviceToken = () =>
    io.read().then(
      (record) => record.deviceToken,
      () => null,
    )
  return {
    get: async () => (await io.read()).tokens,
    set: async (tokens) => io.write({ tokens, deviceToken: await deviceToken() }),
    // Strict too: a record it cannot read (another program's file) is never deleted.
    remove: async () => {
      const kept = (await io.read()).deviceToken
      await io.write(kept === null ? null : { tokens: null, deviceToken: kept })
    },
    getDeviceToken: deviceToken,
    // The tokens are read strictly: a device token is never worth a session.
    setDeviceToken: async (next) =>
      io.write({ tokens: (await io.read()).tokens, deviceToken: next }),
  }
}
