import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuthClient } from '../../src/axios/client.js'
import { isAuthError } from '../../src/errors.js'
import { fileStorage } from '../../src/storage/file-storage.js'
import type { StoredTokens } from '../../src/types.js'

const ISSUED_AT = Date.UTC(2026, 0, 1)
const tokens = (generation: number): StoredTokens => ({
  accessToken: `access.${generation}`,
  refreshToken: `refresh.${generation}`,
  expiresAt: ISSUED_AT + 60_000,
  issuedAt: ISSUED_AT,
  refreshExpiresAt: ISSUED_AT + 86_400_000,
})

const modeOf = async (path: string) => ((await stat(path)).mode & 0o777).toString(8)

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'refresh-kit-file-storage-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

describe('fileStorage', () => {
  it('creates its directory 0700 and leaves the file 0600 after every write, whatever the umask', async () => {
    const path = join(directory, 'new', 'dir', 'tokens.json')
    const storage = fileStorage({ path })
    // The loosest umask: nothing taken away, so only the storage's own modes can protect the tokens.
    const umask = process.umask(0)
    try {
      await storage.set(tokens(1))
      expect(await modeOf(join(directory, 'new', 'dir'))).toBe('700')
      expect(await modeOf(path)).toBe('600')
      await storage.setDeviceToken('device.1')
      expect(await modeOf(path)).toBe('600')
      await storage.remove()
      expect(await modeOf(path)).toBe('600')
      await storage.set(tokens(2))
      expect(await modeOf(path)).toBe('600')
    } finally {
      process.umask(umask)
    }
    expect(await storage.get()).toEqual(tokens(2))
  })

  it('keeps the device token across remove(), and deletes the file when nothing is left', async () => {
    const path = join(directory, 'tokens.json')
    const storage = fileStorage({ path })
    await storage.set(tokens(1))
    await storage.setDeviceToken('device.1')
    await storage.remove()
    expect(await storage.get()).toBeNull()
    expect(await storage.getDeviceToken()).toBe('device.1')
    await storage.set(tokens(2))
    expect(await storage.getDeviceToken()).toBe('device.1')

    const bare = fileStorage({ path: join(directory, 'bare.json') })
    await bare.set(tokens(1))
    await bare.remove()
    await expect(stat(join(directory, 'bare.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it("sees another process's write at the next read, even one of the same size", async () => {
    const path = join(directory, 'tokens.json')
    const mine = fileStorage({ path })
    const theirs = fileStorage({ path })
    await theirs.set(tokens(1))
    expect((await mine.get())?.refreshToken).toBe('refresh.1')
    // Same length as generation 1: only the file's identity tells the two apart.
    await theirs.set(tokens(2))
    expect((await mine.get())?.refreshToken).toBe('refresh.2')
    await theirs.remove()
    expect(await mine.get()).toBeNull()
  })

  it('never lets a reader meet a half-written file: 300 rewrites while another storage reads', async () => {
    const path = join(directory, 'tokens.json')
    const writer = fileStorage({ path })
    const reader = fileStorage({ path })
    await writer.set(tokens(0))
    let writing = true
    let reads = 0
    const failures: unknown[] = []
    const readLoop = async () => {
      while (writing) {
        await reader.get().then(
          (read) => {
            reads += 1
            if (read === null) failures.push('no tokens')
          },
          (error: unknown) => failures.push(error),
        )
      }
    }
    // Reads and writes run on the thread pool, side by side.
    const readers = [readLoop(), readLoop(), readLoop()]
    for (let generation = 1; generation <= 300; generation++) {
      // Sizes vary, so a torn read could not pass for a whole file.
      await writer.set({ ...tokens(generation), accessToken: 'a'.repeat(generation * 7) })
    }
    writing = false
    await Promise.all(readers)
    expect(failures).toEqual([])
    expect(reads).toBeGreaterThan(0)
  })

  it('takes over a lock its holder stopped touching (a killed process), instead of waiting for it', async () => {
    const path = join(directory, 'tokens.json')
    const storage = fileStorage({ path, staleMs: 2000, acquireTimeoutMs: 60_000 })
    await mkdir(`${path}.lock`)
    const minuteAgo = new Date(Date.now() - 60_000)
    await utimes(`${path}.lock`, minuteAgo, minuteAgo)
    let held = false
    await storage.coordinator.withRefreshLock(async () => {
      held = await stat(`${path}.lock`).then(
        (lock) => lock.mtimeMs > minuteAgo.getTime(),
        () => false,
      )
    })
    // The task ran holding a fresh lock of its own, and released it.
    expect(held).toBe(true)
    await expect(stat(`${path}.lock`)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('fileStorage: a file it cannot trust is an AuthError, never a crash nor a sign-out', () => {
  async function expectRefused(path: string, code: string) {
    const before = await readFile(path)
    const storage = fileStorage({ path })
    const auth = createAuthClient({
      baseURL: 'http://127.0.0.1:9',
      storage,
      coordinator: storage.coordinator,
    })
    let sessionExpired = 0
    auth.on('sessionExpired', () => {
      sessionExpired += 1
    })
    const error = await auth.getAccessToken().catch((thrown: unknown) => thrown)
    expect(isAuthError(error) && error.code).toBe(code)
    expect(isAuthError(error) && error.message).toContain(path)
    expect(sessionExpired).toBe(0)
    // Not even a logout deletes what it cannot read.
    const removal = await storage.remove().catch((thrown: unknown) => thrown)
    expect(isAuthError(removal) && removal.code).toBe(code)
    // Left as it was: nothing removed, nothing rewritten.
    expect(await readFile(path)).toEqual(before)
  }

  const written = async (content: string, mode = 0o600) => {
    const path = join(directory, 'tokens.json')
    await writeFile(path, content, { mode })
    await chmod(path, mode)
    return path
  }

  it('garbage: storage_unreadable', async () => {
    await expectRefused(await written('\u0000\u0001not json at all'), 'storage_unreadable')
  })

  it('an empty file: storage_unreadable', async () => {
    await expectRefused(await written(''), 'storage_unreadable')
  })

  it("another program's JSON: storage_unreadable", async () => {
    await expectRefused(await written('{"token":"abc","user":"ada"}'), 'storage_unreadable')
  })

  it('our format with tokens of the wrong shape: storage_unreadable', async () => {
    await expectRefused(
      await written('{"format":"refresh-kit/tokens@1","tokens":{"accessToken":1}}'),
      'storage_unreadable',
    )
  })

  it('a good file others can read (0644): storage_insecure', async () => {
    const good = join(directory, 'good.json')
    await fileStorage({ path: good }).set(tokens(1))
    await expectRefused(await written(await readFile(good, 'utf8'), 0o644), 'storage_insecure')
  })

  it('a good file owned by another user: storage_insecure', async () => {
    const good = join(directory, 'good.json')
    await fileStorage({ path: good }).set(tokens(1))
    const path = await written(await readFile(good, 'utf8'))
    if (process.getuid?.() !== 0) {
      // Only root can give a file away: this run checks that it is not root, and says so.
      console.log('file owned by another user: not checked, this run is not root (no chown)')
      expect(process.getuid?.()).not.toBe(0)
      return
    }
    // 65534: nobody.
    await chown(path, 65534, 65534)
    await expectRefused(path, 'storage_insecure')
  })
})
