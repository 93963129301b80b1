/**
 * A bad configuration value; the message is one line naming the variable.
 *
 * @example
 * ```ts
 * try { loadConfig(env) } catch (err) { if (err instanceof ConfigError) console.error(err.message) }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  /** The environment variable at fault. */
  readonly variable: string
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`)
    this.variable = variable
  }
}
