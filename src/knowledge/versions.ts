/**
 * Version strings, parsed and compared in one place: Istio and Kubernetes minors (`1.29`), component releases
 * (`v1.16.3`, `1.31.7-rc1+k3s1`), kernel releases (`4.18.0-147.5.1.el8_1.x86_64`) and tool version lines
 * (`nftables v1.0.9 (Old Doc Yak #3)`). Every comparison is numeric per part; a string that does not start with a
 * version gives undefined, never a guess.
 */

/** `major.minor.patch`; a missing patch is 0. */
export type VersionParts = readonly [number, number, number]

/** `1.16.3`, `v1.16`, `4.18.0-147.el8` → [1, 16, 3], [1, 16, 0], [4, 18, 0]; undefined when it does not start with a version. */
export function versionParts(version: string | undefined): VersionParts | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version?.trim() ?? '')
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined
}

/** Negative, 0 or positive as a is older than, the same as, or newer than b. */
export function compareParts(a: VersionParts, b: VersionParts): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/** Compares two versions; undefined when either is not a version. */
export function compareVersions(a: string | undefined, b: string | undefined): number | undefined {
  const [x, y] = [versionParts(a), versionParts(b)]
  return x && y ? compareParts(x, y) : undefined
}

/** a < b for `x.y[.z]` versions; undefined when either is not a version. */
export function versionBefore(a: string | undefined, b: string): boolean | undefined {
  const order = compareVersions(a, b)
  return order === undefined ? undefined : order < 0
}

/** Compares `major.minor` strings (Istio or Kubernetes minors, already validated); a part that is missing counts as 0. */
export function compareMinor(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number)
  const [bm = 0, bn = 0] = b.split('.').map(Number)
  return am - bm || an - bn
}

/** `1.29`, `1.29.3`, `v1.29.0-rc.1` → `1.29`; undefined when the whole string is not a version. */
export function minorOf(input: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][\w.-]+)?$/.exec(input.trim())
  return match ? `${Number(match[1])}.${Number(match[2])}` : undefined
}

/** The patch of `1.29.3` when its minor is `minor`; undefined when it names no patch or another minor. */
export function patchOf(version: string | undefined, minor: string): number | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version?.trim() ?? '')
  return match && `${Number(match[1])}.${Number(match[2])}` === minor ? Number(match[3]) : undefined
}

/** Compares a kernel release with a `major.minor[.patch]` floor; undefined when the release is not a version. */
export function compareKernel(release: string | undefined, floor: string): number | undefined {
  const [a, b] = [kernelVersion(release), kernelVersion(floor)]
  return a && b ? compareParts(a, b) : undefined
}

/** `4.18.0-147.5.1.el8_1.x86_64` → [4, 18, 0]; undefined when the release does not start with a version (no `v` prefix). */
export function kernelVersion(release: string | undefined): VersionParts | undefined {
  return /^\d/.test(release ?? '') ? versionParts(release) : undefined
}

/** `nftables v1.0.9 (Old Doc Yak #3)` → `1.0.9`: the first version anywhere in a tool's version line. */
export function toolVersion(versionLine: string | undefined): string | undefined {
  return /v?(\d+\.\d+(?:\.\d+)?)/.exec(versionLine ?? '')?.[1]
}
