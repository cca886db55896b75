import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {embeddedFile} from '../../embedded-files.js'
import {probeRequest} from '../../knowledge/kernel-modules.js'
import type {ProbeRequest} from './parse-probe.js'

/** The probe script ships in the package (package.json `files`), next to dist/. */
export const PROBE_SCRIPT = 'probe/node-probe.sh'

/** Functional tests to run: none, IPv4, or IPv4 and IPv6. */
export type FunctionalFamilies = '' | '4' | '46'

/**
 * The functional probe tests both families whenever it runs, whatever the cluster's: ambient writes IPv6 rules even on
 * IPv4-only clusters (istio-cni `ambient.ipv6` defaults to true), and each scenario only relies on the tests it needs.
 */
export const functionalFamilies = (functional: boolean): FunctionalFamilies => (functional ? '46' : '')

let cached: Promise<string> | undefined

/** Finds the package root from this file (src/… under vitest, dist/src/… when built) and reads the script. */
export function loadProbeScript(): Promise<string> {
  cached ??= (async () => {
    const embedded = embeddedFile(PROBE_SCRIPT) // the single executable carries it
    if (embedded !== undefined) return embedded
    let dir = path.dirname(fileURLToPath(import.meta.url))
    while (!existsSync(path.join(dir, PROBE_SCRIPT))) {
      const parent = path.dirname(dir)
      if (parent === dir) throw new Error(`the probe script ${PROBE_SCRIPT} is missing from the installed package; reinstall kubectl-mesh-ready`)
      dir = parent
    }
    return readFile(path.join(dir, PROBE_SCRIPT), 'utf8')
  })()
  return cached
}

/** What every probe is asked to report: every symbol and module of the requirement table. */
export const PROBE_REQUEST: ProbeRequest = probeRequest()

/** The argv after `sh -c <script>`: $0 then the three positional arguments the script documents. */
export function probeArgs(functional: FunctionalFamilies, request: ProbeRequest = PROBE_REQUEST): string[] {
  return ['mesh-ready-probe', request.symbols.join(','), request.modules.join(','), functional]
}
