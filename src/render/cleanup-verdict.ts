import type {Report} from '../model/report.js'
import type {CleanupSummary} from '../gather/probe/cleanup.js'
import type {Paint} from './color.js'

const objects = (n: number) => `${n} object${n === 1 ? '' : 's'}`

/**
 * The verdict line of `cleanup`, which judges no Istio install: what it removed (or would, with --dry-run), what it
 * left alone because its run is alive, and what it could not remove or see.
 * `CLEAN: removed 3 objects on kind` · `NOTHING TO CLEAN on kind` · `WOULD REMOVE 3 objects (--dry-run) on kind` ·
 * `NOT CLEAN: 1 object could not be removed (removed 2) on kind`.
 */
export function cleanupVerdictLine(report: Report, paint: Paint): string {
  const data = (report.data as {cleanup?: CleanupSummary}).cleanup
  const removed = data?.removed.length ?? 0
  const failed = data?.failed.length ?? 0
  const kept = data?.kept.length ?? 0
  const blind = report.summary.unknown > 0
  const [word, style, rest]: [string, 'green' | 'yellow' | 'red' | 'cyan', string] =
    failed > 0
      ? ['NOT CLEAN', 'yellow', `: ${objects(failed)} could not be removed${removed ? ` (removed ${removed})` : ''}`]
      : data?.dryRun && removed > 0
        ? ['WOULD REMOVE', 'cyan', ` ${objects(removed)} (--dry-run)`]
        : removed > 0
          ? ['CLEAN', 'green', `: removed ${objects(removed)}`]
          : blind
            ? ['UNKNOWN', 'yellow', ': some lists could not be read (see above)']
            : ['NOTHING TO CLEAN', 'green', '']
  const notes = [kept > 0 ? `left ${objects(kept)} of live runs alone` : '', blind && word !== 'UNKNOWN' ? 'some lists could not be read' : ''].filter(Boolean)
  const where = report.target.context ? ` on ${report.target.context}` : ''
  return `${paint(style, word)}${rest}${where}${notes.length ? ` — ${notes.join('; ')}` : ''}`
}
