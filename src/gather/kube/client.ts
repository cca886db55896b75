import {spawn} from 'node:child_process'
import {getMaxListeners, setMaxListeners} from 'node:events'
import http from 'node:http'
import https from 'node:https'
import type {KubeConfig} from '@kubernetes/client-node'
import {ApiError, ConnectionError, describeRequest} from './errors.js'
import type {ExecCredentialConfig, KubeTarget} from './config.js'

export type Query = Record<string, string | number | boolean | undefined>

/**
 * Requests in flight on one run's signal: each adds an abort listener, and a run legitimately has many (list pages,
 * per-namespace fallbacks, probe log reads at --concurrency up to 200), past Node's leak warning at 10.
 */
const MAX_IN_FLIGHT = 1000

export interface RequestOptions {
  query?: Query
  body?: unknown
  contentType?: string
  signal?: AbortSignal
  /** Overrides the client's per-request timeout (0 = none), e.g. for watches. */
  timeoutMs?: number
}

export interface ListMeta {
  resourceVersion?: string
  continue?: string
  remainingItemCount?: number
}

export interface ListPage<T> {
  items: T[]
  metadata: ListMeta
}

export interface ListOptions {
  labelSelector?: string
  fieldSelector?: string
  /** Page size; kubectl's default chunk size is 500. */
  limit?: number
  signal?: AbortSignal
  /** Called when an expired continue token (410) makes the list start again from the first page. */
  onRestart?: () => void
}

/** What `readPages` takes: a list's options, and whether this read may be kept for a later reader of the same run. */
export interface ReadListOptions extends ListOptions {
  /**
   * false: stream the pages without keeping them in the run's snapshot (the workload pod, Service and CronJob
   * lists: one reader, up to 100k objects). Default true.
   */
  share?: boolean
}

/** A read's answer and how long the server took to give it. */
export interface Timed<T> {
  readonly value: T
  readonly ms: number
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: T
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
])

/**
 * A small Kubernetes REST client on top of client-node's KubeConfig (which handles TLS material, tokens and exec
 * credential plugins). Plain JSON in and out: no per-object model conversion, so 100k-pod lists stay cheap.
 */
export interface KubeClientOptions {
  /** kubectl's -v: 6 logs each request (method, URL, status, duration), 7 also its headers (credentials masked). */
  readonly verbosity?: number
  /** Where request logs go (default: stderr). */
  readonly log?: (line: string) => void
}

interface ExecCredential {
  token?: string
  clientCertificateData?: string
  clientKeyData?: string
  /** ms since the epoch; undefined = valid for the whole run. */
  expires?: number
}

export class KubeClient {
  private agent: http.Agent | undefined
  private agentKey = ''
  private credential: Promise<ExecCredential> | undefined
  private credentialExpires: number | undefined
  private readonly verbosity: number
  private readonly log: (line: string) => void
  /** A snapshot's parent: requests go through its connection and credentials (see snapshot()). */
  private parent: KubeClient | undefined
  /** path?query → the read's answer, for this snapshot's run; undefined: not a snapshot, every read is a request. */
  private reads: Map<string, Promise<Timed<unknown>>> | undefined

  constructor(
    readonly target: KubeTarget,
    readonly requestTimeoutMs: number,
    options: KubeClientOptions = {},
  ) {
    this.verbosity = options.verbosity ?? 0
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
  }

  get kc(): KubeConfig {
    return this.target.kc
  }

  get server(): string {
    return this.target.server.replace(/\/+$/, '')
  }

  private async connectionOptions(): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {}
    try {
      await this.kc.applyToHTTPSOptions(opts)
    } catch (error) {
      const message = (error as Error).message
      if (/HTTP protocol is not allowed/.test(message)) {
        throw new ConnectionError('tls', `server ${this.server} uses plain http; set insecure-skip-tls-verify: true for it in the kubeconfig or use https`)
      }
      throw new ConnectionError(
        'auth-plugin',
        `credentials for context "${this.target.contextName}" could not be obtained: ${oneLine(message)}; check the user's exec plugin or token in the kubeconfig`,
      )
    }
    if (this.target.exec) {
      const credential = await this.execCredential(this.target.exec)
      if (credential.token) opts.headers = {...(opts.headers as Record<string, string>), Authorization: `Bearer ${credential.token}`}
      if (credential.clientCertificateData) opts.cert = credential.clientCertificateData
      if (credential.clientKeyData) opts.key = credential.clientKeyData
    }
    // Keep one keep-alive agent per distinct TLS identity instead of a new agent per request.
    if (!this.kc.getCurrentCluster()?.proxyUrl) {
      const key = [opts.ca, opts.cert, opts.key, opts.rejectUnauthorized, opts.servername].map(String).join('|')
      if (this.agent === undefined || key !== this.agentKey) {
        this.agent?.destroy()
        const tls = {ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername}
        this.agent = this.server.startsWith('http:')
          ? new http.Agent({keepAlive: true, maxSockets: 64})
          : new https.Agent({...tls, keepAlive: true, maxSockets: 64})
        this.agentKey = key
      }
      opts.agent = this.agent
    }
    return opts
  }

  /** Runs the exec credential plugin once (again when its credential expires); bounded by --request-timeout. */
  private execCredential(exec: ExecCredentialConfig): Promise<ExecCredential> {
    if (this.credential === undefined || (this.credentialExpires !== undefined && this.credentialExpires <= Date.now())) {
      this.credentialExpires = undefined
      this.credential = runExecPlugin(exec, this.requestTimeoutMs, this.server, this.kc.getCurrentCluster()?.caData).then((c) => {
        this.credentialExpires = c.expires
        return c
      })
      this.credential.catch(() => (this.credential = undefined))
    }
    return this.credential
  }

  close(): void {
    this.reads?.clear()
    this.agent?.destroy()
    this.agent = undefined
  }

  /**
   * A run-scoped read-through snapshot of this client, for `check`: each area gathers on its own, yet every resource
   * is read from the server once per run. Only `read()` and `readPages()` are memoized (per path and query, a list
   * per page; the first reader's request is shared by every later or concurrent one). `get`, `listPages`, `listAll`,
   * `watch` and every write stay plain requests, so the probe session (src/gather/probe), which polls its namespace
   * and pods and must see fresh answers, never reads the snapshot, though it gets the same client.
   * Why a memoizing client rather than one snapshot object gathered up front: the areas stream lists page by page
   * (the nodes area starts probes while nodes are still listed) and read some objects only when an earlier answer
   * asks for them (the Istio ConfigMaps); a memo keeps that while removing the second request.
   */
  snapshot(): KubeClient {
    const view = new KubeClient(this.target, this.requestTimeoutMs, {verbosity: this.verbosity, log: this.log})
    view.parent = this.parent ?? this
    view.reads = new Map()
    return view
  }

  /**
   * A read the gathers make (GET of an object, a non-resource path, a list page): memoized in a snapshot, a plain
   * GET otherwise. An API answer (403, 404 …) is kept like a success, the same read would get it again; a
   * connection failure or an abort is not kept.
   */
  async read<T>(path: string, options: {query?: Query; signal?: AbortSignal} = {}): Promise<T> {
    return (await this.timedRead<T>(path, options)).value
  }

  /** `read`, with the time the server took to answer it (for a kept answer: the time of the one request made). */
  async timedRead<T>(path: string, options: {query?: Query; signal?: AbortSignal} = {}): Promise<Timed<T>> {
    const fetch = async (): Promise<Timed<T>> => {
      const started = performance.now()
      const value = await this.get<T>(path, options)
      return {value, ms: Math.round(performance.now() - started)}
    }
    if (this.reads === undefined) return fetch()
    const key = readKey(path, options.query)
    const kept = this.reads.get(key) as Promise<Timed<T>> | undefined
    if (kept !== undefined) return kept
    const answer = fetch()
    this.reads.set(key, answer)
    answer.catch((error: unknown) => {
      if (!(error instanceof ApiError) && this.reads?.get(key) === answer) this.reads.delete(key)
    })
    return answer
  }

  /** Forgets every kept page of a list (a restarted list must not be answered from the pages that expired). */
  private forgetList(path: string): void {
    for (const key of this.reads?.keys() ?? []) if (key === path || key.startsWith(`${path}?`)) this.reads!.delete(key)
  }

  url(path: string, query?: Query): URL {
    const url = new URL(this.server + path)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    return url
  }

  /** Sends one request; resolves with the parsed JSON (or text for non-JSON bodies), rejects with ApiError/ConnectionError. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options)
    const text = await readBody(response)
    const status = response.statusCode ?? 0
    if (status >= 200 && status < 300) {
      const type = String(response.headers['content-type'] ?? '')
      return (type.includes('json') ? JSON.parse(text) : text) as T
    }
    throw this.toError(status, text, method, path, options.query)
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    if (this.parent !== undefined) return this.parent.send(method, path, options)
    const opts = await this.connectionOptions()
    const url = this.url(path, options.query)
    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs
    const headers: Record<string, string | string[]> = {
      ...(opts.headers as Record<string, string>),
      Accept: 'application/json',
      'User-Agent': 'kubectl-mesh-ready',
    }
    const impersonate = this.target.impersonate
    if (impersonate?.user !== undefined) headers['Impersonate-User'] = impersonate.user
    if (impersonate && impersonate.groups.length > 0) headers['Impersonate-Group'] = [...impersonate.groups]
    if (body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json'
      headers['Content-Length'] = String(Buffer.byteLength(body))
    }
    const transport = url.protocol === 'http:' ? http : https
    const started = Date.now()
    if (this.verbosity >= 7) this.logHeaders(method, url, headers)
    const logged = (status: string) => {
      if (this.verbosity >= 6) this.log(`${method} ${url.href} ${status} in ${Date.now() - started} milliseconds`)
    }
    if (options.signal && getMaxListeners(options.signal) < MAX_IN_FLIGHT) setMaxListeners(MAX_IN_FLIGHT, options.signal)
    return new Promise((resolve, reject) => {
      const req = transport.request(url, {...opts, method, headers, signal: options.signal}, (response) => {
        logged(`${response.statusCode ?? 0} ${response.statusMessage ?? ''}`.trim())
        resolve(response)
      })
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () =>
          req.destroy(
            new ConnectionError(
              'timeout',
              `request to ${this.server} timed out after ${timeoutMs / 1000}s; raise --request-timeout or check that the API server is reachable`,
            ),
          ),
        )
      }
      req.on('error', (error) => {
        logged(`(failed: ${(error as NodeJS.ErrnoException).code ?? oneLine(error.message)})`)
        reject(this.toConnectionError(error))
      })
      req.end(body)
    })
  }

  /** -v 7: the request line and headers, as kubectl prints them; credentials never appear. */
  private logHeaders(method: string, url: URL, headers: Record<string, string | string[]>): void {
    this.log(`${method} ${url.href}`)
    this.log('Request Headers:')
    for (const [name, value] of Object.entries(headers)) {
      for (const v of Array.isArray(value) ? value : [value]) this.log(`    ${name}: ${/^authorization$/i.test(name) ? maskCredential(v) : v}`)
    }
  }

  private toConnectionError(error: Error): Error {
    if (error instanceof ConnectionError || error.name === 'AbortError') return error
    const code = (error as NodeJS.ErrnoException).code ?? ''
    if (TLS_CODES.has(code) || /certificate|SSL|TLS/i.test(error.message)) {
      return new ConnectionError(
        'tls',
        `TLS handshake with ${this.server} failed (${code || oneLine(error.message)}); check certificate-authority for context "${this.target.contextName}" in the kubeconfig`,
      )
    }
    return new ConnectionError(
      'unreachable',
      `cannot reach the API server at ${this.server} (${code || oneLine(error.message)}); check --context/--kubeconfig and that the cluster is running`,
    )
  }

  private toError(status: number, text: string, method: string, path: string, query?: Query): Error {
    let reason = ''
    let message = text.trim()
    try {
      const body = JSON.parse(text) as {kind?: string; reason?: string; message?: string}
      if (body.kind === 'Status') {
        reason = body.reason ?? ''
        message = body.message ?? message
      }
    } catch {
      // not JSON: keep the raw text
    }
    if (status === 401) {
      return new ConnectionError(
        'unauthorized',
        `the API server at ${this.server} rejected the credentials of context "${this.target.contextName}" (401 Unauthorized); refresh them (e.g. re-run your cloud login) or fix the user in the kubeconfig`,
      )
    }
    return new ApiError(status, reason, describeRequest(method, path, query), oneLine(message || `HTTP ${status}`))
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, options)
  }

  create<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, {body, query})
  }

  delete<T = unknown>(path: string, query?: Query): Promise<T> {
    return this.request<T>('DELETE', path, {query})
  }

  mergePatch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, {body, contentType: 'application/merge-patch+json'})
  }

  /**
   * Pages through a list with limit/continue. When the continue token has expired (410) it restarts from the
   * beginning once, after calling `onRestart` so the caller can drop what it kept from the earlier pages.
   */
  listPages<T>(path: string, options: ListOptions = {}): AsyncGenerator<ListPage<T>> {
    return this.pages<T>(path, options, (query) => this.get<ListPage<T>>(path, {query, signal: options.signal}))
  }

  /**
   * `listPages` for the gathers: each page is a `read`, so in a snapshot a second reader of the same list (same page
   * size and selectors) gets the kept pages instead of listing again. `share: false` streams without keeping.
   */
  readPages<T>(path: string, options: ReadListOptions = {}): AsyncGenerator<ListPage<T>> {
    if (options.share === false) return this.listPages<T>(path, options)
    return this.pages<T>(path, {...options, onRestart: () => (this.forgetList(path), options.onRestart?.())}, (query) =>
      this.read<ListPage<T>>(path, {query, signal: options.signal}),
    )
  }

  /** Every item of a list through `readPages` (kept in a snapshot); a restarted list replaces what the earlier pages gave. */
  async readAll<T>(path: string, options: ReadListOptions = {}): Promise<T[]> {
    const out: T[] = []
    for await (const page of this.readPages<T>(path, {
      ...options,
      onRestart: () => {
        out.length = 0
        options.onRestart?.()
      },
    }))
      out.push(...page.items)
    return out
  }

  private async *pages<T>(path: string, options: ListOptions, fetch: (query: Query) => Promise<ListPage<T>>): AsyncGenerator<ListPage<T>> {
    let continueToken: string | undefined
    let restarted = false
    for (;;) {
      let page: ListPage<T>
      try {
        page = await fetch({limit: options.limit ?? 500, continue: continueToken, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector})
      } catch (error) {
        if (error instanceof ApiError && error.status === 410 && continueToken !== undefined && !restarted) {
          restarted = true
          continueToken = undefined
          options.onRestart?.()
          continue
        }
        throw error
      }
      yield {items: page.items ?? [], metadata: page.metadata ?? {}}
      continueToken = page.metadata?.continue || undefined
      if (continueToken === undefined) return
    }
  }

  /** Every item of a list, one page at a time; a restarted list replaces what the earlier pages gave. */
  async listAll<T>(path: string, options: ListOptions = {}): Promise<T[]> {
    return this.listMapped(path, (item: T) => item, options)
  }

  /** Like listAll, keeping only `map(item)` of each item (summaries instead of whole objects). */
  async listMapped<T, R>(path: string, map: (item: T) => R, options: ListOptions = {}): Promise<R[]> {
    const out: R[] = []
    const onRestart = () => {
      out.length = 0
      options.onRestart?.()
    }
    for await (const page of this.listPages<T>(path, {...options, onRestart})) for (const item of page.items) out.push(map(item))
    return out
  }

  /**
   * Streams watch events until `onEvent` returns true (done), the server closes the stream, or the signal aborts.
   * Resolves with the last resourceVersion seen so a caller can resume after a dropped watch.
   */
  async watch<T extends {metadata?: {resourceVersion?: string}}>(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => boolean | void,
    signal?: AbortSignal,
  ): Promise<{done: boolean; resourceVersion?: string}> {
    const response = await this.send('GET', path, {query: {...query, watch: true, allowWatchBookmarks: true}, signal, timeoutMs: 0})
    const status = response.statusCode ?? 0
    if (status < 200 || status >= 300) throw this.toError(status, await readBody(response), 'GET', path, {...query, watch: true})
    let resourceVersion = typeof query.resourceVersion === 'string' ? query.resourceVersion : undefined
    let buffer = ''
    return new Promise((resolve, reject) => {
      let finished = false
      const finish = (done: boolean) => {
        if (finished) return
        finished = true
        response.destroy()
        resolve({done, resourceVersion})
      }
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        buffer += chunk
        // Walk the lines by index and cut the buffer once per chunk: a chunk can hold thousands of events.
        let start = 0
        for (let newline = buffer.indexOf('\n'); !finished && newline >= 0; newline = buffer.indexOf('\n', start)) {
          const line = buffer.slice(start, newline).trim()
          start = newline + 1
          if (line === '') continue
          let event: WatchEvent<T>
          try {
            event = JSON.parse(line) as WatchEvent<T>
          } catch {
            continue
          }
          if (event.type === 'ERROR') {
            finish(false)
            return
          }
          resourceVersion = event.object?.metadata?.resourceVersion ?? resourceVersion
          if (event.type !== 'BOOKMARK' && onEvent(event) === true) finish(true)
        }
        buffer = buffer.slice(start)
      })
      response.on('end', () => finish(false))
      response.on('error', (error) => (finished ? undefined : signal?.aborted ? finish(false) : reject(this.toConnectionError(error))))
      response.on('close', () => finish(false))
    })
  }
}

/** The snapshot key of a read: its path and its query, in a stable order. */
const readKey = (path: string, query: Query = {}): string => {
  const params = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, String(v)] as [string, string])
    .sort(([a], [b]) => a.localeCompare(b))
  return params.length === 0 ? path : `${path}?${new URLSearchParams(params)}`
}

/** `Bearer <masked>`: the scheme stays readable, the secret never appears in a log. */
const maskCredential = (value: string) => `${value.split(' ')[0]} <masked>`

/**
 * Runs a client.authentication.k8s.io exec plugin as kubectl does (KUBERNETES_EXEC_INFO, non-interactive), killed
 * when it does not answer within the request timeout. A missing command or a timeout shows the plugin's installHint.
 */
export function runExecPlugin(exec: ExecCredentialConfig, timeoutMs: number, server: string, caData?: string): Promise<ExecCredential> {
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1'
  const info = {
    apiVersion,
    kind: 'ExecCredential',
    spec: {interactive: false, ...(exec.provideClusterInfo ? {cluster: {server, ...(caData ? {'certificate-authority-data': caData} : {})}} : {})},
  }
  const env: NodeJS.ProcessEnv = {...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(info)}
  for (const e of exec.env ?? []) env[e.name] = e.value
  const who = `exec credential plugin "${exec.command}" of user "${exec.user}"`
  const hint = exec.installHint ? `; ${oneLine(exec.installHint)}` : ''
  return new Promise((resolve, reject) => {
    const fail = (text: string) => reject(new ConnectionError('auth-plugin', text))
    let stdout = ''
    let stderr = ''
    let done = false
    const child = spawn(exec.command, [...(exec.args ?? [])], {env, stdio: ['ignore', 'pipe', 'pipe']})
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            if (done) return
            done = true
            child.kill('SIGKILL')
            fail(
              `${who} did not answer within ${timeoutMs / 1000}s (--request-timeout)${hint || '; check that it can run without a terminal, or raise --request-timeout'}`,
            )
          }, timeoutMs)
        : undefined
    const finish = (fn: () => void) => {
      if (done) return
      done = true
      if (timer) clearTimeout(timer)
      fn()
    }
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(() =>
        fail(
          error.code === 'ENOENT'
            ? `${who} was not found (${exec.command}: not on PATH)${hint || '; install it or fix users[].user.exec.command in the kubeconfig'}`
            : `${who} could not be started: ${error.message}${hint}`,
        ),
      ),
    )
    child.on('close', (code) =>
      finish(() => {
        if (code !== 0) return fail(`${who} exited with ${code}${stderr.trim() ? `: ${oneLine(stderr.trim().split('\n').slice(-1)[0]!)}` : ''}${hint}`)
        let status: Record<string, unknown> | undefined
        try {
          status = (JSON.parse(stdout) as {status?: Record<string, unknown>}).status
        } catch {
          status = undefined
        }
        if (!status || (typeof status.token !== 'string' && typeof status.clientCertificateData !== 'string')) {
          return fail(`${who} printed no ExecCredential with a token or client certificate; check the plugin`)
        }
        const expires = typeof status.expirationTimestamp === 'string' ? Date.parse(status.expirationTimestamp) : Number.NaN
        resolve({
          token: typeof status.token === 'string' ? status.token : undefined,
          clientCertificateData: typeof status.clientCertificateData === 'string' ? status.clientCertificateData : undefined,
          clientKeyData: typeof status.clientKeyData === 'string' ? status.clientKeyData : undefined,
          expires: Number.isNaN(expires) ? undefined : expires,
        })
      }),
    )
  })
}

function readBody(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    response.on('data', (c: Buffer) => chunks.push(c))
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    response.on('error', reject)
  })
}

export const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim()
