import { createOpenApiDocument, type OpenApiObject } from '@refresh-kit/shared/schemas'
import { Ajv2020 } from 'ajv/dist/2020.js'

/** What a response is checked against the OpenAPI document by. */
export interface ObservedResponse {
  method: string
  /** The request URL or path. */
  url: string
  status: number
  contentType: string | undefined
  body: unknown
  text: string | undefined
}

const document = createOpenApiDocument()
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
ajv.addSchema(document, 'openapi')

const templates = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`),
}))

const validators = new Map<string, ReturnType<typeof ajv.compile>>()
function validatorFor(pointer: string) {
  let validate = validators.get(pointer)
  if (validate === undefined) {
    validate = ajv.compile({ $ref: `openapi#${pointer}` })
    validators.set(pointer, validate)
  }
  return validate
}

const pointerSegment = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1')

function resolve(value: OpenApiObject): { object: OpenApiObject; pointer: string | null } {
  const target = value.$ref
  if (typeof target !== 'string') return { object: value, pointer: null }
  const path = target.replace(/^#\//, '').split('/')
  let node: unknown = document
  for (const key of path) node = (node as OpenApiObject)[key]
  return { object: node as OpenApiObject, pointer: target.slice(1) }
}

function checkJson(pointer: string, observed: ObservedResponse): string | null {
  if (!observed.contentType?.startsWith('application/json')) {
    return `expected a JSON body, got ${observed.contentType ?? 'no content type'}`
  }
  const validate = validatorFor(pointer)
  if (validate(observed.body)) return null
  return ajv.errorsText(validate.errors)
}

/**
 * Checks one response against the OpenAPI document: the status must be documented for the
 * operation and the body must match its schema. Paths the document does not know (an app's
 * own routes in tests) are checked only when they answer with an error body.
 * Returns what is wrong, or `null`.
 */
export function checkResponse(observed: ObservedResponse): string | null {
  const method = observed.method.toLowerCase()
  // CORS preflights and HEAD are answered by middleware, not by the documented operations.
  if (method === 'options' || method === 'head') return null
  const path = new URL(observed.url, 'http://localhost').pathname
  const match = templates.find(({ pattern }) => pattern.test(path))
  const operation = match === undefined ? undefined : document.paths[match.template]?.[method]
  const isErrorBody =
    typeof observed.body === 'object' &&
    observed.body !== null &&
    typeof (observed.body as { error?: unknown }).error === 'string'
  if (operation === undefined) {
    if (isErrorBody) return checkJson('/components/schemas/ErrorBody', observed)
    return null
  }
  const responses = operation.responses as Record<string, OpenApiObject>
  const documented = responses[String(observed.status)]
  const where = `${observed.method} ${match?.template} ${observed.status}`
  if (documented === undefined) return `${where} is not documented`
  const { object, pointer } = resolve(documented)
  const base =
    pointer ??
    `/paths/${pointerSegment(match?.template ?? '')}/${method}/responses/${observed.status}`
  const content = object.content as OpenApiObject | undefined
  if (content === undefined) {
    return observed.text === undefined || observed.text === ''
      ? null
      : `${where}: documented without a body, got ${observed.text.slice(0, 80)}`
  }
  const problem = checkJson(`${base}/content/application~1json/schema`, observed)
  return problem === null ? null : `${where}: ${problem}`
}
