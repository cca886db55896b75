/**
 * Istio minor releases and the Kubernetes versions each supports ("Supported Kubernetes Versions") and was only
 * tested with ("Tested, but not supported").
 * Source: istio/istio.io data/compatibility/supportStatus.yml, rendered at
 * https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases
 */
import {compareMinor, minorOf} from './versions.js'

export interface IstioRelease {
  readonly version: string
  readonly released: string
  readonly supported: readonly [min: string, max: string]
  readonly testedOnly?: readonly [min: string, max: string]
}

export const ISTIO_RELEASES: readonly IstioRelease[] = [
  {version: '1.30', released: '2026-05-14', supported: ['1.32', '1.36'], testedOnly: ['1.27', '1.31']},
  {version: '1.29', released: '2026-02-16', supported: ['1.31', '1.35'], testedOnly: ['1.26', '1.30']},
  {version: '1.28', released: '2025-11-05', supported: ['1.30', '1.34'], testedOnly: ['1.25', '1.29']},
  {version: '1.27', released: '2025-08-11', supported: ['1.29', '1.33'], testedOnly: ['1.24', '1.28']},
  {version: '1.26', released: '2025-05-08', supported: ['1.29', '1.33'], testedOnly: ['1.24', '1.28']},
  {version: '1.25', released: '2025-03-03', supported: ['1.29', '1.32'], testedOnly: ['1.24', '1.28']},
  {version: '1.24', released: '2024-11-07', supported: ['1.28', '1.31'], testedOnly: ['1.23', '1.27']},
  {version: '1.23', released: '2024-08-14', supported: ['1.27', '1.30']},
]

/** The newest release in the table: what the plugin judges against unless told otherwise. */
export const DEFAULT_ISTIO_VERSION = ISTIO_RELEASES[0]!.version

export function findIstioRelease(minor: string): IstioRelease | undefined {
  return ISTIO_RELEASES.find((r) => r.version === minor)
}

/** The oldest and newest releases the plugin knows, e.g. `1.23–1.30`. */
export const KNOWN_ISTIO_RANGE = `${ISTIO_RELEASES.at(-1)!.version}–${ISTIO_RELEASES[0]!.version}`

export interface JudgedIstioVersion {
  /** A release in ISTIO_RELEASES. */
  readonly minor: string
  /** One line for stderr when the installed release is not one the plugin knows (and what is judged instead). */
  readonly notice?: string
}

/**
 * The release to judge against an installed one. A known release is judged as it is. A release newer than the table
 * (the plugin is older than the cluster's Istio) is judged against the newest known release: Istio's requirements
 * rarely loosen, so the newest known rules are the closest (possibly stale) estimate; the notice says so. A release
 * older than the table is judged against the oldest known one.
 */
export function judgeInstalledIstio(installed: string): JudgedIstioVersion {
  if (findIstioRelease(installed)) return {minor: installed}
  const newest = ISTIO_RELEASES[0]!.version
  const oldest = ISTIO_RELEASES.at(-1)!.version
  if (compareMinor(installed, newest) > 0) {
    return {
      minor: newest,
      notice: `notice: the cluster runs Istio ${installed}, newer than the releases this plugin knows (${KNOWN_ISTIO_RANGE}); judging against ${newest}, so its knowledge may be stale: upgrade kubectl-mesh-ready or pass --istio-version`,
    }
  }
  return {
    minor: oldest,
    notice: `notice: the cluster runs Istio ${installed}, older than the releases this plugin knows (${KNOWN_ISTIO_RANGE}); judging against ${oldest}`,
  }
}

/** A --istio-version value: a known release, else undefined (the caller makes it a usage error listing them). */
export function knownIstioMinor(input: string): string | undefined {
  const minor = minorOf(input)
  return minor !== undefined && findIstioRelease(minor) ? minor : undefined
}
