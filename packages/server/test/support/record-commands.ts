import type { Redis } from 'ioredis'

/**
 * The names of the commands `client` sends from now on (what goes over the wire), read when
 * called: ioredis turns a script's EVALSHA into EVAL only as it writes it.
 */
export function recordCommands(client: Redis): { names(): string[]; clear(): void } {
  const sent: Parameters<Redis['sendCommand']>[0][] = []
  const send = client.sendCommand.bind(client)
  client.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
    sent.push(args[0])
    return send(...args)
  }
  return { names: () => sent.map((command) => command.name), clear: () => sent.splice(0) }
}
