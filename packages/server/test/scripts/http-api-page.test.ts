import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderHttpApiPage } from '../../scripts/lib/http-api-page.js'

const document = JSON.parse(
  readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'),
) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
const committedPage = readFileSync(
  new URL('../../../../docs/reference/http-api.md', import.meta.url),
  'utf8',
)

/**
 * What Vue would compile in a page, once code is taken out: VitePress leaves code spans'
 * `<` escaped and `v-pre` elements alone, but interpolates `{{` anywhere else, reads `<` as a
 * tag and a trailing `{…}` as attributes.
 */
function templateText(page: string): string {
  return page
    .replace(/<code v-pre>[^<]*<\/code>/g, '')
    .replace(/(`+)([^`]*?)\1/g, (_span, _fence, inner: string) =>
      inner.includes('{{') ? inner : '',
    )
}

/** The part of a page from one heading to the next heading of that level or above. */
function section(page: string, heading: string): string {
  const start = page.indexOf(`\n${heading}\n`)
  expect(start, heading).toBeGreaterThan(-1)
  const next = page.slice(start + heading.length + 2).search(/\n#{1,3} /)
  return next === -1 ? page.slice(start) : page.slice(start, start + heading.length + 2 + next)
}

describe('the HTTP API page', () => {
  it('is the page the committed document renders to', () => {
    expect(committedPage).toBe(renderHttpApiPage(document))
  })

  it('opens with its title and says where it comes from and how to write it again', () => {
    const [title, , intro] = committedPage.split('\n')
    expect(title).toBe('# HTTP API')
    expect(intro).toContain('`GET /openapi.json`')
    expect(intro).toContain('`pnpm --filter @refresh-kit/server run openapi`')
  })

  it('has a section for every operation, with each of its answers', () => {
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const text = section(committedPage, `### \`${method.toUpperCase()} ${path}\``)
        for (const status of Object.keys(operation.responses)) {
          expect(text, `${method} ${path} ${status}`).toContain(`- **${status}**:`)
        }
      }
    }
  })

  it('shows the cookies, the security, the field bounds and the error codes of an operation', () => {
    const refresh = section(committedPage, '### `POST /auth/refresh`')
    expect(refresh).toMatch(/\| `rk_refresh` \| cookie \| string, at most 512 characters \| no \|/)
    expect(refresh).toMatch(/\| `X-Refresh-Token-Transport` \| header \|/)
    expect(refresh).toContain('Security: none.')
    expect(refresh).toMatch(/\| `refreshToken` \| string, 1 to 512 characters \| yes \|/)
    expect(refresh).toContain('`error` is one of `invalid_refresh_token`, `refresh_token_reused`')
    expect(refresh).toContain('`error` is `csrf_rejected`')
    const login = section(committedPage, '### `POST /auth/login`')
    expect(login).toMatch(/\| `rk_device` \| cookie \|/)
    expect(login).toMatch(
      /\| `username` \| string, 3 to 64 characters, pattern `\^\[A-Za-z0-9\._@-\]\+\$` \| yes \|/,
    )
    const me = section(committedPage, '### `GET /auth/me`')
    expect(me).toContain('Security: `bearer`, `Authorization: Bearer …` with a JWT.')
  })

  it('gives VitePress no tag, interpolation or attribute list to compile', () => {
    expect(templateText(committedPage)).not.toMatch(/[<{}]/)
    const hostile = {
      openapi: '3.1.0',
      info: { title: 't', version: '1', description: 'A <script>alert(1)</script> and {{ x }}.' },
      tags: [{ name: 'a', description: 'Routes {#anchor}' }],
      paths: {
        '/items/{id}': {
          get: {
            operationId: 'item',
            summary: 'One <item>',
            description: 'Code `a {{ b }} <c>` and `{}`, text {{ c }} and a | b.',
            tags: ['a'],
            security: [],
            parameters: [
              {
                name: 'id',
                in: 'path',
                required: true,
                description: '<b>{{id}}</b>',
                schema: { type: 'string', pattern: '^{{[a-z]+}}$' },
              },
            ],
            responses: { '200': { description: 'ok {x}' } },
          },
        },
      },
      components: { schemas: {}, securitySchemes: {} },
    }
    const page = renderHttpApiPage(hostile)
    expect(templateText(page)).not.toMatch(/[<{}]/)
    expect(page).toContain('<code v-pre>a {{ b }} &lt;c&gt;</code>')
    expect(page).toContain('<code v-pre>^{{[a-z]+}}$</code>')
    expect(page).toContain('A &lt;script&gt;alert(1)&lt;/script&gt; and')
    // A `|` inside a table cell is escaped, not a new column.
    expect(page).toMatch(
      /\| `id` \| path \|[^\n]*\| yes \| &lt;b&gt;<code v-pre>\{\{<\/code>id`\}\}`&lt;\/b&gt; \|/,
    )
  })
})
