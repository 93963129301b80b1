// The HTTP API reference page, rendered from the OpenAPI document alone: every operation with
// its security, parameters, request body fields and answers, then the schemas of the bodies.
// The page is built by VitePress, which compiles Markdown as a Vue template: text from the
// document never reaches it as raw HTML (`<`), as an interpolation (`{{`) or as a trailing
// attribute list (`{…}`).

type Json = { [key: string]: unknown }

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const object = (value: unknown): Json => (isObject(value) ? value : {})
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
const text = (value: unknown): string => (typeof value === 'string' ? value : '')

/** Inline code that shows `value` as it is, in VitePress and in any Markdown renderer. */
export function code(value: string): string {
  if (value.includes('{{')) {
    // Vue would interpolate `{{` even inside a code span: v-pre leaves it as written.
    const escaped = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    return `<code v-pre>${escaped}</code>`
  }
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${value}${pad}${fence}`
}

/**
 * Text of the document (Markdown with code spans) made safe for the page: outside code spans
 * `<` and `>` become entities and braces are set in code, so that Vue sees neither a tag, an
 * interpolation nor an attribute list; code spans are kept, or made `v-pre` when they hold `{{`.
 */
export function prose(value: string): string {
  return value
    .split(/(`+[^`]*?`+)/)
    .map((part, index) => {
      if (index % 2 === 1) {
        const inner = part.replace(/^`+ ?/, '').replace(/ ?`+$/, '')
        return code(inner)
      }
      return part
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/[{}]+/g, (braces) => code(braces))
    })
    .join('')
}

/** A table cell: one line, and a `|` that does not end the cell. */
const cell = (value: string): string => value.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|')

function table(head: readonly string[], rows: readonly string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n')
}

const refName = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1)
const schemaLink = (name: string): string => `[${name}](#${name.toLowerCase()})`

/** A schema in a few words: its type, bounds and allowed values. */
export function describeType(schema: Json): string {
  if (typeof schema.$ref === 'string') return schemaLink(refName(schema.$ref))
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = list(schema[key])
    if (options.length > 0) {
      return options.map((option) => describeType(object(option))).join(' or ')
    }
  }
  if (schema.const !== undefined) return code(JSON.stringify(schema.const))
  const values = list(schema.enum)
  if (values.length > 0) return values.map((value) => code(JSON.stringify(value))).join(', ')
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : text(schema.type)
  if (type === 'array') {
    const items = describeType(object(schema.items))
    return `array of ${items === '' ? 'any' : items}${bounds(schema, 'Items', 'items')}`
  }
  if (type === '') return isObject(schema.properties) ? 'object' : 'any'
  const format = text(schema.format)
  return `${type}${format === '' ? '' : ` (${format})`}${bounds(schema, 'Length', 'characters')}`
}

/** `, 3 to 64 characters, pattern …`, `, at least 0`: the bounds a schema sets. */
function bounds(schema: Json, kind: 'Length' | 'Items', unit: string): string {
  const parts: string[] = []
  const min = schema[`min${kind}`]
  const max = schema[`max${kind}`]
  if (typeof min === 'number' && typeof max === 'number') parts.push(`${min} to ${max} ${unit}`)
  else if (typeof min === 'number') parts.push(`at least ${min} ${unit}`)
  else if (typeof max === 'number') parts.push(`at most ${max} ${unit}`)
  // The bound zod gives every integer says nothing a reader needs.
  const maximum =
    typeof schema.maximum === 'number' && schema.maximum < Number.MAX_SAFE_INTEGER
      ? schema.maximum
      : undefined
  if (typeof schema.minimum === 'number' && maximum !== undefined) {
    parts.push(`${schema.minimum} to ${maximum}`)
  } else if (typeof schema.minimum === 'number') parts.push(`at least ${schema.minimum}`)
  else if (maximum !== undefined) parts.push(`at most ${maximum}`)
  // A format says more than the pattern that checks it (a date-time's runs to 400 characters).
  if (typeof schema.pattern === 'string' && schema.format === undefined) {
    parts.push(`pattern ${code(schema.pattern)}`)
  }
  return parts.length === 0 ? '' : `, ${parts.join(', ')}`
}

/** The fields of an object schema as table rows: name, type, required, description. */
function fieldRows(schema: Json): string[][] {
  const required = new Set(list(schema.required).map(text))
  return Object.entries(object(schema.properties)).map(([name, property]) => [
    code(name),
    describeType(object(property)),
    required.has(name) ? 'yes' : 'no',
    prose(text(object(property).description)),
  ])
}

const FIELD_HEAD = ['field', 'type', 'required', 'description'] as const

/** Resolves a local `$ref` (`#/components/…`) of the document, or gives the value back. */
function resolver(document: Json) {
  return (value: unknown): Json => {
    const target = object(value).$ref
    if (typeof target !== 'string' || !target.startsWith('#/')) return object(value)
    let node: unknown = document
    for (const key of target.slice(2).split('/')) node = object(node)[key]
    return object(node)
  }
}

function securityLine(operation: Json, schemes: Json): string {
  const requirements = list(operation.security ?? [])
  if (requirements.length === 0) return 'none.'
  const names = requirements.flatMap((requirement) => Object.keys(object(requirement)))
  return names
    .map((name) => {
      const scheme = object(schemes[name])
      const how =
        scheme.type === 'http' && scheme.scheme === 'bearer'
          ? `${code('Authorization: Bearer …')} with a ${text(scheme.bearerFormat) || 'token'}`
          : text(scheme.type)
      return `${code(name)}, ${how}`
    })
    .join('; or ')
    .concat('.')
}

function parametersSection(operation: Json, resolve: (value: unknown) => Json): string[] {
  const parameters = list(operation.parameters).map(resolve)
  if (parameters.length === 0) return []
  return [
    '**Parameters**',
    '',
    table(
      ['name', 'in', 'type', 'required', 'description'],
      parameters.map((parameter) => [
        code(text(parameter.name)),
        text(parameter.in),
        describeType(object(parameter.schema)),
        parameter.required === true ? 'yes' : 'no',
        prose(text(parameter.description)),
      ]),
    ),
    '',
  ]
}

function requestBodySection(operation: Json, resolve: (value: unknown) => Json): string[] {
  if (operation.requestBody === undefined) return []
  const body = resolve(operation.requestBody)
  const lines: string[] = []
  for (const [mediaType, media] of Object.entries(object(body.content))) {
    const schema = object(object(media).schema)
    const required = body.required === true ? 'required' : 'optional'
    lines.push(`**Request body** (${code(mediaType)}, ${required})`, '')
    const description = text(body.description)
    if (description !== '') lines.push(prose(description), '')
    const options = list(schema.anyOf ?? schema.oneOf)
    const shapes = options.length > 0 ? options.map(object) : [schema]
    shapes.forEach((shape, index) => {
      const resolved = resolve(shape)
      const name = typeof shape.$ref === 'string' ? refName(shape.$ref) : ''
      const what = name === '' ? 'an object' : schemaLink(name)
      const about = prose(text(resolved.description))
      const lead = shapes.length > 1 ? `${index === 0 ? 'Either' : 'Or'} ${what}` : what
      lines.push(about === '' ? lead : `${lead}. ${about}`, '')
      const rows = fieldRows(resolved)
      if (rows.length > 0) lines.push(table(FIELD_HEAD, rows), '')
    })
  }
  return lines
}

/** The error codes a response may carry: the `enum` its body narrows `error` to. */
function errorCodes(schema: Json): string[] {
  return list(schema.allOf).flatMap((part) =>
    list(object(object(object(part).properties).error).enum).map(text),
  )
}

function responsesSection(operation: Json, resolve: (value: unknown) => Json): string[] {
  const lines = ['**Responses**', '']
  for (const [status, value] of Object.entries(object(operation.responses))) {
    const response = resolve(value)
    lines.push(`- **${status}**: ${prose(text(response.description))}`)
    for (const [mediaType, media] of Object.entries(object(response.content))) {
      const schema = object(object(media).schema)
      const codes = errorCodes(schema)
      if (codes.length > 0) {
        const which = codes.length === 1 ? 'is' : 'is one of'
        lines.push(
          `  - Body: ${schemaLink('ErrorBody')}, ${code('error')} ${which} ${codes.map(code).join(', ')}`,
        )
      } else {
        lines.push(`  - Body (${code(mediaType)}): ${describeType(schema)}`)
      }
    }
    for (const [name, header] of Object.entries(object(response.headers))) {
      const about = resolve(header)
      lines.push(`  - Header ${code(name)}: ${prose(text(about.description))}`)
    }
  }
  lines.push('')
  return lines
}

/** Renders the reference page of an OpenAPI 3.1 document. */
export function renderHttpApiPage(document: Json): string {
  const resolve = resolver(document)
  const info = object(document.info)
  const components = object(document.components)
  const schemes = object(components.securitySchemes)
  const paths = object(document.paths)
  const operations = Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((method) => isObject(object(item)[method])).map((method) => ({
      path,
      method: method.toUpperCase(),
      operation: object(object(item)[method]),
    })),
  )
  const license = object(info.license)
  const licenseName = text(license.identifier) || text(license.name)
  const servers = list(document.servers).map((server) => code(text(object(server).url)))

  const lines = [
    '# HTTP API',
    '',
    `This page is generated from the token server's OpenAPI document, served at ${code('GET /openapi.json')} and committed as ${code('packages/server/openapi.json')}: do not edit it. To change it, change the schemas in ${code('packages/shared/src/schemas')}, then run ${code('pnpm --filter @refresh-kit/server run openapi')}, which writes both.`,
    '',
    prose(text(info.description)),
    '',
    [
      `Version ${code(text(info.version))}`,
      licenseName === '' ? '' : `, license ${prose(licenseName)}`,
      '.',
      servers.length === 0 ? '' : ` Paths are relative to ${servers.join(' or ')}.`,
    ].join(''),
    '',
    '## Authentication',
    '',
    ...Object.entries(schemes).map(
      ([name, scheme]) => `- ${code(name)}: ${prose(text(object(scheme).description))}`,
    ),
    '',
    `An operation whose security is none needs no access token; refresh and logout are authenticated by their refresh token instead.`,
    '',
    '## Operations',
    '',
    table(
      ['operation', 'summary', 'security'],
      operations.map(({ path, method, operation }) => [
        code(`${method} ${path}`),
        prose(text(operation.summary)),
        list(operation.security ?? []).length === 0
          ? 'none'
          : list(operation.security)
              .flatMap((requirement) => Object.keys(object(requirement)).map(code))
              .join(' or '),
      ]),
    ),
    '',
  ]

  const tags = list(document.tags).map(object)
  for (const tag of tags) {
    const tagged = operations.filter(({ operation }) =>
      list(operation.tags).includes(text(tag.name)),
    )
    if (tagged.length === 0) continue
    lines.push(`## ${prose(text(tag.description) || text(tag.name))}`, '')
    for (const { path, method, operation } of tagged) {
      lines.push(`### ${code(`${method} ${path}`)}`, '')
      lines.push(`${prose(text(operation.summary))}.`, '')
      const description = text(operation.description)
      if (description !== '') lines.push(prose(description), '')
      lines.push(
        `Operation id ${code(text(operation.operationId))}. Security: ${securityLine(operation, schemes)}`,
        '',
      )
      lines.push(...parametersSection(operation, resolve))
      lines.push(...requestBodySection(operation, resolve))
      lines.push(...responsesSection(operation, resolve))
    }
  }

  lines.push('## Schemas', '')
  for (const [name, value] of Object.entries(object(components.schemas))) {
    const schema = object(value)
    lines.push(`### ${name}`, '')
    const description = text(schema.description)
    if (description !== '') lines.push(prose(description), '')
    const rows = fieldRows(schema)
    if (rows.length > 0) lines.push(table(FIELD_HEAD, rows), '')
    else lines.push(describeType(schema), '')
    if (schema.additionalProperties === false) lines.push('No other fields.', '')
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`
}
