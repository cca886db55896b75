import type {Hook} from '@oclif/core'

/** An unknown subcommand is a usage error (exit 2) with one line that names it and the fix. */
const hook: Hook<'command_not_found'> = async function (options) {
  const known = options.config.commands.filter((c) => !c.hidden).map((c) => c.id).sort().join(', ')
  process.stderr.write(`error: unknown command "${options.id}"; use one of: ${known} (kubectl mesh-ready --help)\n`)
  process.exit(2)
}

export default hook
