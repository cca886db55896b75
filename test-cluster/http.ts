// HTTP plumbing: request bodies, content negotiation (tables, partial metadata, aggregated
// discovery) and a Reply wrapper that records every answered request for test assertions.
import {randomUUID} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {parse as parseYaml} from 'yaml'
import {ApiError, badRequest} from './errors.js'
import type {Status} from './types.js'

export interface RequestRecord {
  method: string
  path: string
  query: Record<string, string>
  status: number
  /** Impersonate-User / Impersonate-Group headers, when the request had them (recorded, not enforced). */
  impersonate?: {user?: string; groups: string[]}
}

const MAX_BODY = 3 * 1024 * 1024

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Parses a JSON (or, for apply patches and YAML bodies, YAML) request body. */
export function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') throw badRequest("Object 'Kind' is missing in ''")
  const yaml = /yaml/.test(contentType ?? '')
  try {
    return yaml ? parseYaml(text) : JSON.parse(text)
  } catch (err) {
    throw badRequest(
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml: ${(err as Error).message}`,
    )
  }
}

interface MediaType {
  type: string
  params: Record<string, string>
}

function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [{type: '*/*', params: {}}]
  return header.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim())
    const p: Record<string, string> = {}
    for (const kv of params) {
      const i = kv.indexOf('=')
      if (i > 0) p[kv.slice(0, i).trim()] = kv.slice(i + 1).trim()
    }
    return {type: (type ?? '').toLowerCase(), params: p}
  })
}

/** What representation the client asked for, in its order of preference. */
export type Representation =
  | {as: 'object'}
  | {as: 'Table'; apiVersion: string}
  | {as: 'PartialObjectMetadata'; apiVersion: string}
  | {as: 'APIGroupDiscoveryList'; version: 'v2' | 'v2beta1'}

export function negotiate(acceptHeader: string | undefined, allowed: ReadonlyArray<Representation['as']>): Representation | undefined {
  for (const m of parseAccept(acceptHeader)) {
    if (m.type !== 'application/json' && m.type !== '*/*' && m.type !== 'application/*') continue
    const as = m.params.as
    if (!as) {
      if (allowed.includes('object')) return {as: 'object'}
      continue
    }
    const v = m.params.v ?? ''
    const g = m.params.g ?? ''
    if (as === 'Table' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1') && allowed.includes('Table')) {
      return {as: 'Table', apiVersion: `meta.k8s.io/${v}`}
    }
    if (
      (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') &&
      g === 'meta.k8s.io' &&
      (v === 'v1' || v === 'v1beta1') &&
      allowed.includes('PartialObjectMetadata')
    ) {
      return {as: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${v}`}
    }
    if (as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1') && allowed.includes('APIGroupDiscoveryList')) {
      return {as: 'APIGroupDiscoveryList', version: v}
    }
  }
  return undefined
}

/** One response, recorded in the server's request log when its status line is written. */
export class Reply {
  private recorded = false
  readonly headers: Record<string, string> = {}

  constructor(
    readonly res: ServerResponse,
    private readonly record: Omit<RequestRecord, 'status'>,
    private readonly log: RequestRecord[],
  ) {
    this.headers['Audit-Id'] = randomUUID()
    this.headers['Cache-Control'] = 'no-cache, private'
  }

  get sent(): boolean {
    return this.recorded || this.res.headersSent
  }

  private head(status: number, contentType: string, extra: Record<string, string | number> = {}): void {
    if (!this.recorded) {
      this.recorded = true
      this.log.push({...this.record, status})
    }
    this.res.writeHead(status, {...this.headers, 'Content-Type': contentType, ...extra})
  }

  json(status: number, body: unknown, contentType = 'application/json'): void {
    const text = JSON.stringify(body)
    this.head(status, contentType, {'Content-Length': Buffer.byteLength(text)})
    this.res.end(text)
  }

  status(s: Status, retryAfterSeconds?: number): void {
    if (retryAfterSeconds !== undefined) this.headers['Retry-After'] = String(retryAfterSeconds)
    this.json(s.code ?? 500, s)
  }

  text(status: number, body: string, contentType = 'text/plain'): void {
    this.head(status, contentType, {'Content-Length': Buffer.byteLength(body)})
    this.res.end(body)
  }

  /** Starts a chunked response (watches, followed logs, large lists). */
  stream(status: number, contentType = 'application/json'): void {
    this.head(status, contentType, {'Transfer-Encoding': 'chunked'})
    this.res.flushHeaders()
  }

  /** Writes a chunk, waiting for the socket to drain when its buffer is full. */
  async write(chunk: string): Promise<void> {
    if (this.res.destroyed) return
    if (!this.res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.res.off('drain', done)
          this.res.off('close', done)
          resolve()
        }
        this.res.on('drain', done)
        this.res.on('close', done)
      })
    }
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end()
  }
}

/**
 * Sends `{...head, [arrayKey]: items}` without building the whole text at once, so a list of
 * 100k pods costs one item's JSON at a time.
 */
export async function sendJsonList(reply: Reply, head: Record<string, unknown>, arrayKey: string, items: readonly unknown[]): Promise<void> {
  if (items.length < 500) {
    reply.json(200, {...head, [arrayKey]: items})
    return
  }
  reply.stream(200)
  const prefix = JSON.stringify(head).slice(0, -1)
  await reply.write(`${prefix}${prefix === '{' ? '' : ','}${JSON.stringify(arrayKey)}:[`)
  const BATCH = 256
  for (let i = 0; i < items.length; i += BATCH) {
    const part = items
      .slice(i, i + BATCH)
      .map((x) => JSON.stringify(x))
      .join(',')
    await reply.write(i === 0 ? part : `,${part}`)
  }
  await reply.write(']}')
  reply.end()
}
