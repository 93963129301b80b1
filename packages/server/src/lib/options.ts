import { z } from 'zod'

/** How one option is checked: a zod schema, and what the `TypeError` says when it fails. */
export interface OptionRule {
  schema: z.ZodType
  /** The end of the message, after the option's name: `must be an integer >= 1`. */
  problem: string
}

const safeInteger = z.number().refine(Number.isSafeInteger)

/** An integer from `min`, and up to `max` when given. */
export function integerRule(min: number, max?: number): OptionRule {
  return max === undefined
    ? { schema: safeInteger.refine((n) => n >= min), problem: `must be an integer >= ${min}` }
    : {
        schema: safeInteger.refine((n) => n >= min && n <= max),
        problem: `must be an integer from ${min} to ${max}`,
      }
}

/** A finite number above zero, of `unit` (`seconds`, `milliseconds`). */
export function positiveNumberRule(unit: string): OptionRule {
  return { schema: z.number().finite().gt(0), problem: `must be a positive number of ${unit}` }
}

/** A string that is not empty. */
export const nonEmptyStringRule: OptionRule = {
  schema: z.string().min(1),
  problem: 'must be a non-empty string',
}

/** Any function. */
export const functionRule: OptionRule = {
  schema: z.custom((value) => typeof value === 'function'),
  problem: 'must be a function',
}

/** Anything but `undefined`. */
export const requiredRule: OptionRule = {
  schema: z.custom((value) => value !== undefined),
  problem: 'is required',
}

/** One of `values`. */
export function oneOfRule(values: readonly string[], problem: string): OptionRule {
  return { schema: z.enum(values as [string, ...string[]]), problem }
}

/** A rule that `undefined` (an option not given) passes too. */
export function optional(rule: OptionRule, problem = rule.problem): OptionRule {
  return { schema: rule.schema.optional(), problem }
}

/**
 * Checks options against a description, in the description's order, and returns them.
 *
 * @throws TypeError naming the function and the option: `createAuthService: options.reuseGraceSeconds must be an integer >= 0`.
 * @example
 * ```ts
 * const { cost } = checkOptions('createPasswordHasher', { cost: options.cost ?? 2 ** 17 }, { cost: integerRule(2, 2 ** 24) })
 * ```
 */
export function checkOptions<T extends object>(
  where: string,
  values: T,
  rules: { readonly [K in keyof T]?: OptionRule },
  path = 'options',
): T {
  for (const name of Object.keys(rules) as (keyof T & string)[]) {
    const rule = rules[name]
    if (rule !== undefined && !rule.schema.safeParse(values[name]).success) {
      throw new TypeError(`${where}: ${path}.${name} ${rule.problem}`)
    }
  }
  return values
}
