import type {Hook} from '@oclif/core'

/** What the user typed: oclif joins the words of a multi-word id with ":" internally; users never type that. */
const spoken = (id: string) => id.split(':').join(' ')

/**
 * Words oclif does not route to a command. `-h` and `help [COMMAND]` show help, as kubectl's do (oclif itself only
 * knows `--help`); anything else is a usage error (exit 2) with one line that names it, in the user's words, and the
 * commands there are.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const words = [...options.id.split(':'), ...(options.argv ?? [])].filter((w) => w !== '')
  if (words[0] === '-h' || words[0] === 'help') {
    const rest = words.slice(1).filter((w) => w !== '-h' && w !== '--help')
    const target = rest.length > 0 && !rest[0]!.startsWith('-') ? rest[0]! : undefined
    if (target === undefined || options.config.findCommand(target)) {
      const {Help} = await import('@oclif/core/help')
      await new Help(options.config).showHelp(target === undefined ? [] : [target])
      return
    }
    process.stderr.write(`error: unknown command "${target}"; use one of: ${known(options.config)} (kubectl mesh-ready --help)\n`)
    process.exit(2)
  }
  process.stderr.write(`error: unknown command "${spoken(options.id)}"; use one of: ${known(options.config)} (kubectl mesh-ready --help)\n`)
  process.exit(2)
}

function known(config: Parameters<Hook<'command_not_found'>>[0]['config']): string {
  return config.commands
    .filter((c) => !c.hidden)
    .map((c) => spoken(c.id))
    .sort()
    .join(', ')
}

export default hook
