import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitepress'
import { withMermaid } from 'vitepress-plugin-mermaid'
import { DOCS_URL, REPOSITORY_URL, WRITTEN_ELSEWHERE } from './site.mjs'

const docsRoot = fileURLToPath(new URL('../', import.meta.url))

/** A link to a page written elsewhere that does not exist yet; every other dead link fails the build. */
function pendingPage(url: string): boolean {
  const path = url.replace(/[#?].*$/, '').replace(/\.md$/, '')
  return WRITTEN_ELSEWHERE.includes(path) && !existsSync(`${docsRoot}${path.slice(1)}.md`)
}

export default withMermaid(
  defineConfig({
    title: 'refresh-kit',
    description:
      'Short-lived JWT access tokens, rotating refresh tokens on Redis, and an SDK that refreshes them safely.',
    base: new URL(DOCS_URL).pathname,
    cleanUrls: true,
    lastUpdated: false,
    // Links to a local server the reader starts (the demo on localhost:5173) are not pages.
    ignoreDeadLinks: [/^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/, pendingPage],
    themeConfig: {
      search: { provider: 'local' },
      socialLinks: [{ icon: 'github', link: REPOSITORY_URL }],
      nav: [
        { text: 'Guide', link: '/guide/' },
        { text: 'Concepts', link: '/concepts/tokens' },
        { text: 'Reference', link: '/reference/configuration' },
        { text: 'Operations', link: '/operations/metrics-and-logs' },
        { text: 'Security', link: '/security/threat-model' },
        { text: 'Benchmarks', link: '/benchmarks' },
      ],
      sidebar: [
        {
          text: 'Getting started',
          items: [
            { text: 'Which guide', link: '/guide/' },
            { text: 'A SPA in cookie mode', link: '/guide/spa-cookie-mode' },
            { text: 'Dev proxies (Vite, Next, webpack)', link: '/guide/dev-proxy' },
            { text: 'A Node.js client', link: '/guide/node-client' },
            { text: 'Node apps and CLIs (many processes)', link: '/guide/node-apps' },
            { text: 'Running the token server', link: '/guide/token-server' },
            { text: 'Your own users', link: '/guide/your-own-users' },
            { text: 'A resource server', link: '/guide/resource-server' },
            { text: 'The demo', link: '/guide/demo' },
          ],
        },
        {
          text: 'Concepts',
          items: [
            { text: 'Access and refresh tokens', link: '/concepts/tokens' },
            { text: 'Rotation and the grace window', link: '/concepts/rotation' },
            { text: 'Reuse detection', link: '/concepts/reuse-detection' },
            { text: 'Revocation of access tokens', link: '/concepts/revocation' },
            { text: 'Where tokens live', link: '/concepts/where-tokens-live' },
          ],
        },
        {
          text: 'Reference',
          items: [
            { text: 'Configuration', link: '/reference/configuration' },
            { text: 'Error codes', link: '/reference/errors' },
            { text: 'HTTP API', link: '/reference/http-api' },
            { text: 'Client SDK API', link: '/reference/api/client-sdk/' },
            { text: 'React API', link: '/reference/api/react/' },
            { text: 'Server API', link: '/reference/api/server/' },
          ],
        },
        {
          text: 'Operations',
          items: [
            { text: 'Metrics and logs', link: '/operations/metrics-and-logs' },
            { text: 'Behind proxies', link: '/operations/proxies' },
            { text: 'Scaling, Sentinel and Cluster', link: '/operations/scaling' },
            { text: 'Keys and signing', link: '/operations/keys' },
            { text: 'Upgrades', link: '/operations/upgrades' },
          ],
        },
        {
          text: 'Security',
          items: [
            { text: 'Threat model', link: '/security/threat-model' },
            { text: 'Abuse limits', link: '/security/abuse-limits' },
            { text: 'Passwords', link: '/security/passwords' },
          ],
        },
        {
          text: 'Project',
          items: [
            { text: 'Benchmarks', link: '/benchmarks' },
            { text: 'Reliability figures', link: '/reliability' },
            { text: 'Development', link: '/development' },
          ],
        },
      ],
      outline: { level: [2, 3] },
    },
    mermaid: { securityLevel: 'strict' },
  }),
)
