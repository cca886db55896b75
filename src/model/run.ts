/** What a command hands every area it runs: cancellation, exit-time cleanup, and where progress and notes go. */
export interface RunContext {
  /** Aborted on Ctrl-C, SIGTERM or an overall deadline. */
  readonly signal: AbortSignal
  /** Registers work that must run before exit on every path (delete probe pods, the DaemonSet, the namespace). */
  readonly onCleanup: (fn: () => Promise<void>) => void
  /** Progress text (a spinner on a TTY, nothing otherwise). */
  readonly progress?: (text: string) => void
  /** Notes for the user on stderr (kept probes, slow namespace deletion). */
  readonly notice?: (text: string) => void
}
