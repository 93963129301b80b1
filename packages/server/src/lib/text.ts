/** A value quoted for an error message, cut at 40 characters so a secret pasted by mistake is not logged whole. */
export function show(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
}

/** One line, whatever a parser or node:crypto put in its message. */
export function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim()
}
