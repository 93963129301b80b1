import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createAuthEvents } from '../../src/events/auth-events.js'
import { createMetrics } from '../../src/metrics/metrics.js'

const repo = (path: string) => readFileSync(new URL(`../../../../${path}`, import.meta.url), 'utf8')

interface Panel {
  title: string
  targets: { expr: string }[]
}

describe('the Grafana dashboard and the Prometheus config', () => {
  it('queries only metrics the server exposes, and shows each of the contract', async () => {
    const metrics = createMetrics()
    metrics.observe(createAuthEvents())
    const exposed = new Set(
      (await metrics.registry.getMetricsAsJSON()).flatMap((metric) =>
        String(metric.type) === 'histogram'
          ? [`${metric.name}_bucket`, `${metric.name}_count`, `${metric.name}_sum`]
          : [metric.name],
      ),
    )
    const dashboard = JSON.parse(repo('ops/grafana/dashboards/refresh-kit.json')) as {
      panels: Panel[]
    }
    const used = new Set(
      dashboard.panels.flatMap((panel) =>
        panel.targets.flatMap(
          (target) => target.expr.match(/\b(?:refresh_kit|process|nodejs)_[a-z0-9_]+/g) ?? [],
        ),
      ),
    )
    for (const name of used) expect(exposed, name).toContain(name)
    for (const name of [
      'refresh_kit_logins_total',
      'refresh_kit_refreshes_total',
      'refresh_kit_sessions_ended_total',
      'refresh_kit_store_errors_total',
      'refresh_kit_http_request_duration_seconds_bucket',
    ]) {
      expect(used, name).toContain(name)
    }
  })

  it('scrapes the port the compose file gives METRICS_PORT', () => {
    const compose = repo('docker-compose.yml')
    const port = /METRICS_PORT: "(\d+)"/.exec(compose)?.[1]
    expect(port).toBeDefined()
    expect(repo('ops/prometheus/prometheus.yml')).toContain(`server:${port}`)
  })
})
