import { builtinModules } from 'node:module'

const names = builtinModules
  .filter((name) => !name.startsWith('_'))
  .map((name) => name.replace(/[/]/g, '\\/'))
  .join('|')
// import … from 'x', import('x'), export … from 'x', require('x'), with or without `node:`,
// and the stand-in Vite puts where a browser build meets a Node.js built-in.
const BUILTIN_USE = new RegExp(
  `(?:\\bfrom\\s*|\\bimport\\s*\\(?\\s*|\\brequire\\s*\\(\\s*)["'\`]((?:node:)?(?:${names})(?:\\/[\\w/]+)?)["'\`]|\\bfrom\\s*["'\`](node:[\\w/]+)["'\`]|(__vite-browser-external[\\w:/.-]*)`,
  'g',
)

/**
 * The Node.js built-in modules a bundle imports or requires (`fs`, `node:crypto`, …), and any
 * `__vite-browser-external` stand-in. Empty for a bundle fit for browsers.
 *
 * @example
 * ```ts
 * nodeBuiltinsIn('import{randomBytes as r}from"node:crypto"') // ['node:crypto']
 * ```
 */
export function nodeBuiltinsIn(code: string): string[] {
  return [...code.matchAll(BUILTIN_USE)].map((match) => match[1] ?? match[2] ?? match[3] ?? '')
}
