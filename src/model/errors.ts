import {ExitCode} from './exit-codes.js'

/**
 * An error the user can fix: one line naming the input and the fix. Exit 2 by default.
 * Anything else that escapes a command is an internal error (exit 1).
 */
export class UserError extends Error {
  readonly exitCode: ExitCode
  /** The line to print; kept apart from `message`, which oclif rewrites when the error comes from a flag parser. */
  readonly line: string
  constructor(message: string, exitCode: ExitCode = ExitCode.UsageError) {
    super(message)
    this.name = 'UserError'
    this.exitCode = exitCode
    this.line = message
  }
}
