/**
 * Throws the `TypeError` of a bad option, naming the function and the option (what each
 * option expects is in its JSDoc; spelling it here again would ship it to every browser).
 */
export function check(ok: boolean, where: string, option: string): void {
  if (!ok) throw new TypeError(`${where}: option \`${option}\` is invalid`)
}
