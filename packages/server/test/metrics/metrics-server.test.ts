import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createAuthEvents } from '../../src/events/auth-events.js'
import { createMetrics } from '../../src/metrics/metrics.js'
import { type MetricsServer, startMetricsServer } from '../../src/metrics/metrics-server.js'

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('serves GET and HEAD /metrics only: 405 with Allow for other methods, 404 elsewhere', async () => {
    const metrics = createMetrics({ processMetrics: false })
    const events = createAuthEvents()
    metrics.observe(events)
    events.emit('login', {
      outcome: 'success',
      username: 'ada',
      userId: 'u',
      sessionId: 's',
      clientAddress: null,
    })
    server = await startMetricsServer({ metrics, port: 0 })
    const base = `http://127.0.0.1:${server.port}`
    const res = await fetch(`${base}/metrics?x=1`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    expect(text).toContain('refresh_kit_logins_total{outcome="success"} 1')
    expect(text).not.toContain('process_cpu')
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    const post = await fetch(`${base}/metrics`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    expect((await fetch(`${base}/auth/login`)).status).toBe(404)
  })

  it('registers on a registry of yours, and refuses a bad port or registry', async () => {
    const registry = new Registry()
    createMetrics({ registry, processMetrics: false })
    expect((await registry.metrics()).includes('refresh_kit_refreshes_total')).toBe(true)
    expect(() => createMetrics({ registry: {} as Registry })).toThrow(/options.registry/)
    await expect(
      startMetricsServer({ metrics: createMetrics({ processMetrics: false }), port: 70_000 }),
    ).rejects.toThrow(/options.port/)
  })
})
