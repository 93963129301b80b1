// Every response a test sees through supertest is checked against GET /openapi.json's
// document: an undocumented status or a body that does not match fails the request's test.
import { Test } from 'supertest'
import { checkResponse } from './openapi-check.js'

interface SuperagentResponse {
  status: number
  headers: Record<string, string | undefined>
  body: unknown
  text?: string
}

type AssertFn = (
  this: Test,
  resError: unknown,
  res: SuperagentResponse | undefined,
  fn: (error: unknown, res: unknown) => void,
) => void

const prototype = Test.prototype as unknown as { assert: AssertFn; method: string; url: string }
const original = prototype.assert
prototype.assert = function assert(resError, res, fn) {
  if (res !== undefined) {
    const self = this as unknown as { method: string; url: string }
    const problem = checkResponse({
      method: self.method,
      url: self.url,
      status: res.status,
      contentType: res.headers['content-type'],
      body: res.body,
      text: res.text,
    })
    if (problem !== null) {
      fn.call(this, new Error(`response does not match the OpenAPI document: ${problem}`), res)
      return
    }
  }
  original.call(this, resError, res, fn)
}
